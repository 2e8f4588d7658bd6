"""The one gateway to Xero's accounting API.

Every call to Xero goes through `XeroGateway`, built on the official
`xero-python` SDK. The SDK itself has no timeout, no retry, no back-off and
raises on 304; this class adds all of that:

* a timeout on every request and the `xero-tenant-id` of its organisation;
* paging, and `If-Modified-Since` where a 304 means "nothing changed";
* an `Idempotency-Key` on every write, derived from the logical operation
  and its content, so a retry (ours or the job queue's) never writes twice;
* retries with back-off on 5xx, timeouts and lost connections; a wait of
  `Retry-After` on 429; one token refresh on 401;
* a rate limiter shared by every worker (see `ratelimit.py`);
* translation of every failure into the errors of `errors.py`.

Records go in and come out as plain dicts shaped like Xero's JSON
(`{"Name": ..., "Addresses": [...]}`), so the rest of the engine and the Odoo
models never handle SDK classes.
"""

import contextlib
import email.utils
import hashlib
import json
import logging
import math
import random
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import certifi
import urllib3
from xero_python.accounting import AccountingApi
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.deserializer import deserialize
from xero_python.api_client.oauth2 import OAuth2Token
from xero_python.api_client.serializer import serialize
from xero_python.exceptions import ApiException, ApiSSLException

from . import errors

# What the addon uses (its public API; the rest may change without notice).
__all__ = ["MAX_RETRY_AFTER", "XeroGateway", "idempotency_key", "parse_xero_datetime"]

_logger = logging.getLogger(__name__)

XERO_API_URL = "https://api.xero.com/api.xro/2.0"
MAX_IDEMPOTENCY_KEY = 128
HISTORY_NOTE_MAX = 250  # characters Xero takes in one history note


class StaticToken:
    """A token source for a fixed access token (tests, short scripts)."""

    def __init__(self, access_token):
        self._token = access_token

    def access_token(self):
        return self._token

    def refresh(self):
        raise errors.XeroAuthError("The access token was refused and cannot be refreshed.", 401)


class NullLimiter:
    """No shared budget: used when nothing else is given."""

    @contextlib.contextmanager
    def slot(self):
        yield

    def observe(self, headers):
        pass

    def pause(self, seconds, problem=None):
        pass

    def handed_back(self, error):
        """The exception to raise for a wait too long to do in place (the caller may rephrase it)."""
        return error


CONCURRENT_WAIT = 1.0  # seconds, after a 429 for too many calls at once
# A Retry-After beyond this is not believed (Xero's longest, the day limit, is under a day).
MAX_RETRY_AFTER = 86400.0
# What each write's answer must hold for every record Xero saved.
_ID_KEYS = {
    "Contacts": "ContactID",
    "Invoices": "InvoiceID",
    "CreditNotes": "CreditNoteID",
    "Payments": "PaymentID",
    "Allocations": "AllocationID",
    "ContactGroups": "ContactGroupID",
}


class _MalformedAnswer(Exception):
    """Xero's answer could not be read (not JSON, or not the shape the SDK expects)."""


def idempotency_key(tenant_id, operation, payload=None):
    """A key that is the same for the same logical write, and only for it.

    `operation` names the logical operation (for example
    "contacts-push:job-42:batch-3"); the payload's hash is added so that the
    same operation sent with other content is another write.
    """
    blob = json.dumps([tenant_id, operation, payload], sort_keys=True, default=str)
    digest = hashlib.sha256(blob.encode()).hexdigest()
    prefix = "".join(c if c.isalnum() or c in "-_:." else "-" for c in operation)[:50]
    return f"{prefix}-{digest}"[:MAX_IDEMPOTENCY_KEY]


