"""Invoices, credit notes and payments: payloads, totals, mappings, previews.

The sandbox tests send the payloads through the real gateway (and so the
real SDK) to the sandbox, which validates every request against Xero's
OpenAPI description and computes totals as Xero does.
"""

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
import requests

from xero_connector import accounting as acc
from xero_connector.tests.xero_totals import xero_totals

D = Decimal


def line(description, quantity, unit, tax_type="OUTPUT", account_code="200", **extra):
    return acc.Line(description, D(str(quantity)), D(str(unit)), account_code, tax_type, **extra)


def invoice(number="INV-1001", contact_id="c-1", lines=(), kind="invoice", **extra):
    values = {"date": "2024-05-01", "due_date": date(2024, 5, 31), "currency": "NZD", **extra}
    return acc.Document(key=f"move,{number}", kind=kind, number=number, contact_id=contact_id, lines=lines, **values)


# The invoice of the sandbox tests: 3 lines, GST 15% and exempt. By hand:
#   Consulting   3 x 150.00           = 450.00  tax 15% = 67.50
#   Travel       1 x  86.96 less 10%  =  78.26  exempt  =  0.00  (78.264)
#   Widgets      7 x  12.35           =  86.45  tax 15% = 12.97  (12.9675)
#   untaxed 614.71, tax 80.47, total 695.18 (Odoo rounding per line)
THREE_LINES = (
    line("Consulting", 3, "150.00"),
    line("Travel", 1, "86.96", tax_type="EXEMPTOUTPUT", discount_rate=D("10")),
    line("Widgets", 7, "12.35"),
)
THREE_LINE_TOTALS = {"amount_untaxed": D("614.71"), "amount_tax": D("80.47"), "amount_total": D("695.18")}


# -- payloads ---------------------------------------------------------------------


def test_invoice_payload_is_xero_json():
    doc = invoice(lines=THREE_LINES, reference="PO 77", currency="AUD", currency_rate=D("0.9312"))
    assert acc.document_payload(doc) == {
        "Type": "ACCREC",
        "Contact": {"ContactID": "c-1"},
        "InvoiceNumber": "INV-1001",
        "Date": "2024-05-01",
        "DueDate": "2024-05-31",
        "Reference": "PO 77",
        "CurrencyCode": "AUD",
        "CurrencyRate": 0.9312,
        "Status": "AUTHORISED",
        "LineAmountTypes": "Exclusive",
        "LineItems": [
            {"Description": "Consulting", "Quantity": 3, "UnitAmount": 150, "AccountCode": "200", "TaxType": "OUTPUT"},
            {
                "Description": "Travel",
                "Quantity": 1,
                "UnitAmount": 86.96,
                "DiscountRate": 10,
                "AccountCode": "200",
                "TaxType": "EXEMPTOUTPUT",
            },
            {"Description": "Widgets", "Quantity": 7, "UnitAmount": 12.35, "AccountCode": "200", "TaxType": "OUTPUT"},
        ],
    }


def test_credit_note_payload_and_kinds():
    doc = invoice("CN-1", kind="credit_note", lines=(line("Refund", 1, 100),), tax_included=True, due_date=None)
    payload = acc.document_payload(doc)
    assert payload["Type"] == "ACCRECCREDIT"
    assert payload["CreditNoteNumber"] == "CN-1" and "InvoiceNumber" not in payload
    assert payload["LineAmountTypes"] == "Inclusive"
    assert "DueDate" not in payload and "Reference" not in payload and "CurrencyRate" not in payload
    with pytest.raises(ValueError, match="Unknown document kind"):
        invoice(kind="bill")


