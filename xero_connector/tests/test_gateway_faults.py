"""The gateway when Xero limits, loses answers or is retried, through the real SDK against the sandbox.

Each group here fails on a bug that once passed the engine suite: a 429
that did not pause the budget shared with the other workers, a long
Retry-After slept in place instead of handed back to the job queue, an
idempotency key cut short for long operations, writes of invoices and
payments without a key.
"""

import time
from decimal import Decimal

import pytest

from xero_connector import accounting as acc
from xero_connector import errors
from xero_connector.gateway import MAX_IDEMPOTENCY_KEY, idempotency_key
from xero_connector.ratelimit import MemoryRateLimiter


def api_requests(sandbox, path_part, method=None):
    return [r for r in sandbox.request_log if path_part in r["path"] and (method is None or r["method"] == method)]


class RecordingLimiter(MemoryRateLimiter):
    """The in-memory shared budget, remembering what the gateway told it."""

    def __init__(self, fake_clock=False):
        # A fake clock lets a test whose bug would wait minutes fail at once.
        if fake_clock:
            now = [1000.0]
            super().__init__(clock=lambda: now[0], sleep=lambda seconds: now.__setitem__(0, now[0] + seconds))
        else:
            super().__init__()
        self.pauses = []
        self.observed = []

    def pause(self, seconds, problem=None):
        self.pauses.append((seconds, problem))
        return super().pause(seconds, problem)

    def observe(self, limits):
        self.observed.append(dict(limits))
        return super().observe(limits)


@pytest.fixture
def limits(sandbox):
    """Change the sandbox's limits for one test; they are put back after it."""
    saved = sandbox.minute_limit, sandbox.minute_seconds, sandbox.day_limit
    yield sandbox
    sandbox.minute_limit, sandbox.minute_seconds, sandbox.day_limit = saved


# -- a 429 pauses the budget every worker shares --------------------------------------


def test_a_429_pauses_every_worker_sharing_the_budget(sandbox, make_gateway):
    shared = RecordingLimiter()
    sandbox.inject_fault("429", path_contains="/Organisation")  # Retry-After: 1, the minute's limit
    first = make_gateway(limiter=shared, max_retries=0)
    with pytest.raises(errors.XeroRateLimitError):
        first.get_organisation()
    assert shared.pauses == [(1.0, "minute")]
    # Another worker of the same organisation waits out Xero's pause before calling.
    second = make_gateway(limiter=shared)
    assert second.get_organisation()["Name"]
    limited, after = api_requests(sandbox, "/Organisation")
    assert (limited["status"], after["status"]) == (429, 200)
    assert after["time"] - limited["time"] >= 1.0
    assert second.sleep.waits == []  # the budget made it wait, not a retry


def test_a_429_retried_in_place_waits_in_the_shared_budget_too(sandbox, make_gateway):
    shared = RecordingLimiter()
    sandbox.inject_fault("429", path_contains="/Organisation")
    gateway = make_gateway(limiter=shared, sleep=lambda seconds: None)
    assert gateway.get_organisation()["Name"]
    limited, after = api_requests(sandbox, "/Organisation")
    assert after["time"] - limited["time"] >= 1.0  # even with a gateway that does not sleep itself


def test_the_budget_learns_what_xero_says_is_left(sandbox, make_gateway):
    shared = RecordingLimiter()
    gateway = make_gateway(limiter=shared)
    gateway.get_organisation()
    gateway.get_organisation()
    assert shared.observed[-1]["minute_remaining"] == sandbox.minute_limit - 2
    assert shared.observed[-1]["day_remaining"] == sandbox.day_limit - 2
    assert shared.day_remaining == sandbox.day_limit - 2
    assert gateway.last_limits == shared.observed[-1]
    assert set(gateway.last_limits) == {"minute_remaining", "day_remaining", "app_minute_remaining"}


# -- a long Retry-After goes back to the job queue ------------------------------------


