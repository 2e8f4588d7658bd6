"""Tax rates and tax-included documents: what holds a document back, what Xero computes.

Each test here fails on a bug that once passed the engine suite: a tax-rate
tolerance that grew with the number of lines, and tax-included lines
computed as if the tax came on top.
"""

import dataclasses
from decimal import Decimal

import pytest

from xero_connector import accounting as acc
from xero_connector.tests.xero_totals import xero_totals

D = Decimal
RATES = {"OUTPUT": 15, "OUTPUT2": D("12.5"), "NONE": 0}


def line(description, quantity, unit, tax_type="OUTPUT", **extra):
    return acc.Line(description, D(str(quantity)), D(str(unit)), "200", tax_type, **extra)


def document(lines, number="INV-7001", contact_id="c-1", **extra):
    return acc.Document(
        key=f"move,{number}",
        kind="invoice",
        number=number,
        contact_id=contact_id,
        date="2024-05-01",
        lines=lines,
        **extra,
    )


# -- the tax-rate tolerance: one cent a line, however long the document ---------


def test_a_15_percent_tax_mapped_to_12_5_is_held_back_on_a_30_line_invoice():
    # Odoo: 30 x 10.00 at 15 % = 1.50 a line; the 12.5 % rate gives 1.25 a line.
    lines = tuple(
        line(f"Item {n}", 1, "10.00", tax_type="OUTPUT2", tax_amount=D("1.50"), odoo_tax_label='"15% GST"')
        for n in range(30)
    )
    problems = acc.tax_mismatches(document(lines), RATES)
    assert len(problems) == 30
    assert problems[0] == (
        'Tax "15% GST" of line "Item 0" comes to 1.50 in Odoo, but the Xero tax rate "OUTPUT2" it is mapped '
        "to (12.5%) gives 1.25: map it to the Xero tax rate of the same percentage."
    )


def test_the_same_mismatch_is_held_back_on_a_one_line_invoice():
    doc = document((line("Item", 1, "10.00", tax_type="OUTPUT2", tax_amount=D("1.50")),))
    assert len(acc.tax_mismatches(doc, RATES)) == 1


def test_globally_rounded_30_lines_move_a_cent_a_line_and_pass():
    # 30 x 10.03 at 15 %: 1.5045 a line, 1.50 rounded per line (45.00), but
    # 45.135 -> 45.14 rounded globally: 14 lines carry one cent more.
    lines = tuple(line(f"Part {n}", 1, "10.03", tax_amount=D("1.51") if n < 14 else D("1.50")) for n in range(30))
    doc = document(lines)
    assert sum(x.tax_amount for x in lines) == D("45.14")
    assert acc.tax_mismatches(doc, RATES) == []


def test_two_cents_off_on_one_line_is_a_mismatch_one_cent_is_not():
    one_cent = document((line("A", 1, "10.00", tax_amount=D("1.51")), line("B", 1, "10.00", tax_amount=D("1.49"))))
    assert acc.tax_mismatches(one_cent, RATES) == []
    two_cents = document((line("A", 1, "10.00", tax_amount=D("1.52")), line("B", 1, "10.00", tax_amount=D("1.50"))))
    assert len(acc.tax_mismatches(two_cents, RATES)) == 1
    assert '"A"' in acc.tax_mismatches(two_cents, RATES)[0]


def test_lines_without_odoo_tax_amount_or_with_an_unknown_rate_are_not_checked_here():
    doc = document((line("A", 1, "10.00"), line("B", 1, "10.00", tax_type="GONE", tax_amount=D("9.00"))))
    assert acc.tax_mismatches(doc, RATES) == []  # an unknown rate is `missing_mappings`' business


def test_the_same_wrong_mapping_on_many_lines_is_said_once_per_line_text():
    lines = tuple(line("Same", 1, "10.00", tax_type="OUTPUT2", tax_amount=D("1.50")) for _ in range(3))
    assert len(acc.tax_mismatches(document(lines), RATES)) == 1


# -- tax-included lines -------------------------------------------------------------