def test_credit_note_lines_carry_their_discount_in_the_amount(sandbox, make_gateway):
    # Xero's credit notes take no DiscountRate ("credit notes in Xero do not support
    # discounts", LineItem.DiscountRate in Xero's OpenAPI): a discounted line goes as its
    # discounted amount, and Xero's total is Odoo's.
    doc = invoice("CN-7", kind="credit_note", lines=THREE_LINES, **THREE_LINE_TOTALS)
    travel = acc.document_payload(doc)["LineItems"][1]
    assert travel == {
        "Description": "Travel",
        "Quantity": 1,
        "LineAmount": 78.26,
        "AccountCode": "200",
        "TaxType": "EXEMPTOUTPUT",
    }
    gateway = make_gateway()
    contact = gateway.save_contacts([{"Name": "Refunded Ltd"}], operation="contact").items[0].record
    doc = invoice("CN-7", kind="credit_note", lines=THREE_LINES, contact_id=contact["ContactID"], **THREE_LINE_TOTALS)
    [result] = gateway.create_credit_notes([acc.document_payload(doc)], operation="cn-7").items
    assert result.ok and acc.check_totals(doc, result.record) == []


def test_amount_only_line_sends_line_amount():
    doc = invoice(lines=(acc.Line("Fee", None, None, "200", "OUTPUT", line_amount="12.345"),))
    assert acc.document_payload(doc)["LineItems"][0] == {
        "Description": "Fee",
        "LineAmount": 12.35,  # ROUND_HALF_UP, not float rounding (12.345 -> 12.34)
        "AccountCode": "200",
        "TaxType": "OUTPUT",
    }


def test_payment_and_allocation_payloads():
    pay = acc.PaymentDoc("pay,1", "inv-id", "090", "2024-06-03", D("200.005"), reference="PAY/1")
    assert acc.payment_payload(pay) == {
        "Invoice": {"InvoiceID": "inv-id"},
        "Account": {"Code": "090"},
        "Date": "2024-06-03",
        "Amount": 200.01,
        "Reference": "PAY/1",
    }
    by_id = acc.PaymentDoc("pay,2", "inv-id", None, date(2024, 6, 3), 5, currency_rate="0.61", account_id="acc-id")
    assert acc.payment_payload(by_id)["Account"] == {"AccountID": "acc-id"}
    assert acc.payment_payload(by_id)["CurrencyRate"] == 0.61
    with pytest.raises(ValueError, match="names no Xero account"):
        acc.payment_payload(acc.PaymentDoc("pay,3", "inv-id", None, "2024-06-03", 5))
    assert acc.allocation_payload("inv-id", "50", date(2024, 6, 1)) == {
        "Invoice": {"InvoiceID": "inv-id"},
        "Amount": 50,
        "Date": "2024-06-01",
    }


def test_dates_accept_dates_datetimes_iso_text_only():
    assert acc.as_date("2024-02-29") == date(2024, 2, 29)
    assert acc.as_date("2024-02-29T10:00:00") == date(2024, 2, 29)
    assert acc.as_date(date(2024, 1, 2)) == date(2024, 1, 2)
    assert acc.as_date(False) is None
    with pytest.raises(ValueError, match="not a date"):
        acc.as_date("29/02/2024")


# -- totals -------------------------------------------------------------------------

RATES = {"OUTPUT": 15, "EXEMPTOUTPUT": 0, "NONE": 0}


def test_xero_totals_round_per_line_like_xero():
    doc = invoice(lines=THREE_LINES, **THREE_LINE_TOTALS)
    assert xero_totals(doc, RATES) == {"SubTotal": D("614.71"), "TotalTax": D("80.47"), "Total": D("695.18")}
    assert acc.check_totals(doc, xero_totals(doc, RATES)) == []
    # Odoo rounding tax globally: 15% of 536.45 = 80.4675 -> 80.47 too here, but
    # two lines of 0.03 at 15% are 0.00 + 0.00 per line against 0.01 globally.
    cents = invoice(lines=(line("a", 1, "0.03"), line("b", 1, "0.03")), amount_untaxed="0.06", amount_tax="0.01")
    cents = dataclasses.replace(cents, amount_total="0.07")
    assert acc.check_totals(cents, xero_totals(cents, RATES)) == [
        "Invoice INV-1001: the tax is 0.01 NZD in Odoo but 0.00 NZD in Xero (difference 0.01).",
        "Invoice INV-1001: the total is 0.07 NZD in Odoo but 0.06 NZD in Xero (difference 0.01).",
    ]


