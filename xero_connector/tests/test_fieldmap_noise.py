"""Xero-side formatting noise is never shown as a difference; real changes always are.

Fails on a bug that once passed the engine suite: values compared after
normalising only one side, so a contact Xero stores or returns in its own
form (phone split in three, email case, tax number punctuation, spacing)
showed differences nobody made.
"""

import pytest

from xero_connector import fieldmap
from xero_connector.fieldmap import compare, from_xero, normalise, same, signature, to_xero

ODOO = {
    "name": "Bayside Club",
    "first_name": "Bob",
    "last_name": "Partridge",
    "email": "bob@bayside.example",
    "phone": "+64 9 555 0101",
    "street": "PO Box 42",
    "street2": "Level 2",
    "city": "Montr\u00e9al",
    "state": "Auckland",
    "zip": "1010",
    "country": "New Zealand",
    "vat": "12-345-678",
}

# The same values as Xero may hold them after its own edits and formatting.
XERO_NOISE = {
    "Name": "  Bayside   Club ",
    "FirstName": "Bob ",
    "LastName": " Partridge",
    "EmailAddress": "Bob@Bayside.EXAMPLE",
    "TaxNumber": "12 345 678",
    "Phones": [{"PhoneType": "DEFAULT", "PhoneCountryCode": "64", "PhoneAreaCode": "9", "PhoneNumber": "555-0101"}],
    "Addresses": [
        {
            "AddressType": "POBOX",
            "AddressLine1": "PO  Box 42",
            "AddressLine2": "Level 2\t",
            "City": "Montre\u0301al",  # decomposed accent
            "Region": "AUCKLAND",
            "PostalCode": " 1010",
            "Country": "new zealand",
        }
    ],
}


@pytest.fixture
def gateway(sandbox, make_gateway):
    yield make_gateway()
    assert sandbox.validation_errors == []


def test_xero_s_own_formatting_of_a_pushed_contact_is_not_a_difference(sandbox, gateway):
    created = gateway.save_contacts([to_xero(ODOO)], operation="noise:push").items[0].record
    assert compare(ODOO, from_xero(created), dict(ODOO)) == []
    sandbox.update_contact(created["ContactID"], **XERO_NOISE)
    remote = from_xero(gateway.get_contacts(ids=[created["ContactID"]])[0])
    assert remote["phone"] == "+64 9 555-0101"
    assert compare(ODOO, remote, dict(ODOO)) == []
    assert compare(ODOO, remote, None) == []
    # Noise on both sides and in the last synced values: still nothing to show.
    assert compare(remote, ODOO, remote) == []


def test_a_real_change_in_xero_among_the_noise_is_a_pull(sandbox, gateway):
    created = gateway.save_contacts([to_xero(ODOO)], operation="noise:push2").items[0].record
    sandbox.update_contact(created["ContactID"], **dict(XERO_NOISE, EmailAddress="BOB@elsewhere.example"))
    remote = from_xero(gateway.get_contacts(ids=[created["ContactID"]])[0])
    diffs = compare(ODOO, remote, dict(ODOO))
    assert [(d.key, d.kind, d.local, d.remote) for d in diffs] == [
        ("email", "pull", "bob@bayside.example", "BOB@elsewhere.example")
    ]


@pytest.mark.parametrize(
    ("key", "odoo", "xero"),
    [
        ("name", "Acme Ltd", " Acme  Ltd\n"),
        ("first_name", "Ann", "Ann "),
        ("email", "ann@acme.example", "ANN@Acme.Example"),
        ("phone", "+64 9 555 0101", "64 9 5550101"),
        ("phone", "09 555 0101", "(09) 555-0101"),
        ("city", "Montr\u00e9al", "Montre\u0301al"),
        ("state", "Auckland", "AUCKLAND"),
        ("country", "New Zealand", "NEW  ZEALAND"),
        ("zip", "1010", "1010 "),
        ("vat", "GB123456789", "gb 123.456-789"),
        ("street2", None, ""),
        ("street2", None, "   "),
    ],
)
def test_noise_on_the_xero_side_alone_is_not_a_difference(key, odoo, xero):
    assert same(key, odoo, xero) and same(key, xero, odoo)
    assert compare({key: odoo}, {key: xero}, None) == []
    assert compare({key: odoo}, {key: xero}, {key: odoo}) == []
    assert compare({key: odoo}, {key: xero}, {key: xero}) == []


@pytest.mark.parametrize(
    ("key", "odoo", "xero"),
    [
        ("name", "Acme Ltd", "ACME LTD"),  # names, cities and streets keep their case
        ("city", "Nelson", "NELSON"),
        ("name", "Acme Ltd", "Acme Ltd."),
        ("email", "ann@acme.example", "anne@acme.example"),
        ("phone", "+64 9 555 0101", "+64 9 555 0102"),
        ("phone", "n/a", "N/A"),  # not a number: compared as text
        ("vat", "GB123456789", "GB123456780"),
        ("vat", "12/345", "12/346"),  # separators are noise (stdnum's compact form), digits are not
        ("zip", "1010", "1011"),
        ("street", "1 Main St", None),
    ],
)
def test_real_differences_still_show(key, odoo, xero):
    assert not same(key, odoo, xero)
    [diff] = compare({key: odoo}, {key: xero}, {key: odoo})
    assert (diff.key, diff.kind, diff.label) == (key, "pull", fieldmap.label(key))


def test_normalised_forms():
    assert normalise("email", " Ann@ACME.example ") == "ann@acme.example"
    assert normalise("country", "NEW  Zealand") == "NZ"  # countries compare by ISO code
    assert normalise("state", "\u00c9TAT") == "\u00e9tat"
    assert normalise("phone", "+64 (9) 555-0101") == "6495550101"
    assert normalise("phone", " n/a ") == "n/a"
    assert normalise("vat", "gb 12.34-5") == "12345"  # compact, without the country prefix (GB123 = 123)
    assert normalise("name", "Acme\u00a0 Ltd") == "Acme Ltd"
    assert normalise("zip", False) is None
    assert normalise("name", "   ") is None


def test_an_ignored_difference_stays_ignored_through_noise_and_shows_again_on_a_change():
    first = compare({"email": "a@x.example"}, {"email": "b@x.example"}, None)[0]
    noisy = compare({"email": " A@X.example"}, {"email": "B@x.EXAMPLE "}, None)[0]
    assert signature(first) == signature(noisy)
    changed = compare({"email": "a@x.example"}, {"email": "c@x.example"}, None)[0]
    assert signature(first) != signature(changed)
    swapped = compare({"email": "b@x.example"}, {"email": "a@x.example"}, None)[0]
    assert signature(first) != signature(swapped)
    other_field = fieldmap.Difference("name", "Company name", "a@x.example", "b@x.example", None, "unsynced")
    assert signature(first) != signature(other_field)