def test_a_long_retry_after_is_handed_back_not_slept(limits, make_gateway):
    limits.minute_limit, limits.minute_seconds = 1, 300.0
    shared = RecordingLimiter(fake_clock=True)
    waits = []
    gateway = make_gateway(limiter=shared, sleep=waits.append)
    gateway.get_organisation()
    started = time.monotonic()
    with pytest.raises(errors.XeroRateLimitError) as info:
        gateway.get_organisation()
    assert time.monotonic() - started < 5
    assert waits == []
    assert 250 <= info.value.retry_after <= 300
    assert info.value.problem == "minute"
    assert info.value.retryable
    assert str(info.value).startswith("Xero's this minute's API limit for this organisation is used up; try again in ")
    assert str(info.value).endswith(f"{int(-(-info.value.retry_after // 1))} seconds.")
    assert shared.pauses == [(info.value.retry_after, "minute")]  # the other workers wait too
    assert [r["status"] for r in api_requests(limits, "/Organisation")] == [200, 429]


def test_a_retry_after_longer_than_max_wait_is_handed_back(sandbox, make_gateway):
    sandbox.inject_fault("429", path_contains="/Organisation")  # 1 second
    waits = []
    gateway = make_gateway(max_wait=0.5, sleep=waits.append)
    with pytest.raises(errors.XeroRateLimitError) as info:
        gateway.get_organisation()
    assert info.value.retry_after == 1.0 and waits == []


def test_a_retry_after_of_exactly_max_wait_is_slept(sandbox, make_gateway):
    sandbox.inject_fault("429", path_contains="/Organisation")
    gateway = make_gateway(max_wait=1.0)
    assert gateway.get_organisation()["Name"]
    assert gateway.sleep.waits == [1.0]


def test_the_day_limit_is_handed_back_however_long_one_may_wait(limits, make_gateway):
    limits.day_limit = 1
    waits = []
    gateway = make_gateway(max_wait=10**9, sleep=waits.append)
    gateway.get_organisation()
    with pytest.raises(errors.XeroRateLimitError, match="today's API limit") as info:
        gateway.get_organisation()
    assert info.value.problem == "day" and waits == []


def test_429s_are_retried_at_most_max_retries_times(sandbox, make_gateway):
    sandbox.inject_fault("429", count=5, path_contains="/Organisation")
    waits = []
    gateway = make_gateway(max_retries=2, sleep=waits.append)
    with pytest.raises(errors.XeroRateLimitError, match="this minute's API limit"):
        gateway.get_organisation()
    assert waits == [1.0, 1.0]
    assert len(api_requests(sandbox, "/Organisation")) == 3


# -- idempotency keys: up to 128 characters, distinct operations stay distinct -------------

LONG = "contacts-push:job-42:" + "step-with-a-long-name:" * 8  # 197 characters


@pytest.mark.parametrize("length", [1, 49, 50, 51, 127, 128, 129, 300])
def test_keys_fit_xero_s_128_characters_whatever_the_operation(length):
    key = idempotency_key("tenant", "o" * length, {"Contacts": []})
    assert 64 < len(key) <= MAX_IDEMPOTENCY_KEY


def test_long_operations_that_differ_only_at_the_end_get_distinct_keys():
    payload = {"Contacts": [{"Name": "A"}]}
    keys = {idempotency_key("tenant", f"{LONG}batch-{n}", payload) for n in range(20)}
    assert len(keys) == 20
    assert idempotency_key("tenant", LONG + "batch-1", payload) == idempotency_key("tenant", LONG + "batch-1", payload)


def test_long_operations_with_other_content_or_tenant_get_distinct_keys():
    one = idempotency_key("tenant", LONG, {"Contacts": [{"Name": "A"}]})
    assert one != idempotency_key("tenant", LONG, {"Contacts": [{"Name": "B"}]})
    assert one != idempotency_key("other tenant", LONG, {"Contacts": [{"Name": "A"}]})