# By hand, tax included at 15 %: 115.00 holds 15.00 of tax; 29.97 holds
# 29.97 - 29.97 / 1.15 = 3.909... = 3.91; 20.00 at 0 % holds none.
INCLUSIVE = (
    line("Course", 2, "57.50", tax_amount=D("15.00")),
    line("Book", 1, "20.00", tax_type="NONE", tax_amount=D("0")),
    line("Snacks", 3, "9.99", tax_amount=D("3.91")),
)


def test_xero_totals_of_a_tax_included_document_take_the_tax_out_of_the_lines():
    doc = document(INCLUSIVE, tax_included=True)
    assert xero_totals(doc, RATES) == {"SubTotal": D("146.06"), "TotalTax": D("18.91"), "Total": D("164.97")}
    # Without Odoo's tax amounts, Xero's own calculation gives the same here.
    bare = dataclasses.replace(doc, lines=tuple(dataclasses.replace(x, tax_amount=None) for x in INCLUSIVE))
    assert xero_totals(bare, RATES) == {"SubTotal": D("146.06"), "TotalTax": D("18.91"), "Total": D("164.97")}


def test_the_same_lines_with_tax_on_top_differ():
    doc = document(tuple(dataclasses.replace(x, tax_amount=None) for x in INCLUSIVE))
    # 115.00 + 20.00 + 29.97 = 164.97 without tax; 17.25 + 4.50 (4.4955) of tax.
    assert xero_totals(doc, RATES) == {"SubTotal": D("164.97"), "TotalTax": D("21.75"), "Total": D("186.72")}


def test_tax_included_lines_with_the_right_rate_are_not_held_back():
    assert acc.tax_mismatches(document(INCLUSIVE, tax_included=True), RATES) == []


def test_tax_included_lines_mapped_to_another_rate_are_held_back():
    # 29.97 including 12.5 %: 29.97 - 29.97 / 1.125 = 3.33, not Odoo's 3.91.
    lines = (line("Snacks", 3, "9.99", tax_type="OUTPUT2", tax_amount=D("3.91")),)
    problems = acc.tax_mismatches(document(lines, tax_included=True), RATES)
    assert problems == [
        'The tax of line "Snacks" comes to 3.91 in Odoo, but the Xero tax rate "OUTPUT2" it is mapped '
        "to (12.5%) gives 3.33: map it to the Xero tax rate of the same percentage."
    ]


def test_tax_included_payload_says_inclusive_and_sends_the_amounts_as_they_are():
    payload = acc.document_payload(document(INCLUSIVE, tax_included=True))
    assert payload["LineAmountTypes"] == "Inclusive"
    assert [(x["Quantity"], x["UnitAmount"], x.get("TaxAmount")) for x in payload["LineItems"]] == [
        (2, 57.5, 15),
        (1, 20, 0),
        (3, 9.99, 3.91),
    ]
    assert acc.document_payload(document(INCLUSIVE))["LineAmountTypes"] == "Exclusive"


@pytest.fixture
def gateway(sandbox, make_gateway):
    yield make_gateway()
    assert sandbox.validation_errors == []


def test_xero_computes_the_totals_the_engine_predicts_for_tax_included_lines(gateway):
    contact = gateway.save_contacts([{"Name": "Inclusive Ltd"}], operation="taxes:contact").items[0].record
    doc = document(
        tuple(dataclasses.replace(x, tax_amount=None) for x in INCLUSIVE),
        contact_id=contact["ContactID"],
        tax_included=True,
        amount_untaxed="146.06",
        amount_tax="18.91",
        amount_total="164.97",
    )
    result = gateway.create_invoices([acc.document_payload(doc)], operation="taxes:inclusive")
    record = result.items[0].record
    assert acc.check_totals(doc, record) == []
    predicted = xero_totals(doc, gateway.get_tax_rates())
    assert (predicted["SubTotal"], predicted["TotalTax"], predicted["Total"]) == (
        acc.money(record["SubTotal"]),
        acc.money(record["TotalTax"]),
        acc.money(record["Total"]),
    )