def test_check_totals_compares_in_decimals_and_says_what_is_missing():
    doc = invoice(lines=THREE_LINES, **THREE_LINE_TOTALS)
    xero = {"SubTotal": 614.71, "TotalTax": 80.47, "Total": 695.18, "CurrencyCode": "NZD"}  # floats from JSON
    assert acc.check_totals(doc, xero) == []
    assert acc.check_totals(doc, dict(xero, CurrencyCode="AUD"))[0] == (
        "Invoice INV-1001: Odoo's currency is NZD, Xero's is AUD."
    )
    assert acc.check_totals(dataclasses.replace(doc, amount_tax=None), xero) == [
        "Invoice INV-1001: Odoo gives no tax to compare."
    ]


# -- mappings -------------------------------------------------------------------------


def test_missing_mappings_name_the_account_and_the_tax():
    sales, gst = acc.odoo_label("400000", "Sales"), acc.odoo_label(None, "15% GST")
    lines = (
        acc.Line("Consulting", 1, 100, None, None, odoo_account_label=sales, odoo_tax_label=gst),
        acc.Line("More consulting", 2, 100, None, None, odoo_account_label=sales, odoo_tax_label=gst),
        acc.Line("Rent", 1, 100, "999", "OUTPUT2", odoo_account_label=acc.odoo_label("400100", "Rent")),
        acc.Line("Postage", 1, 5, "200", None),
        acc.Line("Fine", 1, 5, "200", "OUTPUT"),
    )
    problems = acc.missing_mappings(invoice(lines=lines), {"200", "090"}, {"OUTPUT", "NONE"})
    assert problems == [
        'Account 400000 "Sales" is not mapped to a Xero account.',
        'Tax "15% GST" is not mapped to a Xero tax rate.',
        'Account 400100 "Rent" is mapped to Xero account code "999", which Xero does not have (or has archived).',
        'The tax of line "Rent" is mapped to Xero tax rate "OUTPUT2", which Xero does not have (or has archived).',
        'The tax of line "Postage" is not mapped to a Xero tax rate '
        '(a line without tax needs one too, such as "No GST", NONE).',
    ]
    assert acc.missing_mappings(invoice(lines=THREE_LINES), {"200"}, {"OUTPUT", "EXEMPTOUTPUT"}) == []


# -- preview and batches --------------------------------------------------------------


def xero_invoice(number, contact, xero_id, status="AUTHORISED", kind="ACCREC", name="Someone"):
    fields = ("InvoiceNumber", "InvoiceID") if kind == "ACCREC" else ("CreditNoteNumber", "CreditNoteID")
    return {
        fields[0]: number,
        fields[1]: xero_id,
        "Type": kind,
        "Status": status,
        "Contact": {"ContactID": contact, "Name": name},
    }


