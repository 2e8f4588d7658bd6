"""The project's own Xero errors.

The gateway turns every SDK or transport exception into one of these, with a
message in plain words that can be shown to an accountant as it is.
`retryable` tells the job queue whether trying again later may succeed.
"""

import math
import re

from .messages import Message, _lt

# What the addon uses (its public API; the rest may change without notice).
__all__ = [
    "XeroAuthError",
    "XeroError",
    "XeroNotFoundError",
    "XeroRateLimitError",
    "XeroRequestError",
    "XeroValidationError",
]


class XeroError(Exception):
    """Base of every error the gateway raises."""

    retryable = False

    def __init__(self, message, status=None):
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self):
        return self.message


class XeroAuthError(XeroError):
    """Xero refused our credentials: the connection needs attention."""

    def __init__(self, message, status=None, reconnect_needed=False):
        super().__init__(message, status)
        # True when only a new consent can fix it (invalid_grant, revoked).
        self.reconnect_needed = reconnect_needed


class XeroRateLimitError(XeroError):
    """Xero's budget is spent; try again after `retry_after` seconds."""

    retryable = True

    def __init__(self, message, retry_after, problem=None):
        super().__init__(message, 429)
        self.retry_after = retry_after
        self.problem = problem

    @property
    def user_message(self):
        """The wait in plain words, for a user whose request cannot wait that long."""
        return wait_message(self.retry_after)


WAIT_MINUTES = _lt("Xero asks us to wait %(minutes)s minutes before calling it again for this organisation.")
WAIT_A_MINUTE = _lt("Xero asks us to wait a minute before calling it again for this organisation.")


def wait_message(seconds):
    """ "Xero asks us to wait N minutes", rounded up to whole minutes (a Message)."""
    minutes = max(1, math.ceil((seconds or 0) / 60.0))
    return Message(WAIT_A_MINUTE) if minutes == 1 else Message(WAIT_MINUTES, minutes=minutes)


def rate_limit_error(wait, problem):
    """Xero's budget is spent for `wait` seconds more, in plain words."""
    what = {"day": "today's ", "minute": "this minute's ", "concurrent": "the concurrent-call "}.get(problem, "")
    return XeroRateLimitError(
        f"Xero's {what}API limit for this organisation is used up; try again in {math.ceil(wait)} seconds.",
        retry_after=wait,
        problem=problem,
    )


class XeroUnavailableError(XeroError):
    """Xero did not answer properly (5xx, timeout, TLS or connection lost, 409
    for a request with the same key still in flight, a malformed answer):
    Xero unavailable, will retry. Never a refusal of the data.

    `maybe_written` is True when the request was a write that may have reached
    Xero: its outcome is unknown, so the same batch must be sent again with
    its key (or settled by reading Xero back), never rebuilt nor rolled back.
    """

    retryable = True

    def __init__(self, message, status=None, maybe_written=False):
        super().__init__(message, status)
        self.maybe_written = maybe_written


class XeroUnclearAnswerError(XeroUnavailableError):
    """Xero answered a write, but not in a form that says what it did (items
    without their ids, fewer items than sent, an unreadable body).

    Xero may have saved some or all of the batch: nothing is rolled back and
    no new copy is written; the batch is settled by reading Xero back (or by
    sending it again with the same key). `items` holds the `ItemResult`s that
    could be read (possibly none), `sent` how many records were sent.
    """

    def __init__(self, message, items=None, sent=None, status=200):
        super().__init__(message, status, maybe_written=True)
        self.items = list(items or [])
        self.sent = sent

    settle_by_reading = True


class XeroNotFoundError(XeroError):
    """The record does not exist (any more) at Xero."""


class XeroRequestError(XeroError):
    """Xero refused the request itself (malformed, forbidden, ...)."""


class XeroValidationError(XeroError):
    """Xero refused one or more records; `problems` lists each of them."""

    def __init__(self, problems, status=400):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems) or "Xero refused the data.", status)


# Xero's validation messages do not name the field; these patterns recognise
# the common ones so the user is told which field to fix.
_FIELD_PATTERNS = [
    (re.compile(r"contact name|name must be unique|name is required|\bname\b", re.I), "Name"),
    (re.compile(r"email", re.I), "EmailAddress"),
    (re.compile(r"tax ?number|abn|gst number|vat", re.I), "TaxNumber"),
    (re.compile(r"archived", re.I), "ContactStatus"),
    (re.compile(r"account ?code|account", re.I), "AccountCode"),
    (re.compile(r"tax ?type|tax rate", re.I), "TaxType"),
    (re.compile(r"currency", re.I), "CurrencyCode"),
    (re.compile(r"invoice ?number", re.I), "InvoiceNumber"),
    (re.compile(r"due ?date", re.I), "DueDate"),
    (re.compile(r"\bdate\b", re.I), "Date"),
    (re.compile(r"phone", re.I), "Phones"),
    (re.compile(r"address|postal|region|country", re.I), "Addresses"),
]

# How each record type is named to the user, and the keys that identify it.
_RECORD_LABELS = {
    "Contacts": ("contact", ("Name", "ContactID")),
    "Invoices": ("invoice", ("InvoiceNumber", "Reference", "InvoiceID")),
    "CreditNotes": ("credit note", ("CreditNoteNumber", "Reference", "CreditNoteID")),
    "Payments": ("payment", ("PaymentID", "Reference")),
    "ContactGroups": ("contact group", ("Name", "ContactGroupID")),
    "Allocations": ("allocation", ("AllocationID",)),
}


def guess_field(message):
    for pattern, field in _FIELD_PATTERNS:
        if pattern.search(message or ""):
            return field
    return None


class RecordProblem:
    """One record Xero refused: which record, which field, Xero's words."""

    def __init__(self, record_type, record_label, xero_message, index=None, field=None):
        self.record_type = record_type
        self.record_label = record_label
        self.xero_message = xero_message
        self.index = index
        self.field = field or guess_field(xero_message)

    @property
    def message(self):
        kind = _RECORD_LABELS.get(self.record_type, (self.record_type or "record", ()))[0]
        who = f'{kind} "{self.record_label}"' if self.record_label else kind
        where = f" (field {self.field})" if self.field else ""
        return f"Xero refused {who}{where}: {self.xero_message}"

    def __repr__(self):
        return f"RecordProblem({self.message!r})"


def record_label(record_type, item):
    keys = _RECORD_LABELS.get(record_type, (None, ()))[1]
    for key in keys:
        value = (item or {}).get(key)
        if value:
            return str(value)
    return None


def item_problems(record_type, item, index=None):
    """The problems Xero attached to one returned item (summarizeErrors=false)."""
    messages = [e.get("Message") for e in (item.get("ValidationErrors") or []) if e.get("Message")]
    # Payments and line items carry their own nested ValidationErrors.
    for line in item.get("LineItems") or []:
        messages += [e.get("Message") for e in (line.get("ValidationErrors") or []) if e.get("Message")]
    label = record_label(record_type, item)
    return [RecordProblem(record_type, label, m, index=index) for m in messages]
