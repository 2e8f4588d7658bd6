"""The outbox: every write to Xero as one frozen batch, its answers matched by key.

A batch is planned (its items, their payloads, its operation name, hence its
idempotency key) and committed before it is sent; a retry sends it again
unchanged. Xero does not promise that a batch's answers come back in request
order, so each item is named by a key it carries (a document's number or id, a
payment's Reference holding the Odoo payment's id, a contact's name...) and
Xero's answers are matched to the items by that key, never by position.
"""

import re
from collections import defaultdict, deque
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from . import matching

# What the addon uses (its public API; the rest may change without notice).
__all__ = [
    "BATCH_SIZE",
    "KINDS",
    "Answer",
    "batch_size",
    "found_allocations",
    "found_payments",
    "item_key",
    "match",
    "may_be_held",
    "operation",
    "payment_reference",
    "same_amount",
]

BATCH_SIZE = 50  # records a request: Xero's recommendation, for every kind but one
# Adding contacts to a group names only their ids: Xero takes far more of them a request.
BATCH_SIZES = {"contact_group_members": 500}

# kind: (Xero list key, what names an item in the request and in the answer)
KINDS = {
    "invoice_create": ("Invoices", "InvoiceNumber"),
    "credit_note_create": ("CreditNotes", "CreditNoteNumber"),
    "invoice_update": ("Invoices", "InvoiceID"),
    "credit_note_update": ("CreditNotes", "CreditNoteID"),
    "invoice_void": ("Invoices", "InvoiceID"),
    "credit_note_void": ("CreditNotes", "CreditNoteID"),
    "payment": ("Payments", "Reference"),
    "allocation": ("Allocations", "Allocation"),
    "payment_delete": ("Payments", "PaymentID"),
    "allocation_delete": ("Allocations", "AllocationID"),
    # A contact updated is named by its ContactID, one created by its name (Xero keeps names unique).
    "contact_save": ("Contacts", "ContactID"),
    "contact_group": ("ContactGroups", "Name"),
    "contact_group_members": ("Contacts", "ContactID"),
}

# Xero's words when a new contact's name is taken: by another contact, or by this very
# contact, created by an earlier try whose answer was lost once Xero forgot its key.
NAME_TAKEN = "is already assigned to another contact"


def batch_size(kind):
    """How many items one batch of `kind` holds."""
    return BATCH_SIZES.get(kind, BATCH_SIZE)


def may_be_held(kind, answer):
    """True when Xero's refusal of an item may mean Xero already holds it (read it back)."""
    if kind != "contact_save" or answer is None:
        return False
    return any(NAME_TAKEN in (words or "") for words in answer.xero_words)


# The Odoo payment's own id, carried by the Reference Xero keeps with the payment:
# a payment Xero holds is found again by it even once Xero forgot the request.
_REFERENCE_ID = re.compile(r"\(Odoo #(\d+)\)\s*$")


def payment_reference(entry_name, payment_id):
    """The Reference of a payment sent to Xero: the Odoo entry's name and the payment's id."""
    return f"{entry_name or ''} (Odoo #{payment_id})".strip()


def payment_id_of(reference):
    """The Odoo payment id a Reference carries, or None."""
    found = _REFERENCE_ID.search(reference or "")
    return int(found.group(1)) if found else None


def operation(kind, connection_id, batch_id, revisions=()):
    """The name of a batch's write: one batch, one name, whatever the try.

    `revisions` (an update's binding revisions) make a later update of the same
    records, even back to content sent before, another write for Xero.
    """
    name = f"outbox-{kind}:{connection_id}:{batch_id}"
    return f"{name}:r{'.'.join(str(r) for r in revisions)}" if revisions else name


def _money(value):
    try:
        return str(Decimal(str(value)).quantize(Decimal("0.01")))
    except (InvalidOperation, ValueError):
        return str(value)


def item_key(kind, item):
    """What names one item of `kind`, in a request or in Xero's answer (None when nothing does)."""
    if not isinstance(item, dict):
        return None
    _list_key, key_field = KINDS[kind]
    if kind == "contact_save":
        return _contact_keys(item)[0] if _contact_keys(item) else None
    if kind == "payment":
        return payment_id_of(item.get("Reference"))
    if kind == "allocation":
        invoice = item.get("Invoice") or {}
        invoice_id = invoice.get("InvoiceID")
        return f"{str(invoice_id).lower()}|{_money(item.get('Amount'))}" if invoice_id else None
    value = item.get(key_field)
    if not value:
        return None
    if key_field.endswith("ID"):
        return str(value).lower()
    return matching.xero_key(value)


def _contact_keys(item):
    """A contact's keys: its id when it has one, then its name (Xero keeps names unique)."""
    keys = []
    if item.get("ContactID"):
        keys.append(f"id:{str(item['ContactID']).lower()}")
    if item.get("Name"):
        keys.append("name:" + matching.xero_key(item["Name"]))
    return keys


def answer_keys(kind, echo):
    """Every key an answered item can be matched by (a created contact: its new id and its name)."""
    if not isinstance(echo, dict):
        return []
    if kind == "contact_save":
        return _contact_keys(echo)
    key = item_key(kind, echo)
    return [] if key is None else [key]


@dataclass
class Answer:
    """Xero's word on one item: its record (saved, or found by reading back), or its refusal."""

    record: dict | None = None
    problems: list = field(default_factory=list)  # plain words
    xero_words: list = field(default_factory=list)  # Xero's own messages, to tell refusals apart
    found: bool = False  # read back from Xero, not answered by the write

    @property
    def ok(self):
        return not self.problems


def match(kind, keys, answered):
    """Xero's answers given to the items named by `keys`, in the items' order.

    `answered` is a list of (echoed item, Answer). An item with no answer
    carrying its key gets None (it is then settled by reading Xero back). Items
    sharing one key take that key's answers in turn.
    """
    by_key = defaultdict(deque)
    for number, (echo, _answer) in enumerate(answered):
        for key in answer_keys(kind, echo):
            by_key[key].append(number)
    used, out = set(), []
    for key in keys:
        queue = by_key.get(key) if key is not None else None
        while queue and queue[0] in used:
            queue.popleft()
        if queue:
            number = queue.popleft()
            used.add(number)
            out.append(answered[number][1])
        else:
            out.append(None)
    return out


def same_amount(left, right):
    """Two amounts equal to the cent."""
    return _money(left) == _money(right)


def found_payments(documents, wanted):
    """{Odoo payment id: Xero payment} among the payments of `documents` (invoices or credit
    notes as Xero lists them) whose Reference carries one of the `wanted` ids."""
    wanted = set(wanted)
    found = {}
    for doc in documents:
        for payment in doc.get("Payments") or []:
            odoo_id = payment_id_of(payment.get("Reference"))
            if odoo_id in wanted and odoo_id not in found:
                found[odoo_id] = payment
    return found


def found_allocations(credit_note, keys):
    """{item key: Xero allocation} among a credit note's allocations, for the wanted keys
    (each Xero allocation answers one key once)."""
    pool = defaultdict(deque)
    for allocation in credit_note.get("Allocations") or []:
        pool[item_key("allocation", allocation)].append(allocation)
    found = {}
    for index, key in enumerate(keys):
        if pool.get(key):
            found[index] = pool[key].popleft()
    return found