def test_preview_matches_number_contact_and_type():
    docs = [
        invoice("INV-1", "c-1", date="2024-03-05", amount_total="100.00"),  # in Xero
        invoice("inv-2 ", "C-1", date="2024-03-06", amount_total="1.00"),  # in Xero (case, spaces)
        invoice("INV-3", "c-1", date="2024-01-31", amount_total="10.50"),  # INV-3 is another contact's
        invoice("INV-4", "c-1", date="2024-04-30", amount_total="20.25"),  # voided in Xero
        invoice("INV-5", "c-1", date="2024-02-01", amount_total="7.00", currency="AUD"),
        invoice("INV-1", "c-1", date="2024-02-15", amount_total="5.00", kind="credit_note"),  # invoice has INV-1
        invoice("CN-1", "c-1", date="2024-03-01", amount_total="30.00", kind="credit_note"),  # in Xero
    ]
    existing = [
        xero_invoice("INV-1", "c-1", "x1"),
        xero_invoice("INV-2", "c-1", "x2", status="PAID"),
        xero_invoice("INV-3", "c-2", "x3", name="Bayside Club"),
        xero_invoice("INV-4", "c-1", "x4", status="VOIDED"),
        xero_invoice("INV-5", "c-1", "x5", status="DELETED"),
        xero_invoice("CN-1", "c-1", "x6", kind="ACCRECCREDIT"),
        xero_invoice("INV-9", "c-1", "x9", kind="ACCPAY"),  # a bill: not ours
    ]
    result = acc.preview(docs, existing)
    assert [(d.number, xero_id) for d, xero_id in result.already_in_xero] == [
        ("INV-1", "x1"),
        ("inv-2 ", "x2"),
        ("CN-1", "x6"),
    ]
    assert [(d.kind, d.number) for d in result.to_send] == [
        ("invoice", "INV-3"),
        ("invoice", "INV-4"),
        ("invoice", "INV-5"),
        ("credit_note", "INV-1"),
    ]
    assert result.counts == {"invoice": 3, "credit_note": 1}
    assert result.totals == {
        ("invoice", "NZD"): D("30.75"),
        ("invoice", "AUD"): D("7.00"),
        ("credit_note", "NZD"): D("5.00"),
    }
    assert (result.oldest, result.newest) == (date(2024, 1, 31), date(2024, 4, 30))
    assert [words for _doc, words in result.number_taken] == [
        'Invoice INV-3: Xero already gives this number to an invoice of "Bayside Club".',
        "Invoice INV-4: Xero holds a voided invoice with this number.",
    ]


def test_preview_of_nothing():
    result = acc.preview([], [])
    assert (result.to_send, result.already_in_xero, result.counts, result.oldest) == ([], [], {}, None)


# -- against the sandbox, through the real gateway ---------------------------------------


@pytest.fixture
def gateway(sandbox, make_gateway):
    """The gateway to the sandbox; every test using it ends with no request
    refused by Xero's schema (the sandbox answers 400 to those)."""
    yield make_gateway()
    assert sandbox.validation_errors == []
    assert sandbox.stats["validations"] > 0, "the sandbox did not check requests against Xero's OpenAPI file"


@pytest.fixture
def contact_id(gateway):
    result = gateway.save_contacts([{"Name": "Bayside Club"}], operation="test-accounting:contact")
    return result.items[0].record["ContactID"]


def sandbox_request(sandbox, method, path, **kwargs):
    """A call the gateway has no method for, straight to the sandbox."""
    token = sandbox.issue_token()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "xero-tenant-id": sandbox.tenant_id, "Accept": "application/json"}
    return requests.request(method, f"{sandbox.accounting_url}{path}", headers=headers, timeout=10, **kwargs)


def saved(result):
    assert [item.problems for item in result.items] == [[]]
    return result.items[0].record


def test_sent_invoice_totals_match_odoo(gateway, contact_id):
    doc = invoice("INV-1001", contact_id, THREE_LINES, reference="2024-04-30", **THREE_LINE_TOTALS)
    record = saved(gateway.save_invoices([acc.document_payload(doc)], operation="test:inv-1001"))
    assert (record["SubTotal"], record["TotalTax"], record["Total"]) == (614.71, 80.47, 695.18)
    assert record["Status"] == "AUTHORISED" and record["Type"] == "ACCREC"
    assert acc.check_totals(doc, record) == []
    assert xero_totals(doc, gateway.get_tax_rates()) == xero_totals(doc, RATES)
    off_by_a_cent = dataclasses.replace(doc, amount_total=D("695.19"))
    assert acc.check_totals(off_by_a_cent, record) == [
        "Invoice INV-1001: the total is 695.19 NZD in Odoo but 695.18 NZD in Xero (difference 0.01)."
    ]
    # The dates went through as dates (the SDK only reads /Date(ms)/ itself).
    stored = gateway.get_invoices(numbers=["INV-1001"])[0]
    assert stored["Date"] == "/Date(1714521600000)/"  # 2024-05-01
    assert stored["DueDate"] == "/Date(1717113600000)/"  # 2024-05-31
    assert stored["Reference"] == "2024-04-30"  # text that looks like a date stays text


