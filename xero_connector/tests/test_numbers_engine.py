"""Phone and tax numbers compared as Odoo reads them (libphonenumber, python-stdnum)."""

from xero_connector import fieldmap, push
from xero_connector.matching import PartnerIndex, normalise_vat


def test_national_and_international_phone_are_one_number():
    local = {"phone": "09 123 4567", "country": "New Zealand"}
    assert fieldmap.compare(local, {"phone": "+64 9 1234567", "country": "New Zealand"}, None) == []
    # Xero's country code without "+", and no country on the Xero side.
    assert [d.key for d in fieldmap.compare(local, {"phone": "64 9 123 4567"}, None)] == ["country"]
    diffs = fieldmap.compare(local, {"phone": "+64 9 1234568", "country": "NZ"}, None)
    assert [(d.key, d.local, d.remote) for d in diffs] == [("phone", "09 123 4567", "+64 9 1234568")]


def test_phone_pushed_in_xero_parts():
    payload = fieldmap.to_xero({"phone": "09 379 4567", "country": "New Zealand"})
    assert payload["Phones"] == [
        {"PhoneType": "DEFAULT", "PhoneCountryCode": "64", "PhoneAreaCode": "9", "PhoneNumber": "3794567"}
    ]
    payload = fieldmap.to_xero({"phone": "+44 20 7946 0958"})
    assert payload["Phones"][0]["PhoneCountryCode"] == "44"
    assert payload["Phones"][0]["PhoneAreaCode"] == "20"
    assert payload["Phones"][0]["PhoneNumber"] == "79460958"
    # Not a number: kept whole, nothing lost.
    assert fieldmap.to_xero({"phone": "ask Jo"})["Phones"][0]["PhoneNumber"] == "ask Jo"


def test_vat_compact_form_for_the_partner_country():
    assert normalise_vat("GB123456789") == normalise_vat("123 4567 89", "GB") == "123456789"
    assert normalise_vat("GB 123 4567 89", "GB") == "123456789"
    assert normalise_vat("111-222-333", "NZ") == normalise_vat("111 222 333") == "111222333"
    local = {"vat": "GB123456789", "country": "United Kingdom"}
    assert fieldmap.compare(local, {"vat": "123 4567 89", "country": "UK"}, None) == []


def test_suggestion_by_vat_written_otherwise():
    index = PartnerIndex([(7, "Pennine Engineering", "a@p.example", "GB123456789", "GB")])
    assert index.matches(name="Someone else", vat="123 4567 89", country="GB") == [(7, "same tax number")]


def test_push_links_by_vat_written_otherwise():
    partner = push.PartnerToPush(partner_id=3, values={"name": "Pennine", "vat": "GB123456789", "country": "UK"})
    xero = push.XeroContactInfo(contact_id="x-1", name="Pennine Engineering Ltd", vat="123 4567 89", country="GB")
    assert push.plan([partner], [xero]).link == {3: "x-1"}
