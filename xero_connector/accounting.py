"""Sending Odoo's posted customer invoices, credit notes and payments to Xero.

The Odoo side hands plain descriptions of its documents (`Document`, `Line`,
`PaymentDoc`); this module turns them into Xero's JSON, names what is not
mapped yet, compares Odoo's totals with the ones Xero computed, and plans a
back-sync: what would be sent and what Xero already holds (same number, same
contact, same type), so nothing is sent twice. Stdlib only: this never
imports odoo.

Money is handled with `decimal.Decimal` (2 decimals, ROUND_HALF_UP, as Xero
rounds); payloads carry plain floats, as Xero's JSON does, so they can be
stored as JSON. Dates are `datetime.date` or ISO text ("2024-05-31").
"""

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from . import matching
from .messages import Message, _lt

# What the addon uses (its public API; the rest may change without notice).
__all__ = [
    "CREDIT_NOTE",
    "INVOICE",
    "KINDS",
    "Document",
    "Mappings",
    "PaymentDoc",
    "allocation_payload",
    "as_date",
    "check_totals",
    "document_payload",
    "lock_date",
    "locked",
    "missing_mappings",
    "odoo_label",
    "odoo_line",
    "payment_payload",
    "preview",
    "signature",
    "tax_mismatches",
    "void_payload",
]

INVOICE, CREDIT_NOTE = "invoice", "credit_note"
KINDS = {
    # kind: (Xero Type, number field, id field, words)
    INVOICE: ("ACCREC", "InvoiceNumber", "InvoiceID", "Invoice"),
    CREDIT_NOTE: ("ACCRECCREDIT", "CreditNoteNumber", "CreditNoteID", "Credit note"),
}
_A = {INVOICE: "an invoice", CREDIT_NOTE: "a credit note"}
CENT = Decimal("0.01")
BATCH_SIZE = 50


# -- plain values ---------------------------------------------------------------


def money(value):
    """`value` as a Decimal rounded to the cent (ROUND_HALF_UP), None for None."""
    if value is None:
        return None
    return number(value).quantize(CENT, rounding=ROUND_HALF_UP)


def number(value):
    """`value` as an exact Decimal (floats through their shortest text)."""
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number.") from None


def as_date(value):
    """A `datetime.date` from a date, a datetime or ISO text; None stays None."""
    if value is None or value is False:  # Odoo gives False for an empty date
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ValueError(f"{value!r} is not a date (expected YYYY-MM-DD).") from None


def odoo_label(code, name=None):
    """How to name an Odoo account or tax to a user: `400000 "Sales"`, `"15% GST"`."""
    code, name = (str(code).strip() if code else ""), (str(name).strip() if name else "")
    if code and name:
        return f'{code} "{name}"'
    return code or (f'"{name}"' if name else "")


