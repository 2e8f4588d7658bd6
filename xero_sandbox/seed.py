"""Deterministic data: reference lists of an organisation, demo records,
generated contacts. Ids are uuid5 and text comes from seeded generators, so
the same call gives the same records (dates follow today's date)."""

import random
import re
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from .query import UTC, now
from .state import ACTIVE, ARCHIVED, new_id

NAMESPACE = uuid.UUID("6f1d3c1e-3f55-4c8e-9a57-0b6a5d2c7e41")
DEMO_NAME = "Demo Company (Sandbox)"


def stable_id(*parts):
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def tenant_id_for(name):
    return stable_id("tenant", name)


def short_code_for(name):
    digits = int(uuid.UUID(tenant_id_for(name)).hex[:6], 16) % 100
    return "!sBx42" if name == DEMO_NAME else f"!sB{name[:1].upper() or 'x'}{digits:02d}"


class _Ids:
    """A deterministic replacement for uuid4 while seeding."""

    def __init__(self, *scope):
        self.scope = scope
        self.count = 0

    def __call__(self):
        self.count += 1
        return stable_id(*self.scope, self.count)


# -- reference data (a New Zealand organisation, as Xero's demo company) --------

ACCOUNTS = [
    # code, name, type, tax type, class, extra
    ("090", "Business Bank Account", "BANK", "NONE", "ASSET", {"BankAccountNumber": "0201234567890001"}),
    ("091", "Business Savings Account", "BANK", "NONE", "ASSET", {"BankAccountNumber": "0201234567890050"}),
    ("200", "Sales", "REVENUE", "OUTPUT", "REVENUE", {}),
    ("260", "Other Revenue", "REVENUE", "OUTPUT", "REVENUE", {}),
    ("270", "Interest Income", "REVENUE", "NONE", "REVENUE", {}),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "INPUT", "EXPENSE", {}),
    ("400", "Advertising", "EXPENSE", "INPUT", "EXPENSE", {}),
    ("404", "Bank Fees", "EXPENSE", "NONE", "EXPENSE", {}),
    ("429", "General Expenses", "EXPENSE", "INPUT", "EXPENSE", {}),
    ("610", "Accounts Receivable", "CURRENT", "NONE", "ASSET", {"SystemAccount": "DEBTORS"}),
    ("800", "Accounts Payable", "CURRLIAB", "NONE", "LIABILITY", {"SystemAccount": "CREDITORS"}),
    ("820", "GST", "CURRLIAB", "NONE", "LIABILITY", {"SystemAccount": "GST"}),
    ("970", "Owner A Funds Introduced", "EQUITY", "NONE", "EQUITY", {}),
]

TAX_RATES = [
    # tax type, name, rate, report type, sales?, purchases?
    ("OUTPUT", "GST on Income", 15, "OUTPUT", True, False),
    ("INPUT", "GST on Expenses", 15, "INPUT", False, True),
    ("NONE", "No GST", 0, "NONE", True, True),
    ("EXEMPTOUTPUT", "Exempt Income", 0, "EXEMPTOUTPUT", True, False),
    ("EXEMPTINPUT", "Exempt Expenses", 0, "EXEMPTINPUT", False, True),
]

# Units of each currency for one NZD: the "XE.com day rate" Xero uses for a document
# in a foreign currency that gives no CurrencyRate (Invoice.CurrencyRate in
# xero_accounting.yaml). Tests may change them (XeroSandbox.set_day_rate).
DAY_RATES = {"NZD": "1", "AUD": "0.9", "USD": "0.58", "GBP": "0.46", "EUR": "0.54", "CAD": "0.81"}

CURRENCIES = [
    ("NZD", "New Zealand Dollar"),
    ("AUD", "Australian Dollar"),
    ("USD", "United States Dollar"),
    ("GBP", "British Pound"),
    ("EUR", "Euro"),
    ("CAD", "Canadian Dollar"),
]


