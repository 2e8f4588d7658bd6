"""Xero's own totals of a document, for the tests: what Xero computes from the lines the
addon sends (the product sends Odoo's amounts and checks Xero's answer, `check_totals`)."""

from decimal import Decimal

from xero_connector.accounting import _line_amount, _rates, _xero_line_tax, money


def xero_totals(doc, tax_rates):
    """SubTotal, TotalTax and Total as Xero computes them, before sending.

    Xero rounds each line's amount and tax to the cent and adds them up; a
    line's given `tax_amount` replaces Xero's calculation, as it does in
    Xero. `tax_rates` is the gateway's `get_tax_rates()` list, or a dict
    TaxType -> percent.
    """
    tax_rates = _rates(tax_rates)
    sub, tax = Decimal(0), Decimal(0)
    for line in doc.lines:
        amount = _line_amount(line)
        line_tax = money(line.tax_amount) if line.tax_amount is not None else _xero_line_tax(doc, line, tax_rates)
        sub += amount - line_tax if doc.tax_included else amount
        tax += line_tax
    return {"SubTotal": money(sub), "TotalTax": money(tax), "Total": money(sub + tax)}