def test_tax_inclusive_invoice(gateway, contact_id):
    # By hand: 2 x 57.50 = 115.00 incl. 15% -> tax 15.00; 20.00 without tax;
    # 3 x 9.99 = 29.97 incl. 15% -> tax 29.97 - 29.97 / 1.15 = 3.909... = 3.91.
    lines = (line("Course", 2, "57.50"), line("Book", 1, "20.00", tax_type="NONE"), line("Snacks", 3, "9.99"))
    doc = invoice(
        "INV-1002",
        contact_id,
        lines,
        tax_included=True,
        amount_untaxed="146.06",
        amount_tax="18.91",
        amount_total="164.97",
    )
    record = saved(gateway.save_invoices([acc.document_payload(doc)], operation="test:inv-1002"))
    assert record["LineAmountTypes"] == "Inclusive"
    assert (record["SubTotal"], record["TotalTax"], record["Total"]) == (146.06, 18.91, 164.97)
    assert acc.check_totals(doc, record) == []


def test_foreign_currency_invoice(sandbox, gateway, contact_id):
    currencies = sandbox_request(sandbox, "GET", "/Currencies").json()["Currencies"]
    assert "AUD" in {c["Code"] for c in currencies}
    # By hand: 4 x 99.95 = 399.80, tax 59.97; 25.00 without tax -> 424.80 + 59.97 = 484.77 AUD.
    lines = (line("Licence", 4, "99.95"), line("Shipping", 1, 25, tax_type="NONE"))
    doc = invoice(
        "INV-1003",
        contact_id,
        lines,
        currency="AUD",
        currency_rate=D("0.9312"),
        amount_untaxed="424.80",
        amount_tax="59.97",
        amount_total="484.77",
    )
    record = saved(gateway.save_invoices([acc.document_payload(doc)], operation="test:inv-1003"))
    assert (record["CurrencyCode"], record["CurrencyRate"]) == ("AUD", 0.9312)
    assert acc.check_totals(doc, record) == []
    refused = gateway.save_invoices([acc.document_payload(dataclasses.replace(doc, number="X", currency="JPY"))], "t")
    assert "not enabled" in refused.items[0].problems[0].message


def test_credit_note_allocation_and_payments(sandbox, gateway, contact_id):
    inv = invoice("INV-1001", contact_id, THREE_LINES, **THREE_LINE_TOTALS)
    inv_id = saved(gateway.save_invoices([acc.document_payload(inv)], operation="test:inv"))["InvoiceID"]
    # 1 x 100.00 + 15% = 115.00
    note = invoice(
        "CN-0001",
        contact_id,
        (line("Refund", 1, 100),),
        kind="credit_note",
        due_date=None,
        amount_untaxed="100.00",
        amount_tax="15.00",
        amount_total="115.00",
    )
    note_record = saved(gateway.create_credit_notes([acc.document_payload(note)], operation="test:cn"))
    assert note_record["Type"] == "ACCRECCREDIT" and note_record["CreditNoteNumber"] == "CN-0001"
    assert acc.check_totals(note, note_record) == []

    allocated = gateway.allocate_credit_note(
        note_record["CreditNoteID"], [acc.allocation_payload(inv_id, D("50.00"), "2024-06-01")], operation="test:alloc"
    )
    assert [item.ok for item in allocated.items] == [True]
    assert gateway.get_invoices(numbers=["INV-1001"])[0]["AmountDue"] == 645.18  # 695.18 - 50.00
    assert gateway.get_credit_notes(where='CreditNoteNumber=="CN-0001"')[0]["RemainingCredit"] == 65.0

    first = acc.PaymentDoc("pay,1", inv_id, "090", "2024-06-03", D("200.00"), reference="Odoo PBNK1/2024/0001")
    payment = saved(gateway.save_payments([acc.payment_payload(first)], operation="test:pay-1"))
    assert (payment["Amount"], payment["Account"]["Code"]) == (200.0, "090")
    after = gateway.get_invoices(numbers=["INV-1001"])[0]
    assert (after["AmountDue"], after["AmountPaid"], after["Status"]) == (445.18, 200.0, "AUTHORISED")

    bank_id = next(a["AccountID"] for a in gateway.get_accounts() if a["Code"] == "090")
    rest = acc.PaymentDoc("pay,2", inv_id, None, date(2024, 6, 10), D("445.18"), account_id=bank_id)
    saved(gateway.save_payments([acc.payment_payload(rest)], operation="test:pay-2"))
    paid = gateway.get_invoices(numbers=["INV-1001"])[0]
    assert (paid["AmountDue"], paid["Status"]) == (0.0, "PAID")