def install_reference(tenant):
    created = datetime(2020, 1, 1, tzinfo=UTC)
    tenant.organisation = {
        "OrganisationID": stable_id("organisation", tenant.id),
        "APIKey": "",
        "Name": tenant.name,
        "LegalName": f"{tenant.name} Limited",
        "PaysTax": True,
        "Version": "NZ",
        "OrganisationType": "COMPANY",
        "BaseCurrency": "NZD",
        "CountryCode": "NZ",
        "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE",
        "RegistrationNumber": "1234567",
        "TaxNumber": "101-234-567",
        "FinancialYearEndDay": 31,
        "FinancialYearEndMonth": 3,
        "SalesTaxBasis": "INVOICE",
        "SalesTaxPeriod": "TWOMONTHS",
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": created,
        "OrganisationEntityType": "COMPANY",
        "Timezone": "NEWZEALANDSTANDARDTIME",
        "ShortCode": tenant.short_code,
        "Class": "PREMIUM",
        "Edition": "BUSINESS",
        "LineOfBusiness": "Professional services",
        "Addresses": [
            {
                "AddressType": "POBOX",
                "AddressLine1": "PO Box 1234",
                "City": "Wellington",
                "Region": "Wellington",
                "PostalCode": "6140",
                "Country": "New Zealand",
            }
        ],
        "Phones": [{"PhoneType": "OFFICE", "PhoneNumber": "555 0100", "PhoneAreaCode": "4", "PhoneCountryCode": "64"}],
        "ExternalLinks": [],
        "PaymentTerms": {
            "Sales": {"Day": 20, "Type": "OFFOLLOWINGMONTH"},
            "Bills": {"Day": 20, "Type": "OFFOLLOWINGMONTH"},
        },
    }
    tenant.accounts = []
    for code, name, kind, tax, klass, extra in ACCOUNTS:
        account = {
            "AccountID": stable_id("account", tenant.id, code),
            "Code": code,
            "Name": name,
            "Type": kind,
            "TaxType": tax,
            "Status": ACTIVE,
            "Class": klass,
            "EnablePaymentsToAccount": False,
            "ShowInExpenseClaims": False,
            "ReportingCode": klass[:3],
            "HasAttachments": False,
            "UpdatedDateUTC": created,
            **extra,
        }
        if kind == "BANK":
            account.update(BankAccountType="BANK", CurrencyCode="NZD")
        tenant.accounts.append(account)
    tenant.tax_rates = [
        {
            "Name": name,
            "TaxType": tax_type,
            "Status": ACTIVE,
            "ReportTaxType": report,
            "CanApplyToAssets": purchases,
            "CanApplyToEquity": purchases,
            "CanApplyToExpenses": purchases,
            "CanApplyToLiabilities": purchases,
            "CanApplyToRevenue": sales,
            "DisplayTaxRate": rate,
            "EffectiveRate": rate,
            "TaxComponents": [{"Name": "GST", "Rate": rate, "IsCompound": False, "IsNonRecoverable": False}],
        }
        for tax_type, name, rate, report, sales, purchases in TAX_RATES
    ]
    tenant.currencies = [{"Code": code, "Description": text} for code, text in CURRENCIES]
    tenant.day_rates = {code: Decimal(rate) for code, rate in DAY_RATES.items()}


# -- contact generator ----------------------------------------------------------