def test_a_key_reads_as_its_operation_in_xero_s_logs():
    key = idempotency_key("tenant", "invoices send/job 7", {})
    assert key.startswith("invoices-send-job-7-")
    assert key.split("-")[-1].isalnum() and len(key.split("-")[-1]) == 64


def test_one_long_operation_with_new_content_writes_it(sandbox, make_gateway):
    gateway = make_gateway()
    for name in ("First Ltd", "Second Ltd"):
        result = gateway.save_contacts([{"Name": name}], operation=LONG)
        assert result.items[0].ok
    assert sandbox.count_contacts_named("First Ltd") == 1
    assert sandbox.count_contacts_named("Second Ltd") == 1
    keys = [r["headers"]["idempotency-key"] for r in api_requests(sandbox, "/Contacts", "POST")]
    assert len(set(keys)) == 2 and all(len(k) <= 128 for k in keys)


def test_a_second_attempt_of_a_long_operation_is_a_new_write(sandbox, make_gateway):
    gateway = make_gateway()
    created = gateway.save_contacts([{"Name": "Attempt Ltd"}], operation=LONG + "attempt-1").items[0].record
    sandbox.update_contact(created["ContactID"], Name="Renamed in Xero")
    update = [{"ContactID": created["ContactID"], "Name": "Attempt Ltd"}]
    gateway.save_contacts(update, operation=LONG + "attempt-1")
    gateway.save_contacts(update, operation=LONG + "attempt-2")
    assert sandbox.count_contacts_named("Attempt Ltd") == 1  # the second attempt was not a replay


# -- every write carries a key, so a retry after a lost answer writes nothing twice -------


@pytest.fixture
def gateway(sandbox, make_gateway):
    yield make_gateway(sleep=lambda seconds: None)
    assert sandbox.validation_errors == []


@pytest.fixture
def contact_id(gateway):
    return gateway.save_contacts([{"Name": "Keyed Ltd"}], operation="faults:contact").items[0].record["ContactID"]


def document(number, contact_id, kind="invoice"):
    line = acc.Line("Work", Decimal(1), Decimal("100.00"), "200", "OUTPUT")
    return acc.Document(f"move,{number}", kind, number, contact_id, "2024-05-01", "2024-05-31", lines=(line,))


def lose_the_answer_of_the_next(sandbox, method, path):
    sandbox.inject_fault("500", method=method, path_contains=path, when="after")


def keys_of(sandbox, method, path):
    sent = api_requests(sandbox, path, method)
    assert [r["status"] for r in sent][-2:] == [500, 200]
    keys = [r["headers"].get("idempotency-key") for r in sent[-2:]]
    assert keys[0] and keys[0] == keys[1], f"{method} {path} was retried without the same Idempotency-Key"
    return keys[0]


def test_created_invoices_retried_are_created_once(sandbox, gateway, contact_id):
    lose_the_answer_of_the_next(sandbox, "PUT", "/Invoices")
    result = gateway.create_invoices([acc.document_payload(document("INV-1", contact_id))], operation="send:1")
    assert [item.ok for item in result.items] == [True]
    assert len(gateway.get_invoices(numbers=["INV-1"])) == 1
    keys_of(sandbox, "PUT", "/Invoices")


def test_saved_invoices_and_voids_carry_a_key(sandbox, gateway, contact_id):
    lose_the_answer_of_the_next(sandbox, "POST", "/Invoices")
    record = gateway.save_invoices([acc.document_payload(document("INV-2", contact_id))], "send:2").items[0].record
    keys_of(sandbox, "POST", "/Invoices")
    lose_the_answer_of_the_next(sandbox, "POST", "/Invoices")
    voided = gateway.save_invoices([acc.void_payload("invoice", record["InvoiceID"])], "void:2")
    assert voided.items[0].record["Status"] == "VOIDED"
    keys_of(sandbox, "POST", "/Invoices")
    assert len(gateway.get_invoices(numbers=["INV-2"])) == 1