def test_preview_against_what_the_sandbox_returns(gateway, contact_id):
    other = saved(gateway.save_contacts([{"Name": "Boom FM"}], operation="test:other"))["ContactID"]
    sent = invoice("INV-2001", contact_id, (line("Thing", 1, 10),))
    saved(gateway.save_invoices([acc.document_payload(sent)], operation="test:2001"))
    note = invoice("CN-2001", contact_id, (line("Thing", 1, 10),), kind="credit_note")
    saved(gateway.create_credit_notes([acc.document_payload(note)], operation="test:cn-2001"))
    existing = gateway.get_invoices() + gateway.get_credit_notes()
    same_number_other_contact = invoice("INV-2001", other, (line("Thing", 1, 10),))
    result = acc.preview([sent, note, same_number_other_contact], existing)
    assert [(d.number, d.contact_id) for d, _ in result.already_in_xero] == [
        ("INV-2001", contact_id),
        ("CN-2001", contact_id),
    ]
    assert result.to_send == [same_number_other_contact]
    taken = 'Invoice INV-2001: Xero already gives this number to an invoice of "Bayside Club".'
    assert [(d, words) for d, words in result.number_taken] == [(same_number_other_contact, taken)]


def test_create_only_refuses_a_number_xero_already_has(gateway, contact_id):
    other = saved(gateway.save_contacts([{"Name": "Other Customer"}], operation="test:other-customer"))["ContactID"]
    first = invoice("INV-3001", contact_id, (line("Thing", 1, 10),))
    original = saved(gateway.create_invoices([acc.document_payload(first)], operation="test:3001"))
    again = invoice("INV-3001", other, (line("Other thing", 2, 99),))
    refused = gateway.create_invoices([acc.document_payload(again)], operation="test:3001-other")
    assert not refused.items[0].ok
    kept = gateway.get_invoices(numbers=["INV-3001"])[0]
    assert (kept["InvoiceID"], kept["Contact"]["ContactID"]) == (original["InvoiceID"], contact_id)


# -- Odoo's own tax amounts, voids, updates, deletions --------------------------------


def globally_rounded(contact_id):
    """Three lines of 10.03 at 15%: per line the tax is 1.50 each (4.50), but
    Odoo rounding globally gives round(3 x 1.5045) = 4.51, with the extra cent
    on the first line."""
    lines = (
        line("Part", 1, "10.03", tax_amount=D("1.51")),
        line("Part", 1, "10.03", tax_amount=D("1.50")),
        line("Part", 1, "10.03", tax_amount=D("1.50")),
    )
    return invoice("INV-4001", contact_id, lines, amount_untaxed="30.09", amount_tax="4.51", amount_total="34.60")