COUNTRIES = {
    "NZ": (
        "New Zealand",
        "64",
        [
            ("Auckland", "Auckland", "1010", "9"),
            ("Wellington", "Wellington", "6011", "4"),
            ("Christchurch", "Canterbury", "8011", "3"),
            ("Hamilton", "Waikato", "3204", "7"),
            ("Dunedin", "Otago", "9016", "3"),
        ],
    ),
    "AU": (
        "Australia",
        "61",
        [
            ("Sydney", "NSW", "2000", "2"),
            ("Melbourne", "VIC", "3000", "3"),
            ("Brisbane", "QLD", "4000", "7"),
            ("Perth", "WA", "6000", "8"),
            ("Adelaide", "SA", "5000", "8"),
        ],
    ),
    "GB": (
        "United Kingdom",
        "44",
        [
            ("London", "Greater London", "EC1A 1BB", "20"),
            ("Manchester", "Greater Manchester", "M1 1AE", "161"),
            ("Bristol", "Bristol", "BS1 4DJ", "117"),
            ("Leeds", "West Yorkshire", "LS1 4AP", "113"),
        ],
    ),
    "US": (
        "United States",
        "1",
        [
            ("San Francisco", "CA", "94105", "415"),
            ("Austin", "TX", "78701", "512"),
            ("Seattle", "WA", "98101", "206"),
            ("Boston", "MA", "02108", "617"),
            ("Denver", "CO", "80202", "303"),
        ],
    ),
    "CA": ("Canada", "1", [("Toronto", "ON", "M5H 2N2", "416"), ("Vancouver", "BC", "V6B 1A1", "604")]),
    "IE": ("Ireland", "353", [("Dublin", "Co. Dublin", "D02 X285", "1"), ("Cork", "Co. Cork", "T12 RX2C", "21")]),
}
STREETS = [
    "Queen Street",
    "Victoria Road",
    "Harbour View Drive",
    "Station Road",
    "Main Street",
    "Park Avenue",
    "Church Lane",
    "Kingsway",
    "Beach Road",
    "Market Square",
    "Hillside Crescent",
    "Mill Lane",
]
FIRST_NAMES = [
    "Olivia",
    "Jack",
    "Aroha",
    "Oliver",
    "Isla",
    "James",
    "Ruby",
    "Leo",
    "Amelia",
    "Hemi",
    "Grace",
    "Lucas",
    "Zoe",
    "Mateo",
    "Hannah",
    "Ethan",
    "Anika",
    "Samuel",
    "Mere",
    "Daniel",
    "Chen",
    "Aisha",
    "Tomas",
    "Freya",
]
LAST_NAMES = [
    "Smith",
    "Ngata",
    "Brown",
    "Wilson",
    "Taylor",
    "Patel",
    "Nguyen",
    "Kaur",
    "Walker",
    "Thompson",
    "Li",
    "Campbell",
    "Murphy",
    "Kowalski",
    "Fischer",
    "Parata",
    "Singh",
    "Evans",
    "Martin",
    "Garcia",
]
TRADE_WORDS = [
    "Harbour",
    "Summit",
    "Kauri",
    "Silverfern",
    "Riverside",
    "Northern",
    "Coastal",
    "Pioneer",
    "Totara",
    "Bluegum",
    "Atlas",
    "Evergreen",
    "Ironbark",
    "Lakeside",
    "Granite",
    "Meridian",
]
TRADES = [
    "Plumbing",
    "Electrical",
    "Landscaping",
    "Consulting",
    "Veterinary",
    "Dental",
    "Joinery",
    "Catering",
    "Logistics",
    "Design",
    "Engineering",
    "Physiotherapy",
    "Roofing",
    "Printing",
    "Pharmacy",
    "Motors",
]
SUFFIXES = {"NZ": "Ltd", "AU": "Pty Ltd", "GB": "Ltd", "US": "LLC", "CA": "Inc", "IE": "Ltd"}


def tax_number(rng, country):
    digits = [rng.randint(0, 9) for _ in range(11)]
    d = "".join(map(str, digits))
    return {
        "NZ": f"{d[0:3]}-{d[3:6]}-{d[6:9]}",
        "AU": f"{d[0:2]} {d[2:5]} {d[5:8]} {d[8:11]}",
        "GB": f"GB{d[0:9]}",
        "US": f"{d[0:2]}-{d[2:9]}",
        "CA": f"{d[0:9]}RT0001",
        "IE": f"IE{d[0:7]}{'ABCDEFGHW'[digits[7] % 9]}",
    }[country]


def slug(text):
    return re.sub(r"[^a-z0-9]+", "", text.lower()) or "contact"


