"""Behaviours mutation testing found unpinned (`make mutation`): labels, edges and round trips.

Each test states what a user or the Odoo side relies on; each was written
because a mutant of the engine passed every other test.
"""

from decimal import Decimal

import pytest

from xero_connector import accounting as acc
from xero_connector import matching
from xero_connector.fieldmap import clean_for_odoo
from xero_connector.ratelimit import Budget, Limits, MemoryRateLimiter
from xero_connector.tests.xero_totals import xero_totals

D = Decimal


# -- accounting -------------------------------------------------------------------------


def test_odoo_labels_name_what_is_known():
    assert acc.odoo_label(" 400000 ", " Sales ") == '400000 "Sales"'
    assert acc.odoo_label("400000", None) == "400000"
    assert acc.odoo_label(None, "15% GST") == '"15% GST"'
    assert acc.odoo_label(None, None) == "" and acc.odoo_label("", "") == ""


def test_currency_rates_round_half_up_at_ten_decimals():
    payment = acc.PaymentDoc("p", "inv", "090", "2024-06-01", "10", currency_rate="0.12345678905")
    assert acc.payment_payload(payment)["CurrencyRate"] == 0.1234567891  # half-even would give ...890
    assert acc.payment_payload(payment)["Amount"] == 10


def test_odoo_lines_keep_every_value_they_were_given():
    exact = acc.odoo_line("Chair", 2, 10, None, 20, account_code="200", tax_type="OUTPUT")
    assert exact == acc.Line("Chair", 2, 10, "200", "OUTPUT", discount_rate=None, line_amount=20)
    discounted = acc.odoo_line("Desk", 1, 100, 10, 90, account_code="200", tax_type="OUTPUT")
    assert discounted == acc.Line("Desk", 1, 100, "200", "OUTPUT", discount_rate=D(10), line_amount=90)
    # Odoo's amount moved by a cent: Xero gets the quantity and Odoo's amount.
    moved = acc.odoo_line("Lamp", 3, "3.33", 0, "10.00", account_code="200", tax_type="OUTPUT")
    assert moved == acc.Line("Lamp", 3, None, "200", "OUTPUT", discount_rate=None, line_amount="10.00")
    no_quantity = acc.odoo_line("Fee", None, 10, 0, 10, account_code="200", tax_type="NONE")
    assert no_quantity == acc.Line("Fee", None, None, "200", "NONE", line_amount=10)
    no_price = acc.odoo_line("Fee", 1, None, 0, 10, account_code="200", tax_type="NONE")
    assert no_price == acc.Line("Fee", 1, None, "200", "NONE", line_amount=10)


def test_missing_mappings_of_a_line_without_description_or_labels():
    line = acc.Line("", 1, 10, None, None)
    doc = acc.Document("k", "invoice", "INV-1", "c", "2024-05-01", lines=(line,))
    assert acc.missing_mappings(doc, set(), set()) == [
        "The account of a line is not mapped to a Xero account.",
        "The tax of a line is not mapped to a Xero tax rate "
        '(a line without tax needs one too, such as "No GST", NONE).',
    ]
    labelled = acc.Line("", 1, 10, None, None, odoo_account_label='400000 "Sales"', odoo_tax_label='"15% GST"')
    doc = acc.Document("k", "invoice", "INV-1", "c", "2024-05-01", lines=(labelled,))
    assert acc.missing_mappings(doc, set(), set()) == [
        'Account 400000 "Sales" is not mapped to a Xero account.',
        'Tax "15% GST" is not mapped to a Xero tax rate.',
    ]


def test_a_changed_document_gets_another_signature():
    doc = acc.Document("k", "invoice", "INV-1", "c", "2024-05-01", lines=(acc.Line("A", 1, 10, "200", "OUTPUT"),))
    payload = acc.document_payload(doc)
    assert acc.signature(payload) == acc.signature(acc.document_payload(doc))
    assert len(acc.signature(payload)) == 32 and int(acc.signature(payload), 16) >= 0
    changed = dict(payload, Reference="PO 7")
    assert acc.signature(changed) != acc.signature(payload)
    # The order keys come in does not count; dates are text.
    assert acc.signature({"a": 1, "b": 2}) == acc.signature({"b": 2, "a": 1})
    assert acc.signature({"d": acc.as_date("2024-05-01")}) == acc.signature({"d": "2024-05-01"})


# -- field map --------------------------------------------------------------------------


def test_invalid_emails_are_quoted_in_60_characters_at_most():
    sixty = "x" * 60
    assert clean_for_odoo({"email": sixty})[1] == [f'Email "{sixty}" is not a valid address: not imported']
    longer = "y" * 61
    assert clean_for_odoo({"email": longer})[1] == [f'Email "{"y" * 59}…" is not a valid address: not imported']


