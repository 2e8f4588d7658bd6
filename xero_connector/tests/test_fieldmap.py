import pytest

from xero_connector import fieldmap
from xero_connector.fieldmap import Difference, clean_for_odoo, compare, from_xero, normalise, same, signature, to_xero

CONTACT = {
    "ContactID": "c-1",
    "Name": "Acme Ltd",
    "FirstName": "Ann",
    "LastName": "Lee",
    "EmailAddress": "ann@acme.example",
    "TaxNumber": "12-345-678",
    "IsCustomer": True,
    "Phones": [
        {"PhoneType": "MOBILE", "PhoneNumber": "021 555"},
        {"PhoneType": "DEFAULT", "PhoneCountryCode": "64", "PhoneAreaCode": "9", "PhoneNumber": "555 0101"},
    ],
    "Addresses": [
        {"AddressType": "STREET", "AddressLine1": "1 Street Rd", "City": "Wellington"},
        {
            "AddressType": "POBOX",
            "AddressLine1": "PO Box 42",
            "City": "Auckland",
            "Region": "",
            "PostalCode": "1010",
            "Country": "New Zealand",
        },
    ],
}


def test_fields_order_and_labels():
    assert fieldmap.KEYS == (
        "name", "first_name", "last_name", "email", "phone",
        "street", "street2", "city", "state", "zip", "country", "vat",
    )  # fmt: skip
    assert fieldmap.label("last_name") == "Surname"
    assert fieldmap.label("zip") == "ZIP / postal code"
    assert all(f.label for f in fieldmap.FIELDS)


def test_from_xero_full_contact():
    assert from_xero(CONTACT) == {
        "name": "Acme Ltd",
        "first_name": "Ann",
        "last_name": "Lee",
        "email": "ann@acme.example",
        "phone": "+64 9 555 0101",  # the country code as a dialling prefix
        "street": "PO Box 42",  # POBOX, not STREET
        "street2": None,
        "city": "Auckland",
        "state": None,
        "zip": "1010",
        "country": "New Zealand",
        "vat": "12-345-678",
    }