def contact_record(rng, contact_id, name, country, first="", last="", email=None, company=True):
    country_name, dial, cities = COUNTRIES[country]
    city, region, postcode, area = rng.choice(cities)
    first = first or rng.choice(FIRST_NAMES)
    last = last or rng.choice(LAST_NAMES)
    if email is None:
        email = f"{slug(first)}@{slug(name)}.example" if company else f"{slug(first)}.{slug(last)}@mail.example"
    street = f"{rng.randint(1, 480)} {rng.choice(STREETS)}"
    pobox = {
        "AddressType": "POBOX",
        "AddressLine1": street,
        "City": city,
        "Region": region,
        "PostalCode": postcode,
        "Country": country_name,
    }
    if rng.random() < 0.3:
        pobox["AddressLine2"] = f"Level {rng.randint(1, 12)}"
    if company:
        pobox["AttentionTo"] = f"{first} {last}"
    number = f"{rng.randint(200, 999)} {rng.randint(1000, 9999)}"
    phones = [{"PhoneType": "DEFAULT", "PhoneNumber": number, "PhoneAreaCode": area, "PhoneCountryCode": dial}]
    if rng.random() < 0.5:
        phones.append(
            {
                "PhoneType": "MOBILE",
                "PhoneNumber": f"{rng.randint(20, 29)}{rng.randint(1000000, 9999999)}",
                "PhoneAreaCode": "",
                "PhoneCountryCode": dial,
            }
        )
    record = {
        "ContactID": contact_id,
        "ContactStatus": ACTIVE,
        "Name": name,
        "FirstName": first,
        "LastName": last,
        "EmailAddress": email,
        "Addresses": [pobox, {"AddressType": "STREET", **{k: v for k, v in pobox.items() if k != "AddressType"}}],
        "Phones": phones,
    }
    if company or rng.random() < 0.3:
        record["TaxNumber"] = tax_number(rng, country)
    return record


def generate_contacts(tenant, n, prefix="Contact"):
    """n new ACTIVE contacts named "<prefix> 0001 <trade name>", numbered after
    those already carrying the prefix, so repeated calls never collide."""
    start = sum(1 for c in tenant.contacts.values() if c["Name"].startswith(prefix + " "))
    ids = []
    for index in range(start + 1, start + n + 1):
        rng = random.Random(f"{tenant.id}/{prefix}/{index}")
        country = rng.choice(["NZ", "NZ", "NZ", "AU", "AU", "GB", "US", "CA", "IE"])
        trade = f"{rng.choice(TRADE_WORDS)} {rng.choice(TRADES)} {SUFFIXES[country]}"
        contact_id = stable_id("contact", tenant.id, prefix, index)
        name = f"{prefix} {index:04d} {trade}"
        record = contact_record(rng, contact_id, name, country, email=f"accounts{index}@{slug(trade)}.example")
        record["UpdatedDateUTC"] = now()
        tenant.contacts[contact_id] = record
        ids.append(contact_id)
    return ids


def generate_invoices(tenant, n, contact_ids, today=None):
    """n AUTHORISED sales invoices of 2 lines, spread over `contact_ids` (benchmarks)."""
    today = today or date.today()
    made = []
    for start in range(0, n, 500):
        items = []
        for index in range(start, min(start + 500, n)):
            issued = today - timedelta(days=index % 365)
            items.append(
                {
                    "Type": "ACCREC",
                    "Contact": {"ContactID": contact_ids[index % len(contact_ids)]},
                    "Date": issued.isoformat(),
                    "DueDate": (issued + timedelta(days=20)).isoformat(),
                    "Status": "AUTHORISED",
                    "Reference": f"Generated {index + 1:06d}",
                    "LineItems": [
                        {"Description": "Services", "Quantity": 1 + index % 5, "UnitAmount": 120, "AccountCode": "200"},
                        {"Description": "Materials", "Quantity": 2, "UnitAmount": 35.5, "AccountCode": "200"},
                    ],
                }
            )
        made += tenant.save_documents("Invoice", items)
    return [doc["InvoiceID"] for doc in made]


# -- demo organisation ------------------------------------------------------------

