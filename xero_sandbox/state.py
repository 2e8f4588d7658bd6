"""The sandbox's data: organisations and their records, with Xero's rules.

Everything here runs under the sandbox's single lock (see server.py); no
method is thread-safe on its own.
"""

import copy
import re
import uuid
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from .query import UTC, money, now, parse_date, select

ACTIVE, ARCHIVED = "ACTIVE", "ARCHIVED"
EMPTY_ID = "00000000-0000-0000-0000-000000000000"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
CONTACT_TEXT_FIELDS = (
    "ContactNumber",
    "AccountNumber",
    "Name",
    "FirstName",
    "LastName",
    "EmailAddress",
    "TaxNumber",
    "CompanyNumber",
    "BankAccountDetails",
    "DefaultCurrency",
    "Website",
)
ADDRESS_FIELDS = (
    "AddressLine1",
    "AddressLine2",
    "AddressLine3",
    "AddressLine4",
    "City",
    "Region",
    "PostalCode",
    "Country",
    "AttentionTo",
)
PHONE_FIELDS = ("PhoneNumber", "PhoneAreaCode", "PhoneCountryCode")
SEARCHED_FIELDS = ("Name", "FirstName", "LastName", "ContactNumber", "EmailAddress")
PHONE_TYPES = ("DEFAULT", "DDI", "MOBILE", "FAX")
ADDRESS_TYPES = ("POBOX", "STREET")
# Top-level fields whose value in an answer is made by contact_out / document_out, not
# stored as it is: a list filtered or ordered on them sees the answer's records.
CONTACT_SHAPED = {
    "addresses",
    "phones",
    "issupplier",
    "iscustomer",
    "balances",
    "contactgroups",
    "contactpersons",
    "hasattachments",
    "hasvalidationerrors",
}
DOCUMENT_SHAPED = {
    "contactid",
    "contact",
    "lineitems",
    "payments",
    "allocations",
    "amountallocated",
    "creditnotes",
    "isdiscounted",
    "hasattachments",
    "haserrors",
}
LOCKED_MESSAGE = "The document date cannot be before the period lock date"
POSTED = ("AUTHORISED", "PAID", "VOIDED")
CLASS_FLAGS = {
    "REVENUE": "CanApplyToRevenue",
    "EXPENSE": "CanApplyToExpenses",
    "ASSET": "CanApplyToAssets",
    "LIABILITY": "CanApplyToLiabilities",
    "EQUITY": "CanApplyToEquity",
}


class ApiError(Exception):
    """An answer other than 200, with Xero's JSON body."""

    def __init__(self, status, payload):
        super().__init__(payload)
        self.status = status
        self.payload = payload


def validation_exception(elements, message="A validation exception occurred"):
    return ApiError(
        400,
        {"ErrorNumber": 10, "Type": "ValidationException", "Message": message, "Elements": elements},
    )


def bad_request(message):
    return validation_exception([{"ValidationErrors": [{"Message": message}]}], message)


def not_found():
    return ApiError(
        404,
        {"Type": None, "Title": "NotFound", "Status": 404, "Detail": "The resource you're looking for cannot be found"},
    )


def norm(name):
    return " ".join(str(name or "").split()).casefold()


def new_id():
    return str(uuid.uuid4())


def _date_or_today(value, errors):
    if not value:
        return datetime.now(UTC).date()
    try:
        return parse_date(value)
    except ValueError:
        errors.append("Date is not a valid date.")
        return None


def _errors_out(item, messages, id_field=None):
    """Echo a refused item as Xero does, with its validation errors."""
    out = copy.deepcopy(item) if isinstance(item, dict) else {}
    if id_field and not out.get(id_field):
        out[id_field] = EMPTY_ID
    out["HasValidationErrors"] = True
    out["ValidationErrors"] = [{"Message": m} for m in messages]
    return out


def _answer(out, summarize, warnings=()):
    """One item of a write's answer.

    Xero saves the valid items of a batch whatever summarizeErrors says; with
    the default (true) one invalid item turns the answer into a 400 listing
    the invalid ones only, so the saved items' ids are not returned; with
    summarizeErrors=false every item comes back with StatusAttributeString
    (OK, WARNING or ERROR) and its Warnings or ValidationErrors
    (https://developer.xero.com/documentation/api/accounting/overview, "summarizeErrors";
    StatusAttributeString and Warnings in xero_accounting.yaml).
    """
    if warnings:
        out["Warnings"] = [{"Message": m} for m in warnings]
    if not summarize:
        out["StatusAttributeString"] = "ERROR" if out.get("HasValidationErrors") else "WARNING" if warnings else "OK"
    return out