def test_odoo_tax_amounts_make_xero_totals_equal_odoo(gateway, contact_id):
    doc = globally_rounded(contact_id)
    without = dataclasses.replace(doc, lines=tuple(dataclasses.replace(x, tax_amount=None) for x in doc.lines))
    assert xero_totals(without, RATES)["TotalTax"] == D("4.50"), "Xero alone would round per line"
    assert xero_totals(doc, RATES)["TotalTax"] == D("4.51")
    assert [item["TaxAmount"] for item in acc.document_payload(doc)["LineItems"]] == [1.51, 1.5, 1.5]
    record = saved(gateway.create_invoices([acc.document_payload(doc)], operation="test:4001"))
    assert (record["SubTotal"], record["TotalTax"], record["Total"]) == (30.09, 4.51, 34.6)
    assert acc.check_totals(doc, record) == []
    assert acc.tax_mismatches(doc, gateway.get_tax_rates()) == []


def test_a_tax_mapped_to_a_rate_of_another_percentage_is_named():
    doc = invoice(
        "INV-4002",
        lines=(line("Consulting", 2, 100, tax_type="NONE", tax_amount=D("30.00"), odoo_tax_label='"15% GST"'),),
    )
    assert acc.tax_mismatches(doc, RATES) == [
        'Tax "15% GST" of line "Consulting" comes to 30.00 in Odoo, but the Xero tax rate "NONE" it is mapped '
        "to (0%) gives 0.00: map it to the Xero tax rate of the same percentage."
    ]


def test_unit_amounts_keep_four_decimals(gateway, contact_id):
    doc = invoice("INV-4003", contact_id, (line("Screws", 1000, "0.0125", tax_type="NONE"),), amount_total="12.50")
    record = saved(gateway.create_invoices([acc.document_payload(doc)], operation="test:4003"))
    assert record["Total"] == 12.5


def test_void_and_update_an_approved_invoice(gateway, contact_id):
    doc = invoice("INV-4004", contact_id, (line("Thing", 1, 10),))
    created = saved(gateway.create_invoices([acc.document_payload(doc)], operation="test:4004"))
    changed = dict(acc.document_payload(dataclasses.replace(doc, lines=(line("Thing", 2, 10),))))
    changed["InvoiceID"] = created["InvoiceID"]
    updated = saved(gateway.save_invoices([changed], operation="test:4004-update"))
    assert (updated["InvoiceID"], updated["Total"]) == (created["InvoiceID"], 23.0)
    voided = saved(gateway.save_invoices([acc.void_payload(acc.INVOICE, created["InvoiceID"])], "test:4004-void"))
    assert voided["Status"] == "VOIDED"
    note = invoice("CN-4004", contact_id, (line("Thing", 1, 10),), kind="credit_note", due_date=None)
    note_id = saved(gateway.create_credit_notes([acc.document_payload(note)], "test:cn-4004"))["CreditNoteID"]
    voided = saved(gateway.save_credit_notes([acc.void_payload(acc.CREDIT_NOTE, note_id)], "test:cn-4004-void"))
    assert voided["Status"] == "VOIDED"


def test_payments_and_allocations_can_be_taken_back(gateway, contact_id):
    doc = invoice("INV-4005", contact_id, (line("T", 1, 100),))
    inv_id = saved(gateway.create_invoices([acc.document_payload(doc)], "t:4005"))["InvoiceID"]
    pay = acc.PaymentDoc("pay", inv_id, "090", "2024-06-03", D("115.00"))
    payment_id = saved(gateway.save_payments([acc.payment_payload(pay)], operation="t:pay-4005"))["PaymentID"]
    assert gateway.get_invoices(numbers=["INV-4005"])[0]["Status"] == "PAID"
    assert gateway.delete_payment(payment_id, operation="t:pay-4005-delete")["Status"] == "DELETED"
    again = gateway.delete_payment(payment_id, operation="t:pay-4005-delete")  # a retry answers the same
    assert again["Status"] == "DELETED"
    after = gateway.get_invoices(numbers=["INV-4005"])[0]
    assert (after["Status"], after["AmountDue"]) == ("AUTHORISED", 115.0)

    note = invoice("CN-4005", contact_id, (line("T", 1, 20),), kind="credit_note", due_date=None)
    note_id = saved(gateway.create_credit_notes([acc.document_payload(note)], "t:cn-4005"))["CreditNoteID"]
    allocation = saved(
        gateway.allocate_credit_note(note_id, [acc.allocation_payload(inv_id, D("23.00"), "2024-06-04")], "t:a")
    )
    assert gateway.get_invoices(numbers=["INV-4005"])[0]["AmountDue"] == 92.0
    gone = gateway.delete_allocation(note_id, allocation["AllocationID"])
    assert gone["IsDeleted"] is True
    assert gateway.get_invoices(numbers=["INV-4005"])[0]["AmountDue"] == 115.0
    assert gateway.get_credit_notes(where='CreditNoteNumber=="CN-4005"')[0]["RemainingCredit"] == 23.0