def test_from_xero_empty_contact_and_partial_phone():
    assert from_xero({}) == dict.fromkeys(fieldmap.KEYS)
    contact = {"Phones": [{"PhoneType": "DEFAULT", "PhoneCountryCode": "", "PhoneNumber": "555 0101"}]}
    assert from_xero(contact)["phone"] == "555 0101"
    assert from_xero({"Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "  "}]})["phone"] is None


def test_to_xero_keeps_other_entries_and_contact_id():
    payload = to_xero({"name": "Acme NZ", "phone": "+64 9 555 0202", "city": "Hamilton"}, base=CONTACT)
    assert payload["ContactID"] == "c-1"
    assert payload["Name"] == "Acme NZ"
    # Only what was asked is written.
    assert "EmailAddress" not in payload and "TaxNumber" not in payload and "IsCustomer" not in payload
    assert payload["Phones"] == [
        {"PhoneType": "MOBILE", "PhoneNumber": "021 555"},
        # Xero's three parts filled, as Odoo's phone_validation reads the number.
        {"PhoneType": "DEFAULT", "PhoneCountryCode": "64", "PhoneAreaCode": "9", "PhoneNumber": "5550202"},
    ]
    street, pobox = payload["Addresses"]
    assert street == CONTACT["Addresses"][0]
    # The other parts of the rewritten address come from base.
    assert pobox == {**CONTACT["Addresses"][1], "City": "Hamilton"}
    # base itself is not modified.
    assert CONTACT["Addresses"][1]["City"] == "Auckland"
    assert CONTACT["Phones"][1]["PhoneNumber"] == "555 0101"


def test_to_xero_creates_default_phone_and_pobox():
    base = {
        "ContactID": "c-2",
        "Phones": [{"PhoneType": "FAX", "PhoneNumber": "1"}],
        "Addresses": [{"AddressType": "STREET", "City": "X"}],
    }
    payload = to_xero({"phone": "555", "street": "Main St", "country": "NZ"}, base=base)
    assert payload["Phones"][0] == {"PhoneType": "FAX", "PhoneNumber": "1"}
    assert payload["Phones"][1] == {
        "PhoneType": "DEFAULT", "PhoneCountryCode": "", "PhoneAreaCode": "", "PhoneNumber": "555",
    }  # fmt: skip
    assert payload["Addresses"] == [
        {"AddressType": "STREET", "City": "X"},
        {"AddressType": "POBOX", "AddressLine1": "Main St", "Country": "NZ"},
    ]


def test_to_xero_without_base():
    payload = to_xero({"email": "a@b.example", "zip": "1010"})
    assert payload == {"EmailAddress": "a@b.example", "Addresses": [{"AddressType": "POBOX", "PostalCode": "1010"}]}
    assert "Phones" not in payload and "ContactID" not in payload


def test_to_xero_clears_with_empty_string():
    payload = to_xero({"vat": None, "first_name": "", "last_name": False, "city": None}, base=CONTACT)
    assert payload["TaxNumber"] == "" and payload["FirstName"] == "" and payload["LastName"] == ""
    assert payload["Addresses"][1]["City"] == ""
    payload = to_xero({"phone": None}, base=CONTACT)
    assert payload["Phones"][1]["PhoneNumber"] == ""


def test_to_xero_round_trip():
    values = from_xero(CONTACT)
    values["phone"] = "+64 9 555 0101"
    assert compare(values, from_xero(to_xero(values, base=CONTACT)), None) == []


def test_to_xero_refuses_unknown_keys():
    with pytest.raises(KeyError):
        to_xero({"mobile": "1"})


@pytest.mark.parametrize(
    ("key", "a", "b"),
    [
        ("name", "  Acme   Ltd ", "Acme Ltd"),
        ("name", "Acme\tLtd\n", "Acme Ltd"),
        ("name", "", None),
        ("name", "   ", None),
        ("name", False, None),
        ("city", "Montre\u0301al", "Montr\u00e9al"),  # NFD vs NFC
        ("email", "Ann@ACME.example ", "ann@acme.example"),
        ("phone", "+64 9 555 0101", "+6495550101"),
        ("phone", "+64 9 555 0101", "64 9 555 0101"),  # Xero's country code has no "+"
        ("phone", "(09) 555-0101", "09 555 0101"),
        ("country", "NEW ZEALAND", "New Zealand"),
        ("state", "auckland", "Auckland"),
        ("vat", "gb 123.456-78", "GB12345678"),
    ],
)
def test_noise_is_not_a_difference(key, a, b):
    assert same(key, a, b)
    assert compare({key: a}, {key: b}, None) == []


@pytest.mark.parametrize(
    ("key", "a", "b"),
    [
        ("name", "Acme", "ACME"),  # names keep their case
        ("name", "Acme", None),
        ("phone", "n/a", None),
        ("email", "a@b.example", "a@c.example"),
    ],
)
def test_real_changes_differ(key, a, b):
    assert not same(key, a, b)


def test_normalise():
    assert normalise("name", None) is None
    assert normalise("name", " a  b ") == "a b"
    assert normalise("vat", " . - ") is None
    assert normalise("phone", "+64 (9) 555-0101") == "6495550101"


def test_compare_kinds():
    synced = {"name": "Acme", "email": "a@x.example", "city": "Auckland", "vat": "1"}
    local = {"name": "Acme Ltd", "email": "a@x.example", "city": "Hamilton", "vat": "1"}
    remote = {"name": "Acme", "email": "b@x.example", "city": "Tauranga", "vat": "1"}
    diffs = compare(local, remote, synced)
    assert [(d.key, d.kind) for d in diffs] == [("name", "push"), ("email", "pull"), ("city", "conflict")]
    name = diffs[0]
    assert name == Difference("name", "Company name", "Acme Ltd", "Acme", "Acme", "push")
    assert (name.can_push, name.can_pull) == (True, False)
    assert (diffs[1].can_push, diffs[1].can_pull) == (False, True)
    assert (diffs[2].can_push, diffs[2].can_pull) == (True, True)


def test_compare_unsynced_and_partial_synced():
    local = {"name": "A", "phone": "1", "vat": "X"}
    remote = {"name": "B", "phone": "2", "vat": "Y"}
    diffs = compare(local, remote, None)
    assert [(d.key, d.kind, d.synced) for d in diffs] == [
        ("name", "unsynced", None), ("phone", "unsynced", None), ("vat", "unsynced", None),
    ]  # fmt: skip
    assert all(d.can_push and d.can_pull for d in diffs)
    # Only some keys have a history; a synced None is a known empty value.
    diffs = compare(local, remote, {"name": "A", "phone": None})
    assert [(d.key, d.kind) for d in diffs] == [("name", "pull"), ("phone", "conflict"), ("vat", "unsynced")]


def test_compare_missing_keys_and_noise_in_synced():
    # A key absent on one side reads as empty; synced noise does not make a conflict.
    diffs = compare({"email": "A@X.example "}, {}, {"email": "a@x.example"})
    assert [(d.key, d.kind) for d in diffs] == [("email", "pull")]
    diffs = compare({"phone": "+64 9 1"}, {"phone": "+6492"}, {"phone": "+6491"})
    assert [(d.key, d.kind) for d in diffs] == [("phone", "pull")]


def test_signature_stable_and_changing():
    sig = signature(Difference("email", "Email", "A@x.example", "b@x.example", None, "unsynced"))
    assert len(sig) == 40
    # Same values after normalisation, other synced value or kind: same signature.
    assert sig == signature(Difference("email", "Email", " a@X.example", "B@x.example", "c", "conflict"))
    assert sig != signature(Difference("email", "Email", "a2@x.example", "b@x.example", None, "unsynced"))
    assert sig != signature(Difference("email", "Email", "a@x.example", "b2@x.example", None, "unsynced"))
    # Swapping sides is a different difference.
    assert sig != signature(Difference("email", "Email", "b@x.example", "a@x.example", None, "unsynced"))
    # An empty side is not confused with a text.
    assert signature(Difference("name", "N", None, "x", None, "push")) != signature(
        Difference("name", "N", "None", "x", None, "push")
    )


def test_clean_for_odoo_empty():
    clean, problems = clean_for_odoo(dict.fromkeys(fieldmap.KEYS))
    assert clean == dict.fromkeys(fieldmap.KEYS)
    assert problems == []
    assert clean_for_odoo({"name": "  ", "city": ""}) == ({"name": None, "city": None}, [])


def test_clean_for_odoo_whitespace_and_nfc_without_problems():
    clean, problems = clean_for_odoo({"name": "  Caf\u0065\u0301   Ltd\n", "email": " ann@acme.example "})
    assert clean == {"name": "Caf\u00e9 Ltd", "email": "ann@acme.example"}
    assert problems == []


def test_clean_for_odoo_truncates_long_text():
    clean, problems = clean_for_odoo({"name": "N" * 300, "city": "C" * 200, "street": "S" * 100})
    assert clean["name"] == "N" * 256
    assert clean["city"] == "C" * 128
    assert clean["street"] == "S" * 100
    assert problems == [
        "Company name was longer than 256 characters: cut to 256.",
        "City was longer than 128 characters: cut to 128.",
    ]


@pytest.mark.parametrize("email", ["not an email", "ann@", "@acme.example", "a@b@c.example", "ann@acme"])
def test_clean_for_odoo_drops_invalid_email(email):
    clean, problems = clean_for_odoo({"email": email, "name": "Acme"})
    assert clean == {"email": None, "name": "Acme"}
    assert problems == [f'Email "{email}" is not a valid address: not imported']


def test_clean_for_odoo_drops_overlong_email_rather_than_cutting_it():
    clean, problems = clean_for_odoo({"email": "a" * 300 + "@acme.example"})
    assert clean["email"] is None
    assert problems[0].startswith('Email "aaa') and problems[0].endswith("not a valid address: not imported")


def test_clean_for_odoo_control_characters():
    clean, problems = clean_for_odoo({"name": "Ac\x00me\x07 Ltd", "city": "Auck\tland", "vat": "\ud800GB1"})
    assert clean == {"name": "Acme Ltd", "city": "Auck land", "vat": "GB1"}
    assert problems == [
        "Company name: removed 2 control character(s).",
        "Tax number: removed 1 control character(s).",
    ]


def test_clean_for_odoo_keeps_emoji_and_cjk():
    values = {"name": "東京商事 🍣", "last_name": "Zoë 👨\u200d👩\u200d👧", "city": "서울"}
    assert clean_for_odoo(values) == (values, [])


def test_clean_for_odoo_passes_unknown_keys():
    assert clean_for_odoo({"ContactID": 7}) == ({"ContactID": 7}, [])