def test_credit_notes_retried_are_created_once(sandbox, gateway, contact_id):
    lose_the_answer_of_the_next(sandbox, "PUT", "/CreditNotes")
    result = gateway.create_credit_notes([acc.document_payload(document("CN-1", contact_id, "credit_note"))], "cn")
    assert [item.ok for item in result.items] == [True]
    keys_of(sandbox, "PUT", "/CreditNotes")
    lose_the_answer_of_the_next(sandbox, "POST", "/CreditNotes")
    gateway.save_credit_notes([acc.document_payload(document("CN-2", contact_id, "credit_note"))], "cn2")
    keys_of(sandbox, "POST", "/CreditNotes")
    numbers = sorted(c["CreditNoteNumber"] for c in gateway.get_credit_notes())
    assert numbers == ["CN-1", "CN-2"]


def test_payments_and_allocations_retried_are_made_once(sandbox, gateway, contact_id):
    # The invoice is 100.00 + 15 % = 115.00.
    invoice = gateway.create_invoices([acc.document_payload(document("INV-3", contact_id))], "send:3").items[0].record
    note = gateway.create_credit_notes([acc.document_payload(document("CN-3", contact_id, "credit_note"))], "cn3")
    note_id = note.items[0].record["CreditNoteID"]

    lose_the_answer_of_the_next(sandbox, "PUT", "/Payments")
    pay = acc.PaymentDoc("pay,1", invoice["InvoiceID"], "090", "2024-06-01", Decimal("40.00"))
    payment = gateway.save_payments([acc.payment_payload(pay)], operation="pay:1").items[0].record
    keys_of(sandbox, "PUT", "/Payments")
    assert gateway.get_invoices(numbers=["INV-3"])[0]["AmountDue"] == 75.0  # paid once

    lose_the_answer_of_the_next(sandbox, "PUT", "/Allocations")
    allocation = acc.allocation_payload(invoice["InvoiceID"], Decimal("15.00"), "2024-06-02")
    assert gateway.allocate_credit_note(note_id, [allocation], operation="alloc:1").items[0].ok
    keys_of(sandbox, "PUT", "/Allocations")
    assert gateway.get_invoices(numbers=["INV-3"])[0]["AmountDue"] == 60.0  # allocated once

    lose_the_answer_of_the_next(sandbox, "POST", "/Payments/")
    assert gateway.delete_payment(payment["PaymentID"], operation="unpay:1")["Status"] == "DELETED"
    keys_of(sandbox, "POST", "/Payments/")
    assert gateway.get_invoices(numbers=["INV-3"])[0]["AmountDue"] == 100.0


def test_contact_groups_writes_carry_a_key(sandbox, gateway, contact_id):
    lose_the_answer_of_the_next(sandbox, "PUT", "/ContactGroups")
    group = gateway.create_contact_group("Odoo Customers", operation="group:1")
    keys_of(sandbox, "PUT", "/ContactGroups")
    assert [g["Name"] for g in gateway.get_contact_groups()] == ["Odoo Customers"]
    lose_the_answer_of_the_next(sandbox, "PUT", "/ContactGroups/")
    members = gateway.add_contacts_to_group(group["ContactGroupID"], [contact_id], operation="group:1:members")
    assert [m["ContactID"] for m in members] == [contact_id]
    keys_of(sandbox, "PUT", "/ContactGroups/")


def test_every_write_the_gateway_sent_carried_a_distinct_key(sandbox, gateway, contact_id):
    invoice = gateway.create_invoices([acc.document_payload(document("INV-4", contact_id))], "send:4").items[0].record
    pay = acc.PaymentDoc("pay,4", invoice["InvoiceID"], "090", "2024-06-01", Decimal("10.00"))
    gateway.save_payments([acc.payment_payload(pay)], operation="pay:4")
    gateway.save_invoices([acc.document_payload(document("INV-5", contact_id))], "send:5")
    writes = [r for r in sandbox.request_log if r["method"] in ("PUT", "POST")]
    assert len(writes) == 4
    keys = [r["headers"].get("idempotency-key") for r in writes]
    assert all(keys) and len(set(keys)) == 4