def test_odoo_lines_keep_quantity_and_price_when_they_give_odoo_s_amount():
    exact = acc.odoo_line("Travel", D("1"), D("86.96"), D("10"), D("78.26"), account_code="200", tax_type="NONE")
    assert (exact.unit_amount, exact.discount_rate) == (D("86.96"), D("10"))
    # Odoo moved a cent onto this line (global rounding): Xero gets Odoo's amount.
    moved = acc.odoo_line("Travel", D("1"), D("86.96"), D("10"), D("78.27"), account_code="200", tax_type="NONE")
    assert moved.unit_amount is None
    assert {k: v for k, v in acc._line_payload(moved).items() if k in ("Quantity", "LineAmount", "UnitAmount")} == {
        "Quantity": 1,
        "LineAmount": 78.27,
    }


def test_mappings_fall_back_to_the_same_code_and_take_one_tax():
    maps = acc.Mappings(accounts={7: "260"}, taxes={3: "OUTPUT"}, no_tax="NONE", xero_account_codes={"200", "260"})
    assert maps.account_code(7, "400000") == "260"  # mapped
    assert maps.account_code(8, "200") == "200"  # the same code in Xero
    assert maps.account_code(9, "400000") is None  # neither
    assert (maps.tax_type([]), maps.tax_type([3]), maps.tax_type([4]), maps.tax_type([3, 4])) == (
        "NONE",
        "OUTPUT",
        None,
        None,
    )


def test_quantity_and_line_amount_without_unit_amount(gateway, contact_id):
    moved = acc.odoo_line("Bolts", D("3"), D("3.3333"), 0, D("10.01"), account_code="200", tax_type="NONE")
    doc = invoice("INV-4006", contact_id, (moved,), amount_untaxed="10.01", amount_tax="0", amount_total="10.01")
    record = saved(gateway.create_invoices([acc.document_payload(doc)], operation="test:4006"))
    assert (record["LineItems"][0]["Quantity"], record["Total"]) == (3.0, 10.01)
    assert acc.check_totals(doc, record) == []


def test_a_refund_paid_out_settles_its_credit_note(gateway, contact_id):
    note = invoice("CN-4007", contact_id, (line("Returned", 1, 100),), kind="credit_note", due_date=None)
    note_id = saved(gateway.create_credit_notes([acc.document_payload(note)], "t:cn-4007"))["CreditNoteID"]
    refund = acc.PaymentDoc("refund", None, "090", "2024-06-05", D("115.00"), credit_note_xero_id=note_id)
    assert acc.payment_payload(refund)["CreditNote"] == {"CreditNoteID": note_id}
    paid = saved(gateway.save_payments([acc.payment_payload(refund)], operation="t:refund-4007"))
    assert (paid["PaymentType"], paid["CreditNote"]["CreditNoteNumber"]) == ("ARCREDITPAYMENT", "CN-4007")
    after = gateway.get_credit_notes(where='CreditNoteNumber=="CN-4007"')[0]
    assert (after["RemainingCredit"], after["Status"]) == (0.0, "PAID")
    assert gateway.delete_payment(paid["PaymentID"], operation="t:refund-4007-delete")["Status"] == "DELETED"
    assert gateway.get_credit_notes(where='CreditNoteNumber=="CN-4007"')[0]["RemainingCredit"] == 115.0