def _json_number(value):
    """A Decimal as the plain number Xero's JSON holds (an int when whole)."""
    value = number(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _rate(value):
    """A currency rate as Xero keeps it (10 decimals): Odoo's floats carry binary noise."""
    return _json_number(number(value).quantize(Decimal("1e-10"), rounding=ROUND_HALF_UP).normalize())


def _amount(value):
    return _json_number(money(value))


# -- what the Odoo side hands over ----------------------------------------------


@dataclass(frozen=True)
class Line:
    description: str
    quantity: object  # Decimal, int, float or text
    unit_amount: object
    account_code: str | None  # the Xero account code the Odoo account is mapped to
    tax_type: str | None  # the Xero TaxType the Odoo tax(es) are mapped to ("NONE" for no tax)
    discount_rate: object = None  # percent, as Odoo's discount
    # Odoo's own amount of the line (without tax, or with it on a tax-included
    # document): sent only when quantity or unit amount is not given.
    line_amount: object = None
    odoo_account_label: str | None = None  # e.g. odoo_label("400000", "Sales")
    odoo_tax_label: str | None = None  # e.g. odoo_label(None, "15% GST")
    # Odoo's own tax of the line, rounded as Odoo rounded it (globally rounded
    # documents spread the last cent over their lines). Sent as Xero's
    # TaxAmount, which overrides Xero's own calculation: the totals then
    # match Odoo's to the cent whatever the rounding method.
    tax_amount: object = None


@dataclass(frozen=True)
class Document:
    key: object  # the Odoo side's stable id (e.g. "account.move,42")
    kind: str  # "invoice" or "credit_note"
    number: str
    contact_id: str  # the Xero ContactID
    date: object
    due_date: object = None
    currency: str = "NZD"
    currency_rate: object = None  # units of `currency` for one unit of the organisation's currency
    reference: str | None = None
    lines: tuple = ()
    amount_untaxed: object = None  # Odoo's totals, positive as printed (credit notes too)
    amount_tax: object = None
    amount_total: object = None
    tax_included: bool = False  # unit amounts include tax (LineAmountTypes "Inclusive")
    url: str | None = None  # the document in Odoo: Xero shows "Go to <app>" (invoices only)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Unknown document kind {self.kind!r}: expected 'invoice' or 'credit_note'.")

    @property
    def xero_type(self):
        return KINDS[self.kind][0]

    @property
    def label(self):
        """e.g. 'Invoice INV/2024/0001'."""
        return f"{KINDS[self.kind][3]} {self.number}"


@dataclass(frozen=True)
class PaymentDoc:
    key: object
    invoice_xero_id: str | None  # the InvoiceID paid (or give credit_note_xero_id)
    account_code: str | None  # the Xero bank account (Code), or give account_id
    date: object
    amount: object
    currency_rate: object = None
    reference: str | None = None
    account_id: str | None = None  # the Xero AccountID, instead of account_code
    credit_note_xero_id: str | None = None  # a refund paid out: the CreditNoteID it settles


# -- payloads -------------------------------------------------------------------


def odoo_line(description, quantity, price_unit, discount, amount, **values):
    """A `Line` from an Odoo invoice line, whose Xero amount equals Odoo's.

    `amount` is Odoo's own amount of the line (without tax, or with it on a
    tax-included document), rounded as Odoo rounded it. When quantity x
    price x discount gives that amount to the cent, Xero gets quantity and
    unit price as they are; otherwise (a globally rounded document moved a
    cent onto the line, a price included a tax on a tax-excluded document)
    Xero gets the quantity and Odoo's amount, and works the unit price out.
    """
    discount = number(discount or 0)
    if quantity is not None and price_unit is not None:
        if money(number(quantity) * number(price_unit) * (1 - discount / 100)) == money(amount):
            return Line(description, quantity, price_unit, discount_rate=discount or None, line_amount=amount, **values)
    return Line(description, quantity, None, discount_rate=None, line_amount=amount, **values)


def _line_payload(line, discounts=True):
    out = {"Description": line.description or ""}
    discounted = line.discount_rate is not None and number(line.discount_rate) != 0
    if discounted and not discounts:
        # Xero's credit notes take no DiscountRate ("credit notes in Xero do not support
        # discounts", LineItem.DiscountRate in Xero's OpenAPI): the discounted amount
        # goes as the line amount, and Xero works the unit price out of it.
        amount = line.line_amount if line.line_amount is not None else _line_amount(line)
        line = dataclasses.replace(line, unit_amount=None, discount_rate=None, line_amount=amount)
    if line.quantity is None or line.unit_amount is None:
        if line.line_amount is None:
            raise ValueError(f'Line "{line.description}" has neither quantity and unit amount nor an amount.')
        if line.quantity is not None and number(line.quantity) != 0:
            out["Quantity"] = _json_number(line.quantity)
        out["LineAmount"] = _amount(line.line_amount)
    else:
        out["Quantity"] = _json_number(line.quantity)
        out["UnitAmount"] = _json_number(line.unit_amount)
    if line.discount_rate is not None and number(line.discount_rate) != 0:
        out["DiscountRate"] = _json_number(line.discount_rate)
    if line.account_code:
        out["AccountCode"] = str(line.account_code)
    if line.tax_type:
        out["TaxType"] = str(line.tax_type)
    if line.tax_amount is not None:
        out["TaxAmount"] = _amount(line.tax_amount)
    return out


def _document_payload(doc):
    _type, number_field, _id, _words = KINDS[doc.kind]
    out = {
        "Type": doc.xero_type,
        "Contact": {"ContactID": doc.contact_id},
        number_field: doc.number,
        "Date": as_date(doc.date).isoformat(),
    }
    if as_date(doc.due_date):
        out["DueDate"] = as_date(doc.due_date).isoformat()
    if doc.reference:
        out["Reference"] = doc.reference
    if doc.url and doc.kind == INVOICE:  # Xero's credit notes take no Url
        out["Url"] = doc.url
    out["CurrencyCode"] = doc.currency
    if doc.currency_rate is not None:
        out["CurrencyRate"] = _rate(doc.currency_rate)
    out["Status"] = "AUTHORISED"
    out["LineAmountTypes"] = "Inclusive" if doc.tax_included else "Exclusive"
    out["LineItems"] = [_line_payload(line, discounts=doc.kind == INVOICE) for line in doc.lines]
    return out


def document_payload(doc):
    """The Xero Invoice (Type ACCREC) or CreditNote (Type ACCRECCREDIT) of an Odoo customer document, approved."""
    return _document_payload(doc)


def payment_payload(payment):
    """The Xero Payment of an invoice (or a credit note's refund), into a bank account given by Code or AccountID."""
    if payment.account_id:
        account = {"AccountID": payment.account_id}
    elif payment.account_code:
        account = {"Code": str(payment.account_code)}
    else:
        raise ValueError(f"Payment {payment.key} names no Xero account to pay into.")
    if payment.credit_note_xero_id:
        paid = {"CreditNote": {"CreditNoteID": payment.credit_note_xero_id}}
    else:
        paid = {"Invoice": {"InvoiceID": payment.invoice_xero_id}}
    out = {
        **paid,
        "Account": account,
        "Date": as_date(payment.date).isoformat(),
        "Amount": _amount(payment.amount),
    }
    if payment.currency_rate is not None:
        out["CurrencyRate"] = _rate(payment.currency_rate)
    if payment.reference:
        out["Reference"] = payment.reference
    return out


def void_payload(kind, xero_id):
    """What voids an approved invoice or credit note in Xero (POST with its id)."""
    _type, _number, id_field, _words = KINDS[kind]
    return {id_field: xero_id, "Status": "VOIDED"}


def signature(payload):
    """A short fingerprint of what was sent: a document changed in Odoo gets another one."""
    blob = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def allocation_payload(invoice_xero_id, amount, date):
    """One Allocation of a credit note to an invoice (PUT /CreditNotes/{id}/Allocations)."""
    return {"Invoice": {"InvoiceID": invoice_xero_id}, "Amount": _amount(amount), "Date": as_date(date).isoformat()}


# -- totals ---------------------------------------------------------------------


def _rates(tax_rates):
    if isinstance(tax_rates, dict):
        return tax_rates
    return {t["TaxType"]: t.get("EffectiveRate") for t in tax_rates}


def _line_amount(line):
    """The line's amount as Xero computes it (tax included on an inclusive document)."""
    if line.quantity is None or line.unit_amount is None:
        return money(line.line_amount)
    discount = number(line.discount_rate) if line.discount_rate is not None else Decimal(0)
    return money(number(line.quantity) * number(line.unit_amount) * (1 - discount / 100))


def _xero_line_tax(doc, line, tax_rates):
    """The tax Xero itself computes for a line from its tax rate."""
    if line.tax_type not in tax_rates:
        raise ValueError(f"Xero has no tax rate {line.tax_type!r}.")
    percent = number(tax_rates[line.tax_type] or 0)
    amount = _line_amount(line)
    if doc.tax_included:
        return money(amount - amount / (1 + percent / 100))
    return money(amount * percent / 100)


def tax_mismatches(doc, tax_rates):
    """Lines whose Odoo tax is not what their Xero tax rate gives, in plain words.

    Odoo's tax amounts are sent as they are, so a tax mapped to a Xero rate
    of another percentage would silently carry a wrong rate into Xero's tax
    reports: such a document is held back instead. Globally rounded
    documents may move a cent per line, which is allowed: the tolerance is
    one cent on each line, never more on a longer document.
    """
    tax_rates = _rates(tax_rates)
    taxed = [line for line in doc.lines if line.tax_amount is not None and line.tax_type in tax_rates]
    problems = []
    for line in taxed:
        expected = _xero_line_tax(doc, line, tax_rates)
        if abs(money(line.tax_amount) - expected) > CENT:
            tax = (
                Message(_lt("Tax %(tax)s"), tax=line.odoo_tax_label) if line.odoo_tax_label else Message(_lt("The tax"))
            )
            problems.append(
                Message(
                    _lt(
                        '%(tax)s of line "%(line)s" comes to %(amount)s in Odoo, but the Xero tax rate "%(rate)s" it '
                        "is mapped to (%(percent)s%%) gives %(expected)s: map it to the Xero tax rate of the same "
                        "percentage."
                    ),
                    tax=tax,
                    line=line.description,
                    amount=str(money(line.tax_amount)),
                    rate=line.tax_type,
                    percent=f"{number(tax_rates[line.tax_type] or 0):g}",
                    expected=str(expected),
                )
            )
    return list(dict.fromkeys(problems))


_TOTALS = (
    ("amount_untaxed", "SubTotal", "total without tax"),
    ("amount_tax", "TotalTax", "tax"),
    ("amount_total", "Total", "total"),
)


def check_totals(doc, xero_record, only=None):
    """How Odoo's totals differ from the ones Xero computed, in plain words; [] when equal.

    `xero_record` is the saved invoice or credit note as Xero returned it
    (or totals computed as Xero would, to check before sending). `only` limits the
    check to some of the Xero fields (e.g. ("Total",) when only it is known).
    """
    problems = []
    currency = xero_record.get("CurrencyCode") or doc.currency
    if currency != doc.currency:
        problems.append(f"{doc.label}: Odoo's currency is {doc.currency}, Xero's is {currency}.")
    for attr, xero_field, words in _TOTALS:
        if only and xero_field not in only:
            continue
        ours, theirs = money(getattr(doc, attr)), money(xero_record.get(xero_field))
        if ours is None or theirs is None:
            side = "Odoo" if ours is None else "Xero"
            problems.append(f"{doc.label}: {side} gives no {words} to compare.")
        elif ours != theirs:
            problems.append(
                f"{doc.label}: the {words} is {ours} {doc.currency} in Odoo but {theirs} {currency} in Xero "
                f"(difference {abs(ours - theirs)})."
            )
    return problems


# -- mappings -------------------------------------------------------------------


@dataclass
class Mappings:
    """What the settings map Odoo's accounts, taxes and journals to, and what Xero has.

    Odoo records are named by their ids. An Odoo account without a mapping
    takes the Xero account with the same code, when Xero has an active one.
    """

    accounts: dict = field(default_factory=dict)  # Odoo account id -> Xero account code
    taxes: dict = field(default_factory=dict)  # Odoo tax id -> Xero TaxType
    journals: dict = field(default_factory=dict)  # Odoo journal id -> Xero AccountID (a bank account)
    no_tax: str | None = None  # the Xero TaxType of lines without tax
    xero_account_codes: set = field(default_factory=set)  # Xero's active account codes
    tax_rates: dict = field(default_factory=dict)  # Xero's active TaxType -> EffectiveRate

    def account_code(self, account_id, odoo_code=None):
        code = self.accounts.get(account_id)
        if code:
            return code
        return odoo_code if odoo_code and str(odoo_code) in self.xero_account_codes else None

    def tax_type(self, tax_ids):
        """The Xero TaxType of a line's Odoo taxes (one tax, or none); None when not mapped."""
        tax_ids = list(tax_ids)
        if not tax_ids:
            return self.no_tax
        return self.taxes.get(tax_ids[0]) if len(tax_ids) == 1 else None


def _line_part(line, named, of_line, of_a_line):
    """A line's account or tax in words: by its Odoo name, else by the line's description."""
    if named:
        return named
    if line.description:
        return Message(of_line, line=line.description)
    return Message(of_a_line)


def missing_mappings(doc, account_codes, tax_types):
    """What must be mapped (in settings) before `doc` can go to Xero, in plain words.

    `account_codes` / `tax_types` are the codes of Xero's active accounts and
    tax rates (from `get_accounts()` / `get_tax_rates()`). Each problem is
    said once per document, however many lines share it.
    """
    problems = []
    for line in doc.lines:
        # Each part is a Message of its own, so the Odoo layer translates the sentence whole.
        account = _line_part(
            line,
            line.odoo_account_label and Message(_lt("Account %(account)s"), account=line.odoo_account_label),
            _lt('The account of line "%(line)s"'),
            _lt("The account of a line"),
        )
        tax = _line_part(
            line,
            line.odoo_tax_label and Message(_lt("Tax %(tax)s"), tax=line.odoo_tax_label),
            _lt('The tax of line "%(line)s"'),
            _lt("The tax of a line"),
        )
        if not line.account_code:
            problems.append(Message(_lt("%(account)s is not mapped to a Xero account."), account=account))
        elif line.account_code not in account_codes:
            problems.append(
                Message(
                    _lt(
                        '%(account)s is mapped to Xero account code "%(code)s", which Xero does not have (or has '
                        "archived)."
                    ),
                    account=account,
                    code=line.account_code,
                )
            )
        if not line.tax_type and line.odoo_tax_label:
            problems.append(Message(_lt("%(tax)s is not mapped to a Xero tax rate."), tax=tax))
        elif not line.tax_type:
            problems.append(
                Message(
                    _lt(
                        '%(tax)s is not mapped to a Xero tax rate (a line without tax needs one too, such as "No '
                        'GST", NONE).'
                    ),
                    tax=tax,
                )
            )
        elif line.tax_type not in tax_types:
            problems.append(
                Message(
                    _lt('%(tax)s is mapped to Xero tax rate "%(rate)s", which Xero does not have (or has archived).'),
                    tax=tax,
                    rate=line.tax_type,
                )
            )
    return list(dict.fromkeys(problems))


# -- previews and batches --------------------------------------------------------


@dataclass
class Preview:
    to_send: list = field(default_factory=list)  # Documents Xero does not hold yet
    already_in_xero: list = field(default_factory=list)  # (Document, Xero id) pairs
    # Documents to send whose number Xero already gives to another contact's
    # document (or to a voided one): (Document, words). Xero refuses a second
    # document with the same number, and an update-or-create call would
    # change that document instead.
    number_taken: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)  # kind -> number of documents to send
    totals: dict = field(default_factory=dict)  # (kind, currency) -> Decimal sum of amount_total to send
    oldest: date | None = None  # dates of the documents to send
    newest: date | None = None