def test_clean_values_keep_unknown_keys_in_any_order_and_empty_values_empty():
    clean, problems = clean_for_odoo({"mobile": "021", "email": " ann@acme.example ", "name": False})
    assert clean == {"mobile": "021", "email": "ann@acme.example", "name": None}
    assert problems == []


def test_texts_exactly_as_long_as_allowed_are_kept_whole():
    email = "a" * 64 + "@" + "b" * 185 + ".com"
    assert len(email) == 254
    assert clean_for_odoo({"email": email}) == ({"email": email}, [])
    name = "n" * 256
    assert clean_for_odoo({"name": name}) == ({"name": name}, [])


def test_a_text_cut_at_its_limit_loses_the_trailing_space_only():
    text = " " + "a" * 126 + " b"  # collapsed: "a" * 126 + " b" (128 characters, kept)
    assert clean_for_odoo({"first_name": text})[0] == {"first_name": "a" * 126 + " b"}
    cut, problems = clean_for_odoo({"first_name": "a" * 127 + " bc"})
    assert cut == {"first_name": "a" * 127}
    assert problems == ["First name was longer than 128 characters: cut to 128."]


# -- rate budget ------------------------------------------------------------------------


def test_a_paused_budget_survives_its_round_trip_through_the_database():
    budget = Budget()
    budget.pause(50.0)
    again = Budget.from_dict(budget.to_dict())
    assert again.paused_until == 50.0
    assert again.try_acquire(20.0, Limits()) == (30.0, None)
    assert Budget.from_dict({"paused_until": "12.5"}).paused_until == 12.5
    assert Budget.from_dict(None) == Budget()


def test_a_pause_never_shortens_an_earlier_longer_one():
    budget = Budget()
    budget.pause(100.0)
    budget.pause(40.0)
    assert budget.paused_until == 100.0