DEMO_COMPANIES = [
    ("Ridgeway University", "NZ"),
    ("Hamilton Smith Ltd", "NZ"),
    ("Marine Systems", "NZ"),
    ("Petrie McLoud Watson & Associates", "NZ"),
    ("City Agency", "NZ"),
    ("Basket Case", "NZ"),
    ("Boom FM", "NZ"),
    ("Young Bros Transport", "NZ"),
    ("Gable Print", "NZ"),
    ("Kiwi Harbour Cafe", "NZ"),
    ("Southern Alps Tours", "NZ"),
    ("Tasman Timber Supplies", "NZ"),
    ("Coastal Dental Clinic", "NZ"),
    ("Pet Haven Veterinary", "NZ"),
    ("Harbourside Accounting", "AU"),
    ("Outback Solar Pty Ltd", "AU"),
    ("Koala Creative Studio", "AU"),
    ("Bondi Surf Supplies", "AU"),
    ("Melbourne Coffee Roasters", "AU"),
    ("Thames Valley Consulting", "GB"),
    ("Pennine Engineering Ltd", "GB"),
    ("Brighton Bakery Co", "GB"),
    ("Caledonian Textiles", "GB"),
    ("Golden Gate Software Inc", "US"),
    ("Lone Star Logistics LLC", "US"),
    ("Emerald City Books", "US"),
    ("Rocky Mountain Outfitters", "US"),
    ("Maple Leaf Imports", "CA"),
    ("Pacific Northwest Fisheries", "CA"),
    ("Liffey Design Studio", "IE"),
    ("Shamrock Medical Supplies", "IE"),
]
DEMO_PEOPLE = [
    ("Ana", "Souza", "NZ"),
    ("Wiremu", "Tane", "NZ"),
    ("Priya", "Sharma", "NZ"),
    ("Liam", "O'Connor", "IE"),
    ("Sofia", "Rossi", "AU"),
    ("Hiroshi", "Tanaka", "AU"),
    ("Emily", "Clarke", "GB"),
    ("Carlos", "Mendez", "US"),
    ("Fatima", "Haddad", "CA"),
    ("Noah", "Williams", "NZ"),
    ("Chloe", "Martin", "GB"),
    ("Mia", "Johnson", "US"),
]
DEMO_ARCHIVED = [("Old Mill Bakery", "NZ"), ("Sunset Video Hire", "AU"), ("Fern Gully Nursery", "NZ")]


def seed_demo(tenant):
    """The demo organisation: ~48 contacts, invoices, payments, a credit note."""
    tenant.new_id = _Ids("demo", tenant.id)
    today = datetime.now(UTC).date()
    start = datetime.combine(today - timedelta(days=90), time(8, 0), tzinfo=UTC)
    by_name = _demo_contacts(tenant, start)
    _demo_documents(tenant, by_name, today)
    tenant.merge(by_name["Ridgeway Uni"], by_name["Ridgeway University"])
    # Seeded records look edited on their own dates, not "just now".
    documents = list(tenant.invoices.values()) + list(tenant.credit_notes.values()) + list(tenant.payments.values())
    for offset, doc in enumerate(documents):
        doc["UpdatedDateUTC"] = datetime.combine(doc["Date"], time(9, 0), tzinfo=UTC) + timedelta(minutes=offset)
    for index, name in enumerate(("Ridgeway Uni", "Ridgeway University")):
        tenant.contacts[by_name[name]]["UpdatedDateUTC"] = start + timedelta(days=30, minutes=index)
    group = tenant.save_groups([{"Name": "VIP Members"}])[0]
    members = [{"ContactID": by_name["Bayside Club"]}, {"ContactID": by_name["Ridgeway University"]}]
    tenant.add_to_group(group["ContactGroupID"], members)
    tenant.new_id = new_id


def _demo_contacts(tenant, start):
    rng = random.Random("xero-sandbox-demo")
    by_name = {}

    def add(record):
        record["UpdatedDateUTC"] = start + timedelta(hours=len(by_name))
        tenant.contacts[record["ContactID"]] = record
        by_name[record["Name"]] = record["ContactID"]

    bayside = contact_record(
        rng,
        stable_id("contact", tenant.id, "Bayside Club"),
        "Bayside Club",
        "NZ",
        first="Bob",
        last="Partridge",
        email="bob@baysideclub.example",
    )
    bayside.update(ContactNumber="BAY-001", AccountNumber="BAY-001", TaxNumber="111-222-333")
    bayside["Addresses"][0].update(
        AddressLine1="PO Box 3354",
        City="Ridder Park",
        Region="Auckland",
        PostalCode="0624",
        AttentionTo="Bob Partridge",
    )
    add(bayside)
    for index, (name, country) in enumerate(DEMO_COMPANIES):
        record = contact_record(rng, stable_id("contact", tenant.id, name), name, country)
        if index % 4 == 0:
            record["AccountNumber"] = f"{slug(name)[:3].upper()}-{100 + index}"
        add(record)
    for first, last, country in DEMO_PEOPLE:
        name = f"{first} {last}"
        add(contact_record(rng, stable_id("contact", tenant.id, name), name, country, first, last, company=False))
    for name, country in DEMO_ARCHIVED:
        record = contact_record(rng, stable_id("contact", tenant.id, name), name, country)
        record["ContactStatus"] = ARCHIVED
        add(record)
    # A duplicate someone merged into the real contact in Xero.
    add(contact_record(rng, stable_id("contact", tenant.id, "Ridgeway Uni"), "Ridgeway Uni", "NZ"))
    return by_name