def _xero_kind(record):
    if record.get("CreditNoteID") or record.get("Type") == "ACCRECCREDIT":
        return CREDIT_NOTE
    return INVOICE


def preview(docs, existing):
    """What a back-sync would send, and what Xero already holds.

    `existing`: Xero invoices and credit notes as the gateway returns them.
    A document is already in Xero when a record of the same type has the
    same number (ignoring case and spacing) for the same contact, and is
    neither deleted nor voided.
    """
    held, taken = {}, {}
    for record in existing:
        kind = _xero_kind(record)
        xero_type, number_field, id_field, words = KINDS[kind]
        if (record.get("Type") or xero_type) != xero_type or not record.get(number_field):
            continue  # bills and supplier credit notes share no numbers with sales documents
        number_key = matching.xero_key(record[number_field])
        contact = str((record.get("Contact") or {}).get("ContactID") or "").lower()
        if record.get("Status") == "DELETED":
            continue  # a deleted document frees its number
        if record.get("Status") == "VOIDED":  # a voided one keeps it
            taken.setdefault((xero_type, number_key), f"Xero holds a voided {words.lower()} with this number")
            continue
        held[(xero_type, number_key, contact)] = record[id_field]
        name = (record.get("Contact") or {}).get("Name")
        owner = f'"{name}"' if name else "another contact"
        taken[(xero_type, number_key)] = f"Xero already gives this number to {_A[kind]} of {owner}"
    result = Preview()
    for doc in docs:
        number_key = matching.xero_key(doc.number)
        xero_id = held.get((doc.xero_type, number_key, str(doc.contact_id).lower()))
        if xero_id:
            result.already_in_xero.append((doc, xero_id))
            continue
        result.to_send.append(doc)
        if (doc.xero_type, number_key) in taken:
            result.number_taken.append((doc, f"{doc.label}: {taken[(doc.xero_type, number_key)]}."))
        result.counts[doc.kind] = result.counts.get(doc.kind, 0) + 1
        bucket = (doc.kind, doc.currency)
        result.totals[bucket] = result.totals.get(bucket, Decimal("0.00")) + (money(doc.amount_total) or 0)
        when = as_date(doc.date)
        result.oldest = when if result.oldest is None else min(result.oldest, when)
        result.newest = when if result.newest is None else max(result.newest, when)
    return result