def test_memory_limiter_pause_counts_from_now():
    now = [500.0]
    limiter = MemoryRateLimiter(clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    limiter.pause(7.5, "minute")
    assert limiter.budget.paused_until == 507.5
    with limiter.slot():
        assert now[0] == 507.5
    limiter.observe({"day_remaining": 42})
    limiter.observe({"minute_remaining": 3})
    assert limiter.day_remaining == 42


# -- push -------------------------------------------------------------------------------


def test_name_keys_of_nothing_are_empty():
    assert matching.xero_key(None) == "" and matching.xero_key("") == ""
    assert matching.xero_key("  Acme \t Ltd ") == "acme ltd"


# -- more accounting ----------------------------------------------------------------------

RATES = {"OUTPUT": 15, "NONE": 0}


def test_totals_of_lines_given_by_their_amount():
    lines = (
        acc.Line("Fee", None, None, "200", "OUTPUT", line_amount="10.00"),
        acc.Line("Part", None, D("5.00"), "200", "NONE", line_amount="5.00"),
    )
    doc = acc.Document("k", "invoice", "INV-1", "c", "2024-05-01", lines=lines)
    assert xero_totals(doc, RATES) == {"SubTotal": D("15.00"), "TotalTax": D("1.50"), "Total": D("16.50")}


def test_a_rate_xero_does_not_have_is_named():
    doc = acc.Document("k", "invoice", "INV-1", "c", "2024-05-01", lines=(acc.Line("A", 1, 10, "200", "GONE"),))
    with pytest.raises(ValueError, match=r"^Xero has no tax rate 'GONE'\.$"):
        xero_totals(doc, RATES)


def doc(number, kind="invoice", contact="c-1", total="10.00"):
    return acc.Document(f"k-{number}", kind, number, contact, "2024-05-01", amount_total=total)


def test_preview_tells_credit_notes_by_their_id_or_their_type():
    existing = [
        {"CreditNoteID": "cn-1", "CreditNoteNumber": "CN-1", "Contact": {"ContactID": "C-1"}, "Status": "PAID"},
        {"Type": "ACCRECCREDIT", "CreditNoteNumber": "CN-2", "Status": "VOIDED"},
    ]
    result = acc.preview([doc("CN-1", "credit_note"), doc("CN-2", "credit_note")], existing)
    assert [(d.number, xero_id) for d, xero_id in result.already_in_xero] == [("CN-1", "cn-1")]
    assert [words for _d, words in result.number_taken] == [
        "Credit note CN-2: Xero holds a voided credit note with this number."
    ]


def test_preview_leaves_bills_aside_wherever_they_are_listed():
    bill = {"Type": "ACCPAY", "InvoiceID": "bill-1", "InvoiceNumber": "INV-1", "Contact": {"ContactID": "c-1"}}
    sale = {"Type": "ACCREC", "InvoiceID": "inv-2", "InvoiceNumber": "INV-2", "Contact": {"ContactID": "c-1"}}
    result = acc.preview([doc("INV-1"), doc("INV-2")], [bill, sale])
    assert [(d.number, xero_id) for d, xero_id in result.already_in_xero] == [("INV-2", "inv-2")]
    assert [d.number for d in result.to_send] == ["INV-1"] and result.number_taken == []


def test_preview_names_the_owner_of_a_taken_number_or_says_another_contact():
    existing = [{"Type": "ACCREC", "InvoiceID": "i", "InvoiceNumber": "INV-1", "Contact": {"ContactID": "c-9"}}]
    result = acc.preview([doc("INV-1")], existing)
    assert (
        result.number_taken[0][1] == "Invoice INV-1: Xero already gives this number to an invoice of another contact."
    )


def test_preview_totals_count_zero_documents_as_zero():
    result = acc.preview([doc("INV-1", total="0.00"), doc("INV-2", total=None), doc("INV-3", total="2.50")], [])
    assert result.totals == {("invoice", "NZD"): D("2.50")}
    assert result.counts == {"invoice": 3}


# -- more field map -----------------------------------------------------------------------


def test_phone_country_codes_become_a_dialling_prefix_once():
    from xero_connector.fieldmap import from_xero

    def phone(**parts):
        return from_xero({"Phones": [dict(PhoneType="DEFAULT", **parts)]})["phone"]

    assert phone(PhoneCountryCode="64", PhoneNumber="5550101") == "+64 5550101"
    assert phone(PhoneCountryCode="+64", PhoneAreaCode="9", PhoneNumber="5550101") == "+64 9 5550101"
    assert phone(PhoneAreaCode="09", PhoneNumber="5550101") == "09 5550101"


def test_unmapped_keys_are_named():
    from xero_connector.fieldmap import to_xero

    with pytest.raises(KeyError, match="Not mapped to Xero: fax, mobile"):
        to_xero({"mobile": "1", "fax": "2", "name": "A"})


def test_xero_side_noise_against_the_synced_value_keeps_a_local_change_a_push():
    from xero_connector.fieldmap import compare

    [diff] = compare({"email": "new@x.example"}, {"email": "OLD@X.example"}, {"email": "old@x.example"})
    assert diff.kind == "push"


def test_check_totals_only_some_fields_and_who_gives_nothing():
    sent = acc.Document(
        "k", "invoice", "INV-1", "c", "2024-05-01", amount_untaxed="10.00", amount_tax="1.50", amount_total="11.50"
    )
    xero = {"SubTotal": 99, "TotalTax": 1.5, "Total": 11.5}
    assert acc.check_totals(sent, xero, only=("Total",)) == []
    assert acc.check_totals(sent, xero, only=("SubTotal", "Total")) == [
        "Invoice INV-1: the total without tax is 10.00 NZD in Odoo but 99.00 NZD in Xero (difference 89.00)."
    ]
    assert acc.check_totals(sent, {"Total": 11.5}, only=("TotalTax", "Total")) == [
        "Invoice INV-1: Xero gives no tax to compare."
    ]
    unknown = acc.Document("k", "invoice", "INV-2", "c", "2024-05-01")
    assert acc.check_totals(unknown, {"Total": 1}, only=("Total",)) == [
        "Invoice INV-2: Odoo gives no total to compare."
    ]


def test_payload_numbers_and_lines_as_xero_reads_them():
    with pytest.raises(ValueError, match=r"^'abc' is not a number\.$"):
        acc.number("abc")
    whole = acc.document_payload(
        acc.Document("k", "invoice", "INV-1", "c", "2024-05-01", lines=(acc.Line(None, 2, 10, "200", "OUTPUT"),))
    )["LineItems"][0]
    assert whole["Description"] == "" and isinstance(whole["Quantity"], int) and isinstance(whole["UnitAmount"], int)
    one_percent = acc.Line("A", 1, 10, "200", "OUTPUT", discount_rate=1)
    doc = acc.Document("k", "invoice", "INV-1", "c", "2024-05-01", lines=(one_percent,))
    assert acc.document_payload(doc)["LineItems"][0]["DiscountRate"] == 1
    empty = acc.Document("k", "invoice", "INV-1", "c", "2024-05-01", lines=(acc.Line("Odd", None, None, "200", "X"),))
    with pytest.raises(ValueError, match=r'^Line "Odd" has neither quantity and unit amount nor an amount\.$'):
        acc.document_payload(empty)