class Tenant:
    """One Xero organisation and everything in it."""

    def __init__(self, tenant_id, name, short_code):
        self.id = tenant_id
        self.name = name
        self.short_code = short_code
        self.created = now()
        self.organisation = {}
        self.accounts = []
        self.tax_rates = []
        self.currencies = []
        self.day_rates = {}  # currency code -> units for one unit of the base currency
        self.contacts = {}  # ContactID -> stored contact
        self.groups = {}  # ContactGroupID -> {"ContactGroupID","Name","Status","members": [ids]}
        self.invoices = {}
        self.credit_notes = {}
        self.payments = {}
        self.sequences = {"INV-": 0, "CN-": 0}
        self.new_id = new_id  # the seed swaps in a deterministic factory

    # -- reference data ---------------------------------------------------

    def account_by(self, code=None, account_id=None):
        for account in self.accounts:
            if (code is not None and account["Code"] == str(code)) or (
                account_id and account["AccountID"] == str(account_id).lower()
            ):
                return account
        return None

    def tax_rate(self, tax_type):
        return next((t for t in self.tax_rates if t["TaxType"] == tax_type), None)

    def lock_date(self):
        """The later of PeriodLockDate and EndOfYearLockDate, or None.

        Xero refuses a document, payment or allocation dated on or before it
        ("The document date cannot be before the period lock date";
        https://central.xero.com/s/article/Lock-dates and the API's
        Organisation.PeriodLockDate / EndOfYearLockDate).
        """
        dates = [self.organisation.get(f) for f in ("PeriodLockDate", "EndOfYearLockDate")]
        dates = [d for d in dates if d]
        return max(dates) if dates else None

    def _check_lock(self, when, errors):
        locked = self.lock_date()
        if locked and when and when <= locked:
            errors.append(LOCKED_MESSAGE)

    # -- contacts -----------------------------------------------------------

    def _roles(self):
        """ContactID -> customer/supplier flags and balances (read-only fields)."""
        roles = {}
        today = datetime.now(UTC).date()
        for doc in list(self.invoices.values()) + list(self.credit_notes.values()):
            if doc["Status"] == "DELETED":
                continue
            info = roles.setdefault(
                doc["ContactID"], {"customer": False, "supplier": False, "AR": [0, 0], "AP": [0, 0]}
            )
            receivable = doc["Type"].startswith("ACCREC")
            info["customer" if receivable else "supplier"] = True
            if "InvoiceID" in doc and doc["Status"] == "AUTHORISED":
                bucket = info["AR" if receivable else "AP"]
                bucket[0] += doc["AmountDue"]
                if doc.get("DueDate") and doc["DueDate"] < today:
                    bucket[1] += doc["AmountDue"]
        return roles

    def _groups_of(self):
        groups = {}
        for group in self.groups.values():
            if group["Status"] != ACTIVE:
                continue
            for member in group["members"]:
                groups.setdefault(member, []).append(
                    {"ContactGroupID": group["ContactGroupID"], "Name": group["Name"], "Status": ACTIVE, "Contacts": []}
                )
        return groups

    def contact_out(self, contact, roles=None, groups=None):
        roles = self._roles() if roles is None else roles
        groups = self._groups_of() if groups is None else groups
        out = {k: v for k, v in contact.items() if k not in ("Addresses", "Phones")}
        stored = {a["AddressType"]: a for a in contact.get("Addresses", [])}
        out["Addresses"] = [
            stored.get(t) or {"AddressType": t, "City": "", "Region": "", "PostalCode": "", "Country": ""}
            for t in ADDRESS_TYPES
        ]
        phones = {p["PhoneType"]: p for p in contact.get("Phones", [])}
        out["Phones"] = [
            phones.get(t) or {"PhoneType": t, "PhoneNumber": "", "PhoneAreaCode": "", "PhoneCountryCode": ""}
            for t in PHONE_TYPES
        ]
        info = roles.get(contact["ContactID"])
        out["IsSupplier"] = bool(info and info["supplier"])
        out["IsCustomer"] = bool(info and info["customer"])
        if info:
            out["Balances"] = {
                "AccountsReceivable": {"Outstanding": info["AR"][0], "Overdue": info["AR"][1]},
                "AccountsPayable": {"Outstanding": info["AP"][0], "Overdue": info["AP"][1]},
            }
        out["ContactGroups"] = groups.get(contact["ContactID"], [])
        out["ContactPersons"] = []
        out["HasAttachments"] = False
        out["HasValidationErrors"] = False
        return out

    def list_contacts(self, where=None, order=None, ids=None, include_archived=False, search=None, since=None):
        roles, groups = self._roles(), self._groups_of()
        wanted = {i.strip().lower() for i in ids if i.strip()} if ids else None
        records = []
        for contact in self.contacts.values():
            if wanted is not None and contact["ContactID"] not in wanted:
                continue
            # Xero hides archived contacts unless asked, except when fetched by id.
            if contact["ContactStatus"] == ARCHIVED and not include_archived and wanted is None:
                continue
            if since is not None and contact["UpdatedDateUTC"] <= since:
                continue
            if search:
                needle = search.casefold()
                haystack = " ".join(str(contact.get(f) or "") for f in SEARCHED_FIELDS).casefold()
                if needle not in haystack:
                    continue
            records.append(contact)
        return select(
            records,
            lambda contact: self.contact_out(contact, roles, groups),
            where,
            order,
            lambda r: (norm(r["Name"]), r["ContactID"]),
            CONTACT_SHAPED,
        )

    def get_contact(self, contact_id):
        contact = self.contacts.get(str(contact_id).lower())
        if contact is None:
            # GET /Contacts/{ContactNumber} shares the path with {ContactID}.
            contact = next((c for c in self.contacts.values() if c.get("ContactNumber") == contact_id), None)
        if contact is None:
            raise not_found()
        return self.contact_out(contact)

    def _outstanding(self, contact_id):
        return any(
            doc["ContactID"] == contact_id and doc["Status"] in ("DRAFT", "SUBMITTED", "AUTHORISED")
            for doc in self.invoices.values()
        )

    def save_contacts(self, items, summarize=True, contact_id=None):
        """PUT/POST /Contacts: create, or update the items naming a ContactID.

        Returns the list of output items; raises the 400 when `summarize` and
        any item is invalid (the valid ones are saved all the same).
        """
        if not isinstance(items, list):
            raise bad_request("Contacts must be a list")
        batch = {
            "active": {norm(c["Name"]): cid for cid, c in self.contacts.items() if c["ContactStatus"] == ACTIVE},
            "numbers": {c["ContactNumber"]: cid for cid, c in self.contacts.items() if c.get("ContactNumber")},
            "staged": {},
        }
        results, failed = [], []
        for index, raw in enumerate(items):
            item = raw if isinstance(raw, dict) else {}
            errors = []
            wanted = contact_id if (contact_id and index == 0) else item.get("ContactID")
            current = self._contact_target(item, wanted, batch, errors)
            record = copy.deepcopy(current) if current else {"ContactID": self.new_id(), "ContactStatus": ACTIVE}
            self._merge_contact(record, item, errors)
            self._check_contact(record, current, batch["active"], errors)
            if errors:
                failed.append(_errors_out(item, errors, "ContactID"))
                results.append(failed[-1])
                continue
            for key, holder in list(batch["active"].items()):
                if holder == record["ContactID"]:
                    del batch["active"][key]
            if record["ContactStatus"] == ACTIVE:
                batch["active"][norm(record["Name"])] = record["ContactID"]
            if record.get("ContactNumber"):
                batch["numbers"][record["ContactNumber"]] = record["ContactID"]
            batch["staged"][record["ContactID"]] = record
            results.append(record)
        for record in batch["staged"].values():
            record["UpdatedDateUTC"] = now()
            self.contacts[record["ContactID"]] = record
        if failed and summarize:
            raise validation_exception(failed)
        roles, groups = self._roles(), self._groups_of()
        return [
            _answer(self.contact_out(r, roles, groups) if "HasValidationErrors" not in r else r, summarize)
            for r in results
        ]

    def _contact_target(self, item, wanted, batch, errors):
        """The stored contact an item updates: by ContactID, else ContactNumber."""
        if wanted:
            key = str(wanted).lower()
            current = batch["staged"].get(key) or self.contacts.get(key)
            if current is None:
                errors.append(f"The contact with ContactID {wanted} could not be found.")
            return current
        holder = batch["numbers"].get(item.get("ContactNumber"))
        return (batch["staged"].get(holder) or self.contacts[holder]) if holder else None

    @staticmethod
    def _merge_contact(record, item, errors):
        record["_old_status"] = record["ContactStatus"]
        record["ContactStatus"] = item.get("ContactStatus", record["ContactStatus"])
        for field in CONTACT_TEXT_FIELDS:
            if field in item:
                record[field] = "" if item[field] is None else str(item[field])
        record["Name"] = str(record.get("Name") or "").strip()
        for field, type_field, allowed, kinds in (
            ("Addresses", "AddressType", ADDRESS_FIELDS, ADDRESS_TYPES),
            ("Phones", "PhoneType", PHONE_FIELDS, PHONE_TYPES),
        ):
            for entry in item.get(field) or []:
                kind = (entry or {}).get(type_field)
                if kind not in kinds:
                    errors.append(f"{type_field} {kind} is not valid.")
                    continue
                # A supplied address/phone replaces the stored one of its type.
                kept = [e for e in record.get(field, []) if e[type_field] != kind]
                kept.append({type_field: kind, **{f: str(entry[f]) for f in allowed if entry.get(f) is not None}})
                record[field] = sorted(kept, key=lambda e, t=type_field, k=kinds: k.index(e[t]))

    def _check_contact(self, record, current, active, errors):
        old_status, status, name = record.pop("_old_status"), record["ContactStatus"], record["Name"]
        if status not in (ACTIVE, ARCHIVED):
            errors.append(f"ContactStatus {status} cannot be set through the API.")
        if current and old_status == ARCHIVED and status != ACTIVE:
            errors.append("This contact has been archived and cannot be edited; restore it (ContactStatus ACTIVE).")
        if not name:
            errors.append("The contact name must be specified.")
        if len(name) > 255:
            errors.append("The contact name must not be longer than 255 characters.")
        email = record.get("EmailAddress") or ""
        if email and not _EMAIL.match(email):
            errors.append("Email address must be valid.")
        holder = active.get(norm(name))
        if status == ACTIVE and name and holder and holder != record["ContactID"]:
            errors.append(
                f"The contact name {name} is already assigned to another contact. "
                "The contact name must be unique across all active contacts."
            )
        if current and old_status == ACTIVE and status == ARCHIVED and self._outstanding(record["ContactID"]):
            errors.append("This contact cannot be archived as it has outstanding invoices.")

    # -- contact groups -----------------------------------------------------

    def group_out(self, group, with_contacts=False):
        out = {k: v for k, v in group.items() if k != "members"}
        out["Contacts"] = []
        if with_contacts:
            out["Contacts"] = [
                {"ContactID": cid, "Name": self.contacts[cid]["Name"]}
                for cid in group["members"]
                if cid in self.contacts
            ]
        out["HasValidationErrors"] = False
        return out

    def get_group(self, group_id):
        group = self.groups.get(str(group_id).lower())
        if group is None:
            raise not_found()
        return group

    def save_groups(self, items, group_id=None):
        results, errors = [], []
        names = {norm(g["Name"]): gid for gid, g in self.groups.items() if g["Status"] == ACTIVE}
        staged = []
        for raw in items or []:
            item = raw if isinstance(raw, dict) else {}
            wanted = group_id or item.get("ContactGroupID")
            group = copy.deepcopy(self.get_group(wanted)) if wanted else None
            group = group or {"ContactGroupID": self.new_id(), "Name": "", "Status": ACTIVE, "members": []}
            if "Name" in item:
                group["Name"] = str(item["Name"] or "").strip()
            if "Status" in item:
                group["Status"] = item["Status"]
            messages = []
            if not group["Name"]:
                messages.append("The contact group name must be specified.")
            holder = names.get(norm(group["Name"]))
            if group["Status"] == ACTIVE and holder and holder != group["ContactGroupID"]:
                messages.append(
                    f"You have already got a contact group called '{group['Name']}'. Please enter a unique name."
                )
            if messages:
                errors.append(_errors_out(item, messages, "ContactGroupID"))
                continue
            if group["Status"] == ACTIVE:
                names[norm(group["Name"])] = group["ContactGroupID"]
            staged.append(group)
        if errors:
            raise validation_exception(errors)
        for group in staged:
            self.groups[group["ContactGroupID"]] = group
            results.append(self.group_out(group))
        return results

    def add_to_group(self, group_id, items):
        group = self.get_group(group_id)
        if group["Status"] != ACTIVE:
            raise bad_request("The contact group has been deleted.")
        wanted = []
        for item in items or []:
            cid = str((item or {}).get("ContactID") or "").lower()
            if cid not in self.contacts:
                raise bad_request(f"The contact with ContactID {cid or '(none)'} could not be found.")
            if self.contacts[cid]["ContactStatus"] == ARCHIVED:
                # Xero refuses the whole request, without naming the contact
                # (https://developer.xero.com/documentation/api/accounting/contactgroups,
                # "Unable to assign an Archived contact." answered to PUT .../Contacts).
                raise bad_request("Unable to assign an Archived contact.")
            wanted.append(cid)
        for cid in wanted:
            if cid not in group["members"]:  # adding twice is harmless
                group["members"].append(cid)
        return [{"ContactID": cid} for cid in wanted]

    def remove_from_group(self, group_id, contact_id=None):
        group = self.get_group(group_id)
        if contact_id is None:
            group["members"] = []
            return
        contact_id = str(contact_id).lower()
        if contact_id not in group["members"]:
            raise not_found()
        group["members"].remove(contact_id)

    # -- invoices and credit notes -------------------------------------------

    DOCS = {
        "Invoice": {
            "id": "InvoiceID",
            "number": "InvoiceNumber",
            "types": ("ACCREC", "ACCPAY"),
            "auto": {"ACCREC": "INV-"},
            "store": "invoices",
            "label": "Invoice",
        },
        "CreditNote": {
            "id": "CreditNoteID",
            "number": "CreditNoteNumber",
            "types": ("ACCRECCREDIT", "ACCPAYCREDIT"),
            "auto": {"ACCRECCREDIT": "CN-"},
            "store": "credit_notes",
            "label": "Credit Note",
        },
    }
    TRANSITIONS = {
        "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
        "SUBMITTED": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
        "AUTHORISED": {"AUTHORISED", "VOIDED"},
        "PAID": {"PAID"},
        "VOIDED": {"VOIDED"},
        "DELETED": {"DELETED"},
    }

    def _resolve_contact(self, ref, staged_contacts):
        """The contact an invoice names; Xero creates one for an unknown Name."""
        ref = ref if isinstance(ref, dict) else {}
        if ref.get("ContactID"):
            contact = self.contacts.get(str(ref["ContactID"]).lower())
            if contact is None:
                return None, f"The contact with ContactID {ref['ContactID']} could not be found."
            return contact, None
        if ref.get("ContactNumber"):
            contact = next((c for c in self.contacts.values() if c.get("ContactNumber") == ref["ContactNumber"]), None)
            if contact is None:
                return None, f"The contact with ContactNumber {ref['ContactNumber']} could not be found."
            return contact, None
        name = str(ref.get("Name") or "").strip()
        if not name:
            return None, "A Contact must be specified for this type of transaction."
        contact = next(
            (c for c in self.contacts.values() if c["ContactStatus"] == ACTIVE and norm(c["Name"]) == norm(name)), None
        )
        if contact is None:
            contact = staged_contacts.get(norm(name)) or {
                "ContactID": self.new_id(),
                "ContactStatus": ACTIVE,
                "Name": name,
            }
            staged_contacts[norm(name)] = contact
        return contact, None

    def _lines(self, items, errors, unitdp=2, discounts=True):
        """Line items as Xero stores them.

        Unit amounts are rounded to 2 decimals unless the request says unitdp=4
        (the unitdp query parameter of xero_accounting.yaml: "You can opt in to
        use four decimal places for unit amounts"). Without `discounts` (credit
        notes: "ACC PAY invoices and credit notes in Xero do not support
        discounts", LineItem.DiscountRate in xero_accounting.yaml) a DiscountRate
        is dropped, so the line is worth its full amount.
        """
        places = Decimal(1).scaleb(-(4 if str(unitdp) == "4" else 2))
        lines = []
        for entry in items if isinstance(items, list) else []:
            raw = entry if isinstance(entry, dict) else {}
            line = {"LineItemID": str(raw.get("LineItemID") or self.new_id()).lower()}
            for field in ("Description", "ItemCode", "AccountCode", "TaxType"):
                if raw.get(field) is not None:
                    line[field] = str(raw[field])
            discount = Decimal(str(raw.get("DiscountRate") or 0)) if discounts else Decimal(0)
            if raw.get("UnitAmount") is None and raw.get("LineAmount") is not None:
                # Xero works the missing unit amount out of the line amount it is given.
                quantity = Decimal(str(raw.get("Quantity") if raw.get("Quantity") is not None else 1)) or Decimal(1)
                given = money(Decimal(str(raw["LineAmount"])))
                unit = (given / quantity / (1 - discount / 100)).quantize(places)
                amount = given
            else:
                quantity = Decimal(str(raw.get("Quantity") if raw.get("Quantity") is not None else 1))
                unit = Decimal(str(raw.get("UnitAmount") or 0)).quantize(places, rounding=ROUND_HALF_UP)
                amount = money(quantity * unit * (1 - discount / 100))
            line["Quantity"], line["UnitAmount"] = quantity, unit
            if discount:
                line["DiscountRate"] = discount
            line["LineAmount"] = amount
            if raw.get("TaxAmount") is not None:
                # Xero keeps a given TaxAmount instead of its own calculation.
                line["TaxAmount"] = money(Decimal(str(raw["TaxAmount"])))
                line["_tax_given"] = True
            account = self.account_by(code=line["AccountCode"]) if line.get("AccountCode") else None
            if line.get("AccountCode") and account is None:
                line["_unknown_account"] = True
            if not line.get("TaxType"):
                line["TaxType"] = (account or {}).get("TaxType") or "NONE"
            rate = self.tax_rate(line["TaxType"])
            if rate is None:
                errors.append(
                    f"The TaxType code '{line['TaxType']}' does not exist "
                    "or cannot be used for this type of transaction."
                )
            elif account is not None and not rate.get(CLASS_FLAGS.get(account.get("Class"), ""), True):
                # A tax rate says which account classes it applies to (TaxRate.CanApplyToRevenue,
                # CanApplyToExpenses... in xero_accounting.yaml): Xero refuses it on the others.
                errors.append(
                    f"The TaxType code '{line['TaxType']}' cannot be used with account code '{account['Code']}'."
                )
            lines.append(line)
        return lines

    def _totals(self, doc):
        """SubTotal, TotalTax, Total from the lines, rounded per line as Xero does."""
        sub, tax = Decimal(0), Decimal(0)
        kind = doc.get("LineAmountTypes", "Exclusive")
        for line in doc["LineItems"]:
            rate = self.tax_rate(line["TaxType"])
            percent = Decimal(str(rate["EffectiveRate"])) if rate and kind != "NoTax" else Decimal(0)
            amount = line["LineAmount"]
            if line.get("_tax_given"):
                line_tax = line["TaxAmount"]
            elif kind == "Inclusive":
                line_tax = money(amount - amount / (1 + percent / 100))
            else:
                line_tax = money(amount * percent / 100)
            sub += amount - line_tax if kind == "Inclusive" else amount
            line["TaxAmount"] = line_tax
            tax += line_tax
        doc["SubTotal"], doc["TotalTax"] = money(sub), money(tax)
        doc["Total"] = money(sub + tax)

    def _settle(self, doc):
        """Amounts due/remaining and the PAID status after any change."""
        if "InvoiceID" in doc:
            doc["AmountDue"] = money(doc["Total"] - doc["AmountPaid"] - doc["AmountCredited"])
            due = doc["AmountDue"]
        else:
            doc["RemainingCredit"] = money(doc["Total"] - doc["AmountPaid"] - doc["AmountAllocated"])
            due = doc["RemainingCredit"]
        if doc["Status"] in ("VOIDED", "DELETED"):
            doc["AmountDue" if "InvoiceID" in doc else "RemainingCredit"] = money(0)
        elif doc["Status"] == "AUTHORISED" and due == 0 and doc["Total"] > 0:
            doc["Status"] = "PAID"
            doc["FullyPaidOnDate"] = datetime.now(UTC).date()
        elif doc["Status"] == "PAID" and due > 0:
            doc["Status"] = "AUTHORISED"
            doc.pop("FullyPaidOnDate", None)

    def save_documents(self, kind, items, summarize=True, doc_id=None, allow_update=True, unitdp=None):
        """PUT/POST /Invoices or /CreditNotes: valid items saved; a 400 for the others when `summarize`."""
        meta = self.DOCS[kind]
        store = getattr(self, meta["store"])
        if not isinstance(items, list):
            raise bad_request(f"{kind}s must be a list")
        batch = {
            "numbers": {
                (d["Type"], norm(d.get(meta["number"]))): d[meta["id"]]
                for d in store.values()
                if d.get(meta["number"]) and d["Status"] != "DELETED"
            },
            "sequences": dict(self.sequences),
            "staged": {},
            "contacts": {},  # contacts created by name on the fly
            "unitdp": unitdp,
        }
        results, failed = [], []
        for index, raw in enumerate(items):
            item = raw if isinstance(raw, dict) else {}
            errors = []
            wanted = doc_id if (doc_id and index == 0) else item.get(meta["id"])
            current = self._document_target(meta, store, batch, item, wanted, allow_update, errors)
            doc = copy.deepcopy(current) if current else self._new_document(kind, meta)
            self._check_status(meta, current, item, errors)
            self._apply_document(doc, item, current, meta, batch, errors)
            warnings = self._unknown_accounts(doc, errors)
            self._number(doc, item, meta, batch, errors)
            if doc["Status"] in POSTED:
                # Posting, changing or voiding a document in a locked period is refused,
                # and so is moving a posted document out of one.
                self._check_lock(doc.get("Date"), errors)
                if current is not None and current["Status"] in POSTED and LOCKED_MESSAGE not in errors:
                    self._check_lock(current.get("Date"), errors)
            if not errors:
                self._totals(doc)
                paid = doc["AmountPaid"] + doc.get("AmountCredited", 0) + doc.get("AmountAllocated", 0)
                if doc["Total"] < paid:
                    errors.append("The total cannot be less than the amount already paid or credited.")
            if errors:
                failed.append(_errors_out(item, errors, meta["id"]))
                results.append(failed[-1])
                continue
            self._settle(doc)
            if doc.get(meta["number"]):
                batch["numbers"][(doc["Type"], norm(doc[meta["number"]]))] = doc[meta["id"]]
            batch["staged"][doc[meta["id"]]] = doc
            results.append((doc, warnings))
        self.sequences = batch["sequences"]
        used = {d["ContactID"] for d in batch["staged"].values()}
        for contact in batch["contacts"].values():
            if contact["ContactID"] in used:
                contact["UpdatedDateUTC"] = now()
                self.contacts[contact["ContactID"]] = contact
        for doc in batch["staged"].values():
            doc["UpdatedDateUTC"] = now()
            store[doc[meta["id"]]] = doc
        # Valid items are saved even when others fail (see _answer).
        if failed and summarize:
            raise validation_exception(failed)
        return [
            _answer(self.document_out(r[0]), summarize, r[1]) if isinstance(r, tuple) else _answer(r, summarize)
            for r in results
        ]

    @staticmethod
    def _unknown_accounts(doc, errors):
        """Lines naming an account Xero does not know: on a draft the code is dropped
        with a warning, on an approved document it is an error (the Warnings example of
        xero_accounting.yaml: "Account code '476' has been removed as it does not match
        a recognised account.")."""
        warnings = []
        for line in doc["LineItems"]:
            if not line.pop("_unknown_account", False):
                continue
            if doc["Status"] == "DRAFT":
                warnings.append(
                    f"Account code '{line['AccountCode']}' has been removed as it does not match a recognised account."
                )
                del line["AccountCode"]
            else:
                errors.append(f"Account code '{line['AccountCode']}' is not a valid code for this document.")
        return warnings

    @staticmethod
    def _document_target(meta, store, batch, item, wanted, allow_update, errors):
        """The stored document an item updates: by id, or (POST) by type and number."""
        if wanted:
            current = batch["staged"].get(str(wanted).lower()) or store.get(str(wanted).lower())
            if current is None:
                errors.append(f"{meta['id']} {wanted} could not be found.")
            return current
        if allow_update and item.get(meta["number"]) and item.get("Type"):
            found = batch["numbers"].get((item["Type"], norm(item[meta["number"]])))
            return (batch["staged"].get(found) or store.get(found)) if found else None
        return None

    def _new_document(self, kind, meta):
        return {
            meta["id"]: self.new_id(),
            "Status": "DRAFT",
            "LineAmountTypes": "Exclusive",
            "LineItems": [],
            "AmountPaid": money(0),
            "CurrencyCode": self.organisation["BaseCurrency"],
            "CurrencyRate": Decimal(1),
            "Date": datetime.now(UTC).date(),
            "Payments": [],
            "Allocations": [],
            **({"AmountCredited": money(0)} if kind == "Invoice" else {"AmountAllocated": money(0)}),
        }

    def _check_status(self, meta, current, item, errors):
        old = current["Status"] if current else None
        status = item.get("Status") or old or "DRAFT"
        if current is None and status not in ("DRAFT", "SUBMITTED", "AUTHORISED"):
            errors.append(f"A new {meta['label'].lower()} can only be created as DRAFT, SUBMITTED or AUTHORISED.")
        elif current is not None and status not in self.TRANSITIONS[old]:
            errors.append(f"This document cannot be edited as it has a status of {old}.")
        settled = current is not None and any(
            current.get(f, 0) > 0 for f in ("AmountPaid", "AmountCredited", "AmountAllocated")
        )
        if status == "VOIDED" and settled:
            errors.append("This document cannot be voided as it has payments or credit allocated to it.")
        if settled and self._locked_edits(current, item):
            # Xero: once a payment or credit is applied, a document's date, due date,
            # reference, contact, currency and lines can no longer change
            # (https://central.xero.com/s/article/Edit-a-paid-invoice: remove the
            # payment first); the API answers this validation error.
            errors.append("This document cannot be edited as it has a payment or credit note allocated to it.")

    def _locked_edits(self, current, item):
        """The fields an item would change on a paid or credited document."""
        changed = []
        if "LineItems" in item:
            changed.append("LineItems")
        for field in ("Date", "DueDate"):
            if item.get(field):
                try:
                    if parse_date(item[field]) != current.get(field):
                        changed.append(field)
                except ValueError:
                    changed.append(field)
        for field in ("Reference", "CurrencyCode", "LineAmountTypes"):
            if field in item and str(item[field] or "") != str(current.get(field) or ""):
                changed.append(field)
        if item.get("CurrencyRate") and Decimal(str(item["CurrencyRate"])) != current.get("CurrencyRate"):
            changed.append("CurrencyRate")
        contact = item.get("Contact") if isinstance(item.get("Contact"), dict) else None
        if contact is not None:
            if contact.get("ContactID"):
                other = str(contact["ContactID"]).lower() != current["ContactID"]
            else:
                other = norm(contact.get("Name")) != norm(self.contacts.get(current["ContactID"], {}).get("Name"))
            if other:
                changed.append("Contact")
        return changed

    def _apply_document(self, doc, item, current, meta, batch, errors):
        self._apply_parties(doc, item, current, meta, batch, errors)
        for field in ("Date", "DueDate"):
            if item.get(field):
                try:
                    doc[field] = parse_date(item[field])
                except ValueError:
                    errors.append(f"{field} is not a valid date.")
        # Url: the source document's link, shown as "Go to <app>" (Invoice.Url in Xero's description).
        for field in ("Reference", "BrandingThemeID", "Url"):
            if field in item:
                doc[field] = str(item[field] or "")
        if item.get("LineAmountTypes"):
            if item["LineAmountTypes"] not in ("Exclusive", "Inclusive", "NoTax"):
                errors.append("LineAmountTypes must be Exclusive, Inclusive or NoTax.")
            doc["LineAmountTypes"] = item["LineAmountTypes"]
        self._apply_money(doc, item, current, batch, errors)

    def _apply_parties(self, doc, item, current, meta, batch, errors):
        if current is None:
            if item.get("Type") not in meta["types"]:
                errors.append(f"{meta['label']} Type must be one of {', '.join(meta['types'])}.")
            doc["Type"] = item.get("Type")
        elif item.get("Type") and item["Type"] != doc["Type"]:
            errors.append(f"The Type of a {meta['label'].lower()} cannot be changed.")
        if "Contact" in item or current is None:
            contact, message = self._resolve_contact(item.get("Contact"), batch["contacts"])
            if message:
                errors.append(message)
            elif contact["ContactStatus"] == ARCHIVED:
                errors.append(f"The contact {contact['Name']} is archived and cannot be used on transactions.")
            else:
                doc["ContactID"] = contact["ContactID"]

    def _apply_money(self, doc, item, current, batch, errors):
        if item.get("CurrencyCode"):
            if not any(c["Code"] == item["CurrencyCode"] for c in self.currencies):
                errors.append(f"The currency {item['CurrencyCode']} is not enabled for this organisation.")
            doc["CurrencyCode"] = item["CurrencyCode"]
        if item.get("CurrencyRate"):
            doc["CurrencyRate"] = Decimal(str(item["CurrencyRate"]))
        elif item.get("CurrencyCode") and item["CurrencyCode"] != (current or {}).get("CurrencyCode"):
            # "If no rate is specified, the XE.com day rate is used" (Invoice.CurrencyRate
            # in xero_accounting.yaml): never 1.0 for a foreign currency.
            doc["CurrencyRate"] = self.day_rates.get(item["CurrencyCode"], Decimal(1))
        if "LineItems" in item:
            doc["LineItems"] = self._lines(item["LineItems"], errors, batch["unitdp"], "InvoiceID" in doc)
        status = item.get("Status") or doc["Status"]
        if status in ("SUBMITTED", "AUTHORISED") and status != (current or {}).get("Status"):
            if not doc["LineItems"]:
                errors.append("At least one line item must be specified.")
            if any(not line.get("AccountCode") for line in doc["LineItems"]):
                errors.append("Account code must be specified on every line before approving.")
        doc["Status"] = status

    @staticmethod
    def _number(doc, item, meta, batch, errors):
        """A given number must be unique per type; ACCREC ones are numbered."""
        number = item.get(meta["number"])
        if number:
            holder = batch["numbers"].get((doc.get("Type"), norm(number)))
            if holder and holder != doc[meta["id"]]:
                errors.append(f"{meta['label']} # must be unique.")
            doc[meta["number"]] = str(number)
        elif not doc.get(meta["number"]) and doc.get("Type") in meta["auto"]:
            prefix = meta["auto"][doc["Type"]]
            while True:
                batch["sequences"][prefix] += 1
                candidate = f"{prefix}{batch['sequences'][prefix]:04d}"
                if (doc["Type"], norm(candidate)) not in batch["numbers"]:
                    break
            doc[meta["number"]] = candidate

    def document_out(self, doc, with_lines=True):
        contact = self.contacts.get(doc["ContactID"], {})
        out = {k: v for k, v in doc.items() if k not in ("ContactID", "Payments", "Allocations", "AmountAllocated")}
        out["Contact"] = {"ContactID": doc["ContactID"], "Name": contact.get("Name", "")}
        if not with_lines:
            out.pop("LineItems", None)
        else:
            out["LineItems"] = [{k: v for k, v in line.items() if not k.startswith("_")} for line in doc["LineItems"]]
        out["Payments"] = [
            {"PaymentID": p["PaymentID"], "Date": p["Date"], "Amount": p["Amount"], "Reference": p.get("Reference", "")}
            for p in (self.payments.get(pid) for pid in doc["Payments"])
            if p and p["Status"] == "AUTHORISED"
        ]
        if "InvoiceID" in doc:
            out["CreditNotes"] = [
                {
                    "CreditNoteID": a["CreditNoteID"],
                    "CreditNoteNumber": self.credit_notes[a["CreditNoteID"]].get("CreditNoteNumber", ""),
                    "AppliedAmount": a["Amount"],
                    "Total": self.credit_notes[a["CreditNoteID"]]["Total"],
                }
                for a in doc["Allocations"]
            ]
            out["IsDiscounted"] = False
        else:
            out["Allocations"] = [self.allocation_out(a) for a in doc["Allocations"]]
        out["HasAttachments"] = False
        out["HasErrors"] = False
        return out

    def allocation_out(self, allocation):
        invoice = self.invoices[allocation["InvoiceID"]]
        return {
            "AllocationID": allocation["AllocationID"],
            "Amount": allocation["Amount"],
            "Date": allocation["Date"],
            "Invoice": {"InvoiceID": invoice["InvoiceID"], "InvoiceNumber": invoice.get("InvoiceNumber", "")},
            "CreditNote": {
                "CreditNoteID": allocation["CreditNoteID"],
                "CreditNoteNumber": self.credit_notes[allocation["CreditNoteID"]].get("CreditNoteNumber", ""),
            },
        }

    def get_document(self, kind, doc_id):
        meta = self.DOCS[kind]
        store = getattr(self, meta["store"])
        doc = store.get(str(doc_id).lower())
        if doc is None:  # the path also takes a number
            doc = next((d for d in store.values() if d.get(meta["number"]) == doc_id), None)
        if doc is None:
            raise not_found()
        return doc

    def list_documents(
        self,
        kind,
        where=None,
        order=None,
        since=None,
        ids=None,
        numbers=None,
        contact_ids=None,
        statuses=None,
        with_lines=True,
    ):
        meta = self.DOCS[kind]
        store = getattr(self, meta["store"])
        lower = lambda values: {v.strip().lower() for v in values if v.strip()} if values else None  # noqa: E731
        ids, contact_ids = lower(ids), lower(contact_ids)
        numbers = {n.strip() for n in numbers if n.strip()} if numbers else None
        statuses = {s.strip().upper() for s in statuses if s.strip()} if statuses else None
        records = []
        for doc in store.values():
            if ids is not None and doc[meta["id"]] not in ids:
                continue
            if numbers is not None and doc.get(meta["number"]) not in numbers:
                continue
            if contact_ids is not None and doc["ContactID"] not in contact_ids:
                continue
            if statuses is not None and doc["Status"] not in statuses:
                continue
            if since is not None and doc["UpdatedDateUTC"] <= since:
                continue
            records.append(doc)
        return select(
            records,
            lambda doc: self.document_out(doc, with_lines),
            where,
            order,
            lambda r: (r["Date"], r.get(meta["number"]) or "", r[meta["id"]]),
            DOCUMENT_SHAPED,
        )

    # -- payments and allocations -------------------------------------------

    def _paid(self, payment):
        """The invoice or credit note (a refund paid out) a payment settles."""
        if payment.get("CreditNoteID"):
            return self.credit_notes[payment["CreditNoteID"]]
        return self.invoices[payment["InvoiceID"]]

    def payment_out(self, payment):
        doc = self._paid(payment)
        contact = self.contacts.get(doc["ContactID"], {})
        account = self.account_by(account_id=payment["AccountID"])
        out = {
            "PaymentID": payment["PaymentID"],
            "Date": payment["Date"],
            "Amount": payment["Amount"],
            "Reference": payment.get("Reference", ""),
            "CurrencyRate": payment["CurrencyRate"],
            "PaymentType": {
                "ACCREC": "ACCRECPAYMENT",
                "ACCPAY": "ACCPAYPAYMENT",
                "ACCRECCREDIT": "ARCREDITPAYMENT",
            }.get(doc["Type"], "APCREDITPAYMENT"),
            "Status": payment["Status"],
            "IsReconciled": bool(payment.get("IsReconciled")),
            "UpdatedDateUTC": payment["UpdatedDateUTC"],
            "HasAccount": True,
            "HasValidationErrors": False,
            "Account": {"AccountID": account["AccountID"], "Code": account["Code"], "Name": account["Name"]},
        }
        party = {"Type": doc["Type"], "Contact": {"ContactID": doc["ContactID"], "Name": contact.get("Name", "")}}
        if "InvoiceID" in doc:
            out["Invoice"] = {"InvoiceID": doc["InvoiceID"], "InvoiceNumber": doc.get("InvoiceNumber", ""), **party}
        else:
            out["CreditNote"] = {
                "CreditNoteID": doc["CreditNoteID"],
                "CreditNoteNumber": doc.get("CreditNoteNumber", ""),
                **party,
            }
        return out

    def save_payments(self, items, summarize=True):
        if not isinstance(items, list):
            raise bad_request("Payments must be a list")
        remaining, staged, results, failed = {}, [], [], []
        for raw in items:
            item = raw if isinstance(raw, dict) else {}
            errors = []
            doc, account = self._payment_parties(item, errors)
            amount = money(item.get("Amount") or 0)
            if amount <= 0:
                errors.append("Payment amount must be greater than zero.")
            elif doc is not None and not errors:
                doc_id = doc.get("InvoiceID") or doc["CreditNoteID"]
                left = remaining.get(doc_id, doc.get("AmountDue", doc.get("RemainingCredit")))
                if amount > left:
                    errors.append("Payment amount exceeds the amount outstanding on this document.")
                remaining[doc_id] = left - amount
            paid_on = _date_or_today(item.get("Date"), errors)
            self._check_lock(paid_on, errors)
            if errors:
                failed.append(_errors_out(item, errors, "PaymentID"))
                results.append(failed[-1])
                continue
            id_field = "InvoiceID" if "InvoiceID" in doc else "CreditNoteID"
            payment = {
                "PaymentID": self.new_id(),
                id_field: doc[id_field],
                "AccountID": account["AccountID"],
                "Date": paid_on,
                "Amount": amount,
                "Reference": str(item.get("Reference") or ""),
                "CurrencyRate": self._payment_rate(item, doc),
                "Status": "AUTHORISED",
            }
            staged.append(payment)
            results.append(payment)
        for payment in staged:
            payment["UpdatedDateUTC"] = now()
            self.payments[payment["PaymentID"]] = payment
            doc = self._paid(payment)
            doc["Payments"].append(payment["PaymentID"])
            doc["AmountPaid"] = money(doc["AmountPaid"] + payment["Amount"])
            self._settle(doc)
            doc["UpdatedDateUTC"] = now()
        if failed and summarize:
            raise validation_exception(failed)
        return [_answer(self.payment_out(r) if "HasValidationErrors" not in r else r, summarize) for r in results]

    def _payment_rate(self, item, doc):
        """The given rate, else (a foreign currency) the day rate, as for documents
        ("If no rate is specified, the XE.com day rate is used", xero_accounting.yaml)."""
        if item.get("CurrencyRate"):
            return Decimal(str(item["CurrencyRate"]))
        if doc["CurrencyCode"] != self.organisation.get("BaseCurrency"):
            return self.day_rates.get(doc["CurrencyCode"], doc["CurrencyRate"])
        return Decimal(1)

    def _payment_parties(self, item, errors):
        """The invoice or credit note (by id or number) and the account (AccountID or Code) paid."""
        doc = None
        if isinstance(item.get("CreditNote"), dict):
            ref = item["CreditNote"]
            if ref.get("CreditNoteID"):
                doc = self.credit_notes.get(str(ref["CreditNoteID"]).lower())
            elif ref.get("CreditNoteNumber"):
                number = ref["CreditNoteNumber"]
                doc = next((n for n in self.credit_notes.values() if n.get("CreditNoteNumber") == number), None)
            if doc is None:
                errors.append("Credit note could not be found: give CreditNote.CreditNoteID or CreditNoteNumber.")
        else:
            ref = item.get("Invoice") if isinstance(item.get("Invoice"), dict) else {}
            if ref.get("InvoiceID"):
                doc = self.invoices.get(str(ref["InvoiceID"]).lower())
            elif ref.get("InvoiceNumber"):
                number = ref["InvoiceNumber"]
                doc = next((i for i in self.invoices.values() if i.get("InvoiceNumber") == number), None)
            if doc is None:
                errors.append("Invoice could not be found: give Invoice.InvoiceID or Invoice.InvoiceNumber.")
        if doc is not None and doc["Status"] != "AUTHORISED":
            errors.append("Payment can only be made against Authorised documents.")
        ref = item.get("Account") if isinstance(item.get("Account"), dict) else {}
        account = self.account_by(code=ref.get("Code"), account_id=ref.get("AccountID"))
        if account is None:
            errors.append("Account could not be found: give Account.AccountID or Account.Code.")
        elif account["Type"] != "BANK" and not account.get("EnablePaymentsToAccount"):
            errors.append(f"Account {account['Code']} is not enabled for payments.")
        return doc, account

    def record_payment(self, item):
        """A payment an accountant makes in Xero itself, e.g. reconciling a bank-feed line with the
        invoice: Xero's own rules (as PUT /Payments), then marked reconciled with the bank line."""
        [answer] = self.save_payments([item], summarize=True)
        payment = self.payments[answer["PaymentID"]]
        payment["IsReconciled"] = True
        return self.payment_out(payment)

    def delete_payment(self, payment_id, item):
        payment = self.payments.get(str(payment_id).lower())
        if payment is None:
            raise not_found()
        if (item or {}).get("Status") != "DELETED":
            raise bad_request("A payment can only be changed by setting its Status to DELETED.")
        locked = []
        self._check_lock(payment["Date"], locked)
        if locked and payment["Status"] != "DELETED":
            raise bad_request(LOCKED_MESSAGE)
        if payment["Status"] != "DELETED":
            payment["Status"] = "DELETED"
            payment["UpdatedDateUTC"] = now()
            doc = self._paid(payment)
            doc["AmountPaid"] = money(doc["AmountPaid"] - payment["Amount"])
            self._settle(doc)
            doc["UpdatedDateUTC"] = now()
        return [self.payment_out(payment)]

    def allocate(self, credit_note_id, items):
        note = self.get_document("CreditNote", credit_note_id)
        staged, errors = [], []
        left = note.get("RemainingCredit", money(0))
        for raw in items if isinstance(items, list) else []:
            item = raw if isinstance(raw, dict) else {}
            ref = item.get("Invoice") if isinstance(item.get("Invoice"), dict) else {}
            invoice = self.invoices.get(str(ref.get("InvoiceID") or "").lower())
            amount = money(item.get("Amount") or 0)
            messages = self._allocation_errors(note, invoice, amount, left)
            when = _date_or_today(item.get("Date"), messages)
            self._check_lock(when, messages)
            if messages:
                errors.append(_errors_out(item, messages, "AllocationID"))
                continue
            left -= amount
            staged.append(
                {
                    "AllocationID": self.new_id(),
                    "CreditNoteID": note["CreditNoteID"],
                    "InvoiceID": invoice["InvoiceID"],
                    "Amount": amount,
                    "Date": when,
                }
            )
        if errors:
            raise validation_exception(errors)
        for allocation in staged:
            invoice = self.invoices[allocation["InvoiceID"]]
            invoice["Allocations"].append(allocation)
            invoice["AmountCredited"] = money(invoice["AmountCredited"] + allocation["Amount"])
            note["Allocations"].append(allocation)
            note["AmountAllocated"] = money(note["AmountAllocated"] + allocation["Amount"])
            for doc in (invoice, note):
                self._settle(doc)
                doc["UpdatedDateUTC"] = now()
        return [self.allocation_out(a) for a in staged]

    def delete_allocation(self, credit_note_id, allocation_id):
        """DELETE /CreditNotes/{id}/Allocations/{AllocationID}: the credit is free again."""
        note = self.get_document("CreditNote", credit_note_id)
        allocation = next((a for a in note["Allocations"] if a["AllocationID"] == str(allocation_id).lower()), None)
        if allocation is None:
            raise not_found()
        invoice = self.invoices[allocation["InvoiceID"]]
        out = self.allocation_out(allocation)
        note["Allocations"].remove(allocation)
        invoice["Allocations"] = [a for a in invoice["Allocations"] if a["AllocationID"] != allocation["AllocationID"]]
        note["AmountAllocated"] = money(note["AmountAllocated"] - allocation["Amount"])
        invoice["AmountCredited"] = money(invoice["AmountCredited"] - allocation["Amount"])
        for doc in (invoice, note):
            self._settle(doc)
            doc["UpdatedDateUTC"] = now()
        return dict(out, IsDeleted=True)

    @staticmethod
    def _allocation_errors(note, invoice, amount, left):
        messages = []
        if note["Status"] != "AUTHORISED":
            messages.append("Only an authorised credit note can be allocated.")
        if invoice is None:
            messages.append("Invoice could not be found.")
        else:
            if invoice["Status"] != "AUTHORISED":
                messages.append("The invoice must be authorised and unpaid to take a credit.")
            if invoice["ContactID"] != note["ContactID"]:
                messages.append("The invoice and the credit note must belong to the same contact.")
            if invoice["CurrencyCode"] != note["CurrencyCode"]:
                messages.append("The invoice and the credit note must be in the same currency.")
            if amount > invoice["AmountDue"]:
                messages.append("The amount allocated exceeds the amount due on the invoice.")
        if amount <= 0:
            messages.append("The amount allocated must be greater than zero.")
        elif amount > left:
            messages.append("The amount allocated exceeds the remaining credit.")
        return messages

    # -- sandbox-side edits (what a Xero user would do in the web app) ------

    def merge(self, from_id, into_id):
        source = self.contacts.get(str(from_id).lower())
        target = self.contacts.get(str(into_id).lower())
        if source is None or target is None or source is target:
            raise KeyError("both contacts must exist and differ")
        # Xero moves the transactions to the surviving contact.
        for doc in list(self.invoices.values()) + list(self.credit_notes.values()):
            if doc["ContactID"] == source["ContactID"]:
                doc["ContactID"] = target["ContactID"]
                doc["UpdatedDateUTC"] = now()
        for group in self.groups.values():
            if source["ContactID"] in group["members"]:
                group["members"].remove(source["ContactID"])
                if target["ContactID"] not in group["members"]:
                    group["members"].append(target["ContactID"])
        source["ContactStatus"] = ARCHIVED
        source["MergedToContactID"] = target["ContactID"]
        source["UpdatedDateUTC"] = now()
        target["UpdatedDateUTC"] = now()

    def edit_contact(self, contact_id, fields):
        contact = self.contacts.get(str(contact_id).lower())
        if contact is None:
            raise KeyError(contact_id)
        for key, value in fields.items():
            if key in ("Addresses", "Phones"):
                type_field = "AddressType" if key == "Addresses" else "PhoneType"
                kept = {e[type_field]: e for e in contact.get(key, [])}
                for entry in value:
                    kept[entry[type_field]] = dict(entry)
                contact[key] = list(kept.values())
            else:
                contact[key] = value
        contact["UpdatedDateUTC"] = now()