def _without_nulls(data):
    """`data` without its null members: Xero's "null" means absent."""
    if isinstance(data, dict):
        return {k: _without_nulls(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [_without_nulls(v) for v in data if v is not None]
    return data


class _ApiClient(ApiClient):
    """The SDK's client, reading Xero's `null` as absent.

    The SDK turns a null text field into the text "None" (`str(None)`), which
    then reached users as an e-mail address "None".
    """

    def deserialize(self, response, response_type, response_model_finder):
        if response_type == "file":
            return super().deserialize(response, response_type, response_model_finder)
        try:
            data = json.loads(response.text, parse_float=Decimal)
            return deserialize(response_type, _without_nulls(data), response_model_finder)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            # A 2xx whose body says nothing we can read: Xero may have done the write.
            raise _MalformedAnswer(f"{type(exc).__name__}: {exc}") from None


_ISO_FRACTION = re.compile(r"\.(\d+)")


def _from_iso(text):
    """ISO 8601 as Python 3.10's fromisoformat takes it: "Z" and 1 to 7 digit fractions (Xero sends both)."""
    text = _ISO_FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), text.replace("Z", "+00:00"), count=1)
    return datetime.fromisoformat(text)


def parse_xero_datetime(value):
    """Xero's "/Date(1574275974000+0000)/" or ISO text, as an aware datetime."""
    if not value:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    text = str(value)
    if text.startswith("/Date("):
        millis = int(text[6:].split("+", maxsplit=1)[0].split(")", maxsplit=1)[0].split("-", maxsplit=1)[0])
        return datetime.fromtimestamp(millis / 1000, tz=timezone.utc)
    parsed = _from_iso(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@dataclass
class ItemResult:
    """The outcome of one record of a batch write."""

    index: int
    record: dict | None
    problems: list = field(default_factory=list)
    # The item as Xero echoed it, refused or not: what names it (number, id, Reference).
    echo: dict | None = None

    @property
    def ok(self):
        return not self.problems


@dataclass
class BatchResult:
    items: list

    @property
    def saved(self):
        return [item for item in self.items if item.ok]

    @property
    def failed(self):
        return [item for item in self.items if not item.ok]


class XeroGateway:
    """Calls Xero's accounting API for one organisation (tenant)."""

    def __init__(
        self,
        tenant_id,
        token_source,
        base_url=XERO_API_URL,
        timeout=(5.0, 30.0),
        max_retries=4,
        max_wait=90.0,
        limiter=None,
        sleep=time.sleep,
        ca_certs=None,
    ):
        self.tenant_id = tenant_id
        self.token_source = token_source
        # The SDK ignores a single float (it only takes an int or a pair):
        # always hand it (connect, read) so a timeout is never dropped.
        self.timeout = timeout if isinstance(timeout, tuple) else (float(timeout), float(timeout))
        self.max_retries = max_retries
        # Longest 429 wait done in place; a longer one is left to the job queue.
        self.max_wait = max_wait
        self.limiter = limiter or NullLimiter()
        self.sleep = sleep
        self.calls = 0
        self.last_limits = {}
        # Xero's clock at its last answer (the Date header): a read's watermark
        # may move up to it (reading.py), whatever the dates of what it read.
        self.served_at = None
        self._token = None
        config = Configuration(oauth2_token=OAuth2Token())
        self._client = _ApiClient(config, oauth2_token_getter=self._sdk_token, oauth2_token_saver=lambda token: None)
        # Our retry policy must be the only one: urllib3 would otherwise
        # silently retry a timed-out PUT three times on its own.
        self._client.rest_client.pool_manager = urllib3.PoolManager(
            num_pools=4, maxsize=5, retries=False, cert_reqs="CERT_REQUIRED", ca_certs=ca_certs or certifi.where()
        )
        self._client.user_agent = "odoo-xero-connector"
        self._api = AccountingApi(self._client, base_url=base_url)

    # -- reading ----------------------------------------------------------

    def get_organisation(self):
        data = self._call("get_organisations")
        return self._records(data, "Organisations")[0]

    def get_contacts(self, modified_since=None, include_archived=True, ids=None, where=None, page_size=1000):
        """Every contact (all pages), or only those changed since `modified_since`."""
        return list(
            self.iter_pages(
                "get_contacts",
                "Contacts",
                page_size=page_size,
                if_modified_since=modified_since,
                include_archived=include_archived,
                i_ds=list(ids) if ids else None,
                where=where,
            )
        )

    # One page of a list, oldest change first: what a resumable read (reading.py) asks for.
    PAGED_LISTS = {
        "contacts": ("get_contacts", "Contacts", {"include_archived": True}),
        "invoices": ("get_invoices", "Invoices", {}),
        "credit_notes": ("get_credit_notes", "CreditNotes", {}),
        "payments": ("get_payments", "Payments", {}),
    }

    def read_page(self, kind, page, modified_since=None, page_size=100, **filters):
        """Page `page` of the changes after `modified_since`; returns (records, records left after it)."""
        method, key, defaults = self.PAGED_LISTS[kind]
        data = self._call(
            method,
            record_type=key,
            page=page,
            page_size=page_size,
            if_modified_since=modified_since,
            order="UpdatedDateUTC ASC",
            **defaults,
            **filters,
        )
        records = self._records(data, key)
        item_count = getattr(getattr(data, "pagination", None), "item_count", None)
        left = max(item_count - page * page_size, 0) if item_count is not None else None
        return records, left

    def get_contact_groups(self):
        return self._records(self._call("get_contact_groups"), "ContactGroups")

    def get_invoices(
        self, modified_since=None, contact_ids=None, statuses=None, numbers=None, where=None, page_size=100, ids=None
    ):
        return list(
            self.iter_pages(
                "get_invoices",
                "Invoices",
                page_size=page_size,
                if_modified_since=modified_since,
                where=where,
                contact_i_ds=list(contact_ids) if contact_ids else None,
                statuses=list(statuses) if statuses else None,
                invoice_numbers=list(numbers) if numbers else None,
                i_ds=list(ids) if ids else None,
            )
        )

    def get_credit_notes(self, modified_since=None, where=None, page_size=100):
        return list(
            self.iter_pages(
                "get_credit_notes", "CreditNotes", page_size=page_size, if_modified_since=modified_since, where=where
            )
        )

    def get_credit_note(self, credit_note_id):
        """One credit note with its payments and allocations."""
        return self._records(self._call("get_credit_note", credit_note_id=credit_note_id), "CreditNotes")[0]

    def get_accounts(self):
        return self._records(self._call("get_accounts"), "Accounts")

    def get_tax_rates(self):
        return self._records(self._call("get_tax_rates"), "TaxRates")

    def iter_pages(self, method, list_key, page_size=100, **kwargs):
        """Yield the records of every page.

        Xero's `pagination.pageCount` ends the loop without asking for an
        empty page; a short page ends it where that is missing.
        """
        page = 1
        while True:
            data = self._call(method, page=page, page_size=page_size, **kwargs)
            records = self._records(data, list_key)
            yield from records
            page_count = getattr(getattr(data, "pagination", None), "page_count", None)
            if len(records) < page_size or (page_count is not None and page >= page_count):
                return
            page += 1

    # -- writing ----------------------------------------------------------

    def save_contacts(self, contacts, operation):
        """Create or update contacts; each one succeeds or fails on its own."""
        return self._save("update_or_create_contacts", "Contacts", contacts, operation)

    def create_contact_group(self, name, operation):
        data = self._write("create_contact_group", "ContactGroups", [{"Name": name}], operation)
        answered = self._records(data, "ContactGroups")
        _check_complete("ContactGroups", 1, answered, [ItemResult(i, r) for i, r in enumerate(answered)])
        return answered[0]

    def add_contacts_to_group(self, group_id, contact_ids, operation):
        records = [{"ContactID": cid} for cid in contact_ids]
        data = self._write("create_contact_group_contacts", "Contacts", records, operation, contact_group_id=group_id)
        return self._records(data, "Contacts")

    # Invoices and credit notes are written with unit amounts to 4 decimals
    # (Xero's `unitdp`), as Odoo may price them: Xero would round them to 2.

    def save_invoices(self, invoices, operation):
        """Create or update (an invoice with a known number or InvoiceID is updated); voids too."""
        return self._save("update_or_create_invoices", "Invoices", invoices, operation, unitdp=4)

    def create_invoices(self, invoices, operation):
        """Create only: a number Xero already has is refused, never overwritten."""
        return self._save("create_invoices", "Invoices", invoices, operation, unitdp=4)

    def create_credit_notes(self, credit_notes, operation):
        """Create only: a number Xero already has is refused, never overwritten."""
        return self._save("create_credit_notes", "CreditNotes", credit_notes, operation, unitdp=4)

    def save_credit_notes(self, credit_notes, operation):
        """Create or update (by CreditNoteID or number); voids too."""
        return self._save("update_or_create_credit_notes", "CreditNotes", credit_notes, operation, unitdp=4)

    def allocate_credit_note(self, credit_note_id, allocations, operation):
        """Allocate a credit note to invoices; each allocation succeeds or fails on its own."""
        return self._save(
            "create_credit_note_allocation", "Allocations", allocations, operation, credit_note_id=credit_note_id
        )

    def save_payments(self, payments, operation):
        return self._save("create_payments", "Payments", payments, operation)

    def delete_payment(self, payment_id, operation):
        """Delete a payment (Xero keeps it, marked DELETED); the invoice is due again."""
        key = idempotency_key(self.tenant_id, operation, {"PaymentID": payment_id, "Status": "DELETED"})
        body = deserialize("PaymentDelete", {"Status": "DELETED"}, self._api.get_model_finder())
        data = self._call(
            "delete_payment", record_type="Payments", payment_id=payment_id, payment_delete=body, idempotency_key=key
        )
        return self._records(data, "Payments")[0]

    def delete_allocation(self, credit_note_id, allocation_id):
        """Take a credit note's allocation back (a DELETE: repeating it changes nothing more)."""
        data = self._call(
            "delete_credit_note_allocations",
            record_type="Allocations",
            credit_note_id=credit_note_id,
            allocation_id=allocation_id,
        )
        return serialize(data) if data is not None else {}

    # -- a document's history notes, files and online link ---------------------

    def add_history_note(self, kind, xero_id, details, operation):
        """Add a note to an invoice's or credit note's History in Xero (`kind`: "invoice" or
        "credit_note"); Xero takes at most 250 characters a note."""
        method, id_arg = _HISTORY[kind]
        payload = {"HistoryRecords": [{"Details": details[:HISTORY_NOTE_MAX]}]}
        key = idempotency_key(self.tenant_id, operation, [xero_id, payload])
        body = deserialize("HistoryRecords", payload, self._api.get_model_finder())
        data = self._call(
            method, record_type="HistoryRecords", history_records=body, idempotency_key=key, **{id_arg: xero_id}
        )
        return self._records(data, "HistoryRecords")

    def attach_to_invoice(self, invoice_id, file_name, content, operation, include_online=False):
        """Attach a file (bytes) to an invoice in Xero; the same name again replaces it."""
        digest = hashlib.sha256(content).hexdigest()
        key = idempotency_key(self.tenant_id, operation, [invoice_id, file_name, digest, include_online])
        data = self._call(
            "create_invoice_attachment_by_file_name",
            record_type="Attachments",
            invoice_id=invoice_id,
            file_name=file_name,
            body=content,
            include_online=True if include_online else None,
            idempotency_key=key,
        )
        records = self._records(data, "Attachments")
        return records[0] if records else {}

    def get_online_invoice_url(self, invoice_id):
        """The link at which the customer sees an approved sales invoice online."""
        data = self._call("get_online_invoice", record_type="OnlineInvoices", invoice_id=invoice_id)
        records = self._records(data, "OnlineInvoices")
        return records[0].get("OnlineInvoiceUrl") if records else None

    def _save(self, method, list_key, records, operation, **kwargs):
        data = self._write(method, list_key, records, operation, summarize_errors=False, **kwargs)
        results = []
        answered = self._records(data, list_key)
        for index, record in enumerate(answered):
            problems = errors.item_problems(list_key, record, index)
            if problems:
                # Name the record as the caller sent it: Xero may echo less.
                label = errors.record_label(list_key, records[index]) if index < len(records) else None
                for problem in problems:
                    problem.record_label = problem.record_label or label
            results.append(ItemResult(index, None if problems else record, problems, echo=record))
        _check_complete(list_key, len(records), answered, results)
        return BatchResult(results)

    def _write(self, method, list_key, records, operation, **kwargs):
        payload = {list_key: records}
        key = idempotency_key(self.tenant_id, operation, payload)
        finder = self._api.get_model_finder()
        body = deserialize(list_key, _sdk_dates(list_key, payload, finder), finder)
        body_arg = _BODY_ARGUMENT[method]
        return self._call(method, record_type=list_key, idempotency_key=key, **{body_arg: body}, **kwargs)

    # -- the one place that talks to Xero ---------------------------------

    def _call(self, method, record_type=None, if_modified_since=None, **kwargs):
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        if if_modified_since:  # None or False (an empty Odoo date): read everything
            # Xero works to the second: changes made later in the second of the last
            # change seen share its UpdatedDateUTC, so that second is read again (the
            # caller skips what it already knows).
            since = parse_xero_datetime(if_modified_since).replace(microsecond=0)
            # As the SDK writes a datetime (isoformat), from any datetime class (a
            # test's frozen clock makes its own, which the SDK cannot serialise).
            kwargs["if_modified_since"] = (since - timedelta(seconds=1)).isoformat()
        api_method = getattr(self._api, method)
        writing = "idempotency_key" in kwargs or method.startswith("delete_")
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            try:
                with self.limiter.slot():
                    self.calls += 1
                    data, _status, headers = api_method(
                        self.tenant_id,
                        _return_http_data_only=False,
                        _request_timeout=self.timeout,
                        **kwargs,
                    )
                    # Inside the slot: the limiter stores it as it releases the slot.
                    self._observe(headers)
                return data
            except ApiException as exc:
                status = exc.status
                headers = exc.headers or {}
                self._observe(headers)
                if status == 304:
                    return None
                if status == 401 and not refreshed:
                    refreshed = True
                    self._token = self.token_source.refresh()
                    continue
                if status == 429:
                    problem = headers.get("X-Rate-Limit-Problem")
                    wait = _retry_after(headers, problem)
                    self.limiter.pause(wait, problem)
                    if problem != "day" and wait <= self.max_wait and attempt <= self.max_retries:
                        _logger.info("Xero rate limit (%s): waiting %.1fs as asked", problem, wait)
                        self.sleep(wait)
                        continue
                    raise self.limiter.handed_back(_rate_limit_error(wait, problem)) from None
                # Status 0 is the SDK's TLS failure; 409 a request with this key still
                # being processed by Xero; 5xx Xero's own trouble: all pass, so try again.
                if _transient(exc) and attempt <= self.max_retries:
                    self.sleep(self._backoff(attempt))
                    continue
                raise _translate(exc, record_type, writing) from None
            except urllib3.exceptions.HTTPError as exc:
                if attempt <= self.max_retries:
                    self.sleep(self._backoff(attempt))
                    continue
                raise _transport_error(exc, self.timeout, writing) from None
            except _MalformedAnswer:
                # Not retried in place: the same key would replay the same answer;
                # the job tries again later, or the batch is settled by reading back.
                raise (
                    errors.XeroUnclearAnswerError(
                        "Xero's answer could not be read (Xero unavailable, will retry); "
                        "what Xero may have saved is read back before anything is written again.",
                    )
                    if writing
                    else errors.XeroUnavailableError("Xero's answer could not be read (Xero unavailable, will retry).")
                ) from None

    def _sdk_token(self):
        if self._token is None:
            self._token = self.token_source.access_token()
        # expires_in None: the SDK never refreshes on its own; the token
        # source (the Odoo connection) owns refreshing and storing tokens.
        return {"access_token": self._token, "token_type": "Bearer", "scope": None, "expires_in": None}

    def _observe(self, headers):
        self.served_at = _http_date(headers.get("Date")) or self.served_at
        limits = {
            name: headers.get(header)
            for name, header in (
                ("minute_remaining", "X-MinLimit-Remaining"),
                ("day_remaining", "X-DayLimit-Remaining"),
                ("app_minute_remaining", "X-AppMinLimit-Remaining"),
            )
            if headers.get(header) is not None
        }
        if limits:
            self.last_limits = {k: int(v) for k, v in limits.items()}
            self.limiter.observe(self.last_limits)

    @staticmethod
    def _backoff(attempt):
        # 0.5 s, 1 s, 2 s, 4 s ... with jitter so workers do not retry in step.
        return min(0.5 * 2 ** (attempt - 1), 30.0) * (0.8 + 0.4 * random.random())

    @staticmethod
    def _records(data, list_key):
        if data is None:
            return []
        return serialize(data).get(list_key) or []


_HISTORY = {
    "invoice": ("create_invoice_history", "invoice_id"),
    "credit_note": ("create_credit_note_history", "credit_note_id"),
}

_BODY_ARGUMENT = {
    "create_invoices": "invoices",
    "create_credit_note_allocation": "allocations",
    "update_or_create_contacts": "contacts",
    "create_contact_group": "contact_groups",
    "create_contact_group_contacts": "contacts",
    "update_or_create_invoices": "invoices",
    "create_credit_notes": "credit_notes",
    "update_or_create_credit_notes": "credit_notes",
    "create_payments": "payments",
}


def _sdk_dates(data_type, value, finder):
    """`value` with its dates in the "/Date(ms)/" form the SDK reads.

    Xero takes ISO dates ("2024-05-31") in requests, but the SDK's reader
    only takes its own form and raises a bare ValueError on anything else;
    `datetime.date` values are converted too. Only fields the SDK types as
    dates are touched (a Reference that looks like a date stays text).
    """
    if value is None:
        return None
    if data_type.startswith("list[") and isinstance(value, list):
        return [_sdk_dates(data_type[5:-1], item, finder) for item in value]
    if data_type in ("date[ms-format]", "datetime[ms-format]"):
        return _ms_date(value)
    if isinstance(value, dict):
        try:
            model = finder.find_model(data_type)
        except AttributeError:
            return value
        types = {model.attribute_map[attr]: kind for attr, kind in getattr(model, "openapi_types", {}).items()}
        return {k: _sdk_dates(types[k], v, finder) if k in types else v for k, v in value.items()}
    return value


def _ms_date(value):
    if isinstance(value, str) and not value.startswith("/Date("):
        with contextlib.suppress(ValueError):  # else left for the SDK to refuse
            value = _from_iso(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)  # Xero's dates are UTC midnights
        return f"/Date({int(aware.timestamp() * 1000)}+0000)/"
    return value


def _http_date(value):
    """An HTTP date header as an aware datetime; None when absent or unreadable."""
    try:
        moment = email.utils.parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None
    if moment is None:
        return None
    # HTTP dates are GMT; one with another offset is put in UTC, as the watermarks are.
    return moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _retry_after(headers, problem=None):
    """Xero's Retry-After in seconds, believable: NaN or missing is a default,
    negative is 0, beyond a day is a day (a pause of every worker for years is a bug)."""
    try:
        value = float(headers.get("Retry-After"))
    except (TypeError, ValueError):
        value = math.nan
    if math.isnan(value):
        # Xero's concurrency 429 gives no Retry-After: another call ends within a
        # second or so, so waiting a minute (and pausing every worker) is far too long.
        return CONCURRENT_WAIT if (problem or "").lower() == "concurrent" else 60.0
    return min(max(value, 0.0), MAX_RETRY_AFTER)


def _transient(exc):
    status = exc.status
    return (
        isinstance(exc, ApiSSLException)
        or status in (0, None, 409)
        or (isinstance(status, int) and status >= 500)
        or (status == 400 and not _body(exc))
    )


def _check_complete(list_key, sent, answered, results):
    """Raise XeroUnclearAnswerError unless the answer has one item per record sent,
    each saved one with its id: Xero did something we cannot pin down."""
    id_key = _ID_KEYS.get(list_key)
    without_id = [r for r in results if r.ok and id_key and not (r.record or {}).get(id_key)]
    if len(answered) == sent and not without_id:
        return
    raise errors.XeroUnclearAnswerError(
        f"Xero's answer to a write of {sent} {list_key} was incomplete ({len(answered)} came back, "
        f"{len(without_id)} without their {id_key}): Xero unavailable, will retry; what Xero saved is "
        "read back before anything is written again.",
        items=[r for r in results if r not in without_id],
        sent=sent,
    )


def _rate_limit_error(wait, problem):
    return errors.rate_limit_error(wait, problem)


def _transport_error(exc, timeout, writing=False):
    # urllib3 makes a refused connection a kind of timeout: it is not one.
    # A refused connection never reached Xero: nothing can have been written.
    refused = isinstance(exc, urllib3.exceptions.NewConnectionError)
    if isinstance(exc, urllib3.exceptions.TimeoutError) and not refused:
        return errors.XeroUnavailableError(f"Xero did not answer within {timeout[1]:g} seconds.", maybe_written=writing)
    if refused:
        return errors.XeroUnavailableError(f"Xero could not be reached ({type(exc).__name__}).")
    return errors.XeroUnavailableError(
        f"The connection to Xero was lost ({type(exc).__name__}); will retry.", maybe_written=writing
    )


def _body(exc):
    try:
        return json.loads(exc.body or b"{}")
    except (TypeError, ValueError):
        return {}


def _translate(exc, record_type, writing=False):
    status = exc.status
    body = _body(exc)
    if isinstance(exc, ApiSSLException) or status in (0, None):
        # The SDK's TLS failure (status 0): the request may have reached Xero.
        return errors.XeroUnavailableError(
            "The secure connection to Xero failed (Xero unavailable, will retry).", 0, maybe_written=writing
        )
    if status == 409:
        return errors.XeroUnavailableError(
            "Xero is still processing an earlier identical request (Xero unavailable, will retry).",
            409,
            maybe_written=writing,
        )
    if status == 400 and not body:
        # Not Xero's words (a proxy, a cut answer): nothing says the data was refused.
        return errors.XeroUnavailableError(
            "Xero's answer could not be read (HTTP 400 without Xero's body): Xero unavailable, will retry.",
            400,
            maybe_written=writing,
        )
    if status == 400:
        if body.get("Type") == "ValidationException" or body.get("Elements"):
            problems = []
            for index, element in enumerate(body.get("Elements") or []):
                problems += errors.item_problems(record_type, element, index)
            if problems:
                return errors.XeroValidationError(problems)
        if body.get("error") == "invalid_grant":
            return errors.XeroAuthError(
                "Xero no longer accepts this connection (invalid grant): reconnect to Xero.", 400, reconnect_needed=True
            )
        detail = body.get("Message") or body.get("Detail") or exc.reason
        return errors.XeroRequestError(f"Xero refused the request: {detail}", 400)
    if status == 401:
        return errors.XeroAuthError(
            "Xero refused the connection's access token even after a refresh: reconnect to Xero.", 401
        )
    if status == 403:
        return errors.XeroAuthError(
            "Xero refused access to this organisation: the connection does not cover it "
            "or lacks the needed permission.",
            403,
        )
    if status == 404:
        return errors.XeroNotFoundError("Xero has no such record (it may have been deleted).", 404)
    if isinstance(status, int) and status >= 500:
        return errors.XeroUnavailableError(
            f"Xero is not answering properly (HTTP {status}); try again later.", status, maybe_written=writing
        )
    detail = body.get("Message") or body.get("Detail") or exc.reason
    return errors.XeroRequestError(f"Xero refused the request (HTTP {status}): {detail}", status)