def _demo_documents(tenant, by_name, today):
    def invoice(contact, days_ago, due_in, lines, status="AUTHORISED", **extra):
        item = {
            "Type": extra.pop("Type", "ACCREC"),
            "Contact": {"ContactID": by_name[contact]},
            "Date": (today - timedelta(days=days_ago)).isoformat(),
            "DueDate": (today - timedelta(days=days_ago) + timedelta(days=due_in)).isoformat(),
            "Status": status,
            "LineItems": [
                {"Description": d, "Quantity": q, "UnitAmount": u, "AccountCode": a, "TaxType": t}
                for d, q, u, a, t in lines
            ],
            **extra,
        }
        return tenant.save_documents("Invoice", [item])[0]

    def pay(inv, amount, days_ago, account="090"):
        tenant.save_payments(
            [
                {
                    "Invoice": {"InvoiceID": inv["InvoiceID"]},
                    "Account": {"Code": account},
                    "Amount": amount,
                    "Date": (today - timedelta(days=days_ago)).isoformat(),
                    "Reference": "Direct credit",
                }
            ]
        )

    membership = [("Annual membership management", 1, 1200, "200", "OUTPUT")]
    invoice("Bayside Club", 60, 30, membership, Reference="Membership 2025")  # overdue
    paid = invoice(
        "Bayside Club",
        45,
        30,
        [("Function room hire", 2, 350, "200", "OUTPUT"), ("Catering", 40, 18.5, "260", "OUTPUT")],
    )
    pay(paid, paid["Total"], 20)
    invoice("Bayside Club", 2, 30, [("Newsletter printing", 500, 0.85, "200", "OUTPUT")], status="DRAFT")
    open_inv = invoice("Bayside Club", 10, 30, [("Bar supplies", 12, 95, "200", "OUTPUT")])
    pay(open_inv, 100, 5)
    note = tenant.save_documents(
        "CreditNote",
        [
            {
                "Type": "ACCRECCREDIT",
                "Contact": {"ContactID": by_name["Bayside Club"]},
                "Date": (today - timedelta(days=8)).isoformat(),
                "Status": "AUTHORISED",
                "Reference": "Damaged stock returned",
                "LineItems": [
                    {
                        "Description": "Returned bar supplies",
                        "Quantity": 1,
                        "UnitAmount": 130.43,
                        "AccountCode": "200",
                        "TaxType": "OUTPUT",
                    }
                ],
            }
        ],
    )[0]
    tenant.allocate(
        note["CreditNoteID"],
        [
            {
                "Amount": 50,
                "Invoice": {"InvoiceID": open_inv["InvoiceID"]},
                "Date": (today - timedelta(days=7)).isoformat(),
            }
        ],
    )
    invoice("Ridgeway Uni", 40, 30, [("Guest lecture series", 4, 450, "200", "OUTPUT")])  # overdue, merged below
    done = invoice("Hamilton Smith Ltd", 70, 20, [("Consulting", 12, 150, "200", "OUTPUT")])
    pay(done, done["Total"], 55)
    invoice("Marine Systems", 15, 20, [("Navigation software licence", 3, 420, "200", "OUTPUT")])
    invoice(
        "Golden Gate Software Inc",
        25,
        30,
        [("Integration services", 16, 125, "200", "NONE")],
        CurrencyCode="USD",
        CurrencyRate=0.59,
    )
    invoice(
        "Pet Haven Veterinary",
        50,
        14,
        [("Clinic software subscription", 1, 299, "200", "OUTPUT")],
        LineAmountTypes="Inclusive",
    )
    invoice("Coastal Dental Clinic", 5, 20, [("Website refresh", 1, 2400, "200", "OUTPUT")], status="SUBMITTED")
    invoice(
        "Tasman Timber Supplies",
        12,
        30,
        [("Timber for fit-out", 1, 860, "429", "INPUT")],
        Type="ACCPAY",
        InvoiceNumber="TT-5541",
    )