LOCKED = _lt(
    "%(what)s is dated %(date)s, on or before Xero's lock date (%(lock)s): Xero refuses anything dated in a "
    "locked period. Ask your adviser to move the lock date in Xero, or date it after the lock date in Odoo."
)


def lock_date(organisation):
    """The later of the organisation's PeriodLockDate and EndOfYearLockDate, or None.

    Xero refuses a document, payment or allocation dated on or before it, and
    with it the whole request it came in.
    """
    dates = [_xero_date(organisation.get(field)) for field in ("PeriodLockDate", "EndOfYearLockDate")]
    dates = [d for d in dates if d]
    return max(dates) if dates else None


def locked(what, when, lock):
    """Why `what`, dated `when`, is held back by the lock date `lock` (a Message), or None."""
    when = as_date(when)
    if not (lock and when and when <= lock):
        return None
    return Message(LOCKED, what=what, date=when.isoformat(), lock=lock.isoformat())


def _xero_date(value):
    # The SDK gives dates, or Xero's "/Date(1711843200000+0000)/" when read raw.
    if isinstance(value, str) and value.startswith("/Date("):
        millis = int(value[6:].split("+", maxsplit=1)[0].split(")", maxsplit=1)[0])
        return datetime.fromtimestamp(millis / 1000, tz=timezone.utc).date()
    return as_date(value or None)
