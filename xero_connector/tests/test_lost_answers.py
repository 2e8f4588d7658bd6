"""Answers lost, spoilt or refused for a while, through the real SDK against the sandbox.

Only Xero's own refusal of the data (a 400 with its words) is "refused by
Xero". A TLS failure, a reset connection, status 0, a 409 for a request with
the same key still in flight and a malformed answer are "Xero unavailable,
will retry": the same request is sent again with its key, and Xero's object
exists once. A write answer with missing ids or fewer items is never taken as
"nothing was saved": it raises XeroUnclearAnswerError for reading back.
"""

import math
import time

import pytest

from xero_connector import errors
from xero_connector.gateway import MAX_RETRY_AFTER, StaticToken, XeroGateway
from xero_connector.ratelimit import MemoryRateLimiter
from xero_sandbox import XeroSandbox


def statuses(sandbox, path_part, method=None):
    return [r["status"] for r in sandbox.request_log if path_part in r["path"] and method in (None, r["method"])]


def named(sandbox, name):
    return sandbox.count_contacts_named(name)


# -- a TLS failure while reading the answer ------------------------------------------


@pytest.fixture(scope="module")
def tls_sandbox():
    sb = XeroSandbox(port=0, seed="empty", tls=True)
    sb.start()
    yield sb
    sb.stop()


def tls_gateway(sb, **kwargs):
    token = sb.issue_token()["access_token"]
    kwargs.setdefault("sleep", lambda seconds: None)
    return XeroGateway(sb.tenant_id, StaticToken(token), base_url=sb.accounting_url, ca_certs=sb.ca_file, **kwargs)


def test_a_tls_error_after_xero_saved_then_success_writes_one_contact(tls_sandbox):
    tls_sandbox.reset(seed="empty")
    tls_sandbox.inject_fault("tls_error", method="POST", path_contains="/Contacts", when="after")
    result = tls_gateway(tls_sandbox).save_contacts([{"Name": "Secure Ltd"}], operation="tls-push:1")
    assert result.items[0].ok and result.items[0].record["ContactID"]
    assert statuses(tls_sandbox, "/Contacts", "POST") == [0, 200]  # lost, then Xero's remembered answer
    assert named(tls_sandbox, "Secure Ltd") == 1


def test_tls_errors_to_the_end_are_unavailable_not_refused(tls_sandbox):
    tls_sandbox.reset(seed="empty")
    tls_sandbox.inject_fault("tls_error", count=3, method="POST", path_contains="/Contacts", when="after")
    with pytest.raises(errors.XeroUnavailableError) as info:
        tls_gateway(tls_sandbox, max_retries=2).save_contacts([{"Name": "Secure Ltd"}], operation="tls-push:2")
    assert type(info.value) is errors.XeroUnavailableError  # not XeroRequestError: "Send again" never runs
    assert info.value.retryable and info.value.maybe_written
    assert info.value.status == 0
    assert "will retry" in str(info.value)
    assert named(tls_sandbox, "Secure Ltd") == 1  # Xero saved it: it is settled by a retry, not written anew


# -- a connection reset after Xero saved ---------------------------------------------


def test_a_reset_after_xero_saved_is_retried_with_its_key(sandbox, make_gateway):
    sandbox.inject_fault("reset", method="POST", path_contains="/Contacts", when="after")
    result = make_gateway().save_contacts([{"Name": "Reset Ltd"}, {"Name": "Reset Two"}], operation="reset:1")
    assert [item.ok for item in result.items] == [True, True]
    assert statuses(sandbox, "/Contacts", "POST") == [0, 200]
    keys = {r["headers"]["idempotency-key"] for r in sandbox.request_log if r["method"] == "POST"}
    assert len(keys) == 1
    assert (named(sandbox, "Reset Ltd"), named(sandbox, "Reset Two")) == (1, 1)


def test_resets_to_the_end_leave_a_write_that_may_have_happened(sandbox, make_gateway):
    sandbox.inject_fault("reset", count=2, method="POST", path_contains="/Contacts", when="after")
    with pytest.raises(errors.XeroUnavailableError) as info:
        make_gateway(max_retries=1).save_contacts([{"Name": "Reset Ltd"}], operation="reset:2")
    assert info.value.maybe_written and info.value.retryable
    assert "connection to Xero was lost" in str(info.value)
    assert named(sandbox, "Reset Ltd") == 1


def test_a_refused_connection_is_known_not_to_have_written():
    gateway = XeroGateway(
        "t", StaticToken("x"), base_url="http://127.0.0.1:9/api.xro/2.0", max_retries=0, sleep=lambda s: None
    )
    with pytest.raises(errors.XeroUnavailableError) as info:
        gateway.save_contacts([{"Name": "Nowhere Ltd"}], operation="refused:1")
    assert not info.value.maybe_written


# -- 409: a request with the same key still in flight -----------------------------------


def test_a_retry_while_xero_still_processes_the_key_gets_409_waits_and_succeeds(sandbox, make_gateway):
    # Xero is slow with the first request: the gateway gives up reading at 0.5 s and sends it
    # again with its key while Xero still works on the first: 409, then Xero's answer.
    sandbox.fault_delay = 1.5
    try:
        sandbox.inject_fault("timeout", method="POST", path_contains="/Contacts")
        gateway = make_gateway(timeout=(2.0, 0.5))
        result = gateway.save_contacts([{"Name": "Slow Ltd"}], operation="slow:1")
    finally:
        sandbox.fault_delay = 5.0
    assert result.items[0].ok
    seen = statuses(sandbox, "/Contacts", "POST")
    assert 409 in seen and seen[-1] == 200
    assert named(sandbox, "Slow Ltd") == 1
    keys = {r["headers"]["idempotency-key"] for r in sandbox.request_log if r["method"] == "POST"}
    assert len(keys) == 1


def test_a_409_is_waited_out_not_refused(sandbox, make_gateway):
    sandbox.inject_fault("409", method="POST", path_contains="/Contacts")
    gateway = make_gateway()
    result = gateway.save_contacts([{"Name": "Conflict Ltd"}], operation="conflict:1")
    assert result.items[0].ok
    assert statuses(sandbox, "/Contacts", "POST") == [409, 200]
    assert len(gateway.sleep.waits) == 1 and gateway.sleep.waits[0] > 0
    assert named(sandbox, "Conflict Ltd") == 1


def test_409_to_the_end_is_xero_unavailable_will_retry(sandbox, make_gateway):
    sandbox.inject_fault("409", count=3, method="POST", path_contains="/Contacts")
    with pytest.raises(errors.XeroUnavailableError) as info:
        make_gateway(max_retries=2, sleep=lambda s: None).save_contacts([{"Name": "Busy"}], operation="conflict:2")
    assert info.value.status == 409 and info.value.maybe_written
    assert str(info.value) == "Xero is still processing an earlier identical request (Xero unavailable, will retry)."
    assert named(sandbox, "Busy") == 0


def test_a_validation_400_with_xero_s_words_is_still_a_refusal(sandbox, make_gateway):
    with pytest.raises(errors.XeroRequestError, match=r"Xero refused the request: .*is not a 'uuid'") as info:
        make_gateway().create_invoices([{"Type": "ACCREC", "Contact": {"ContactID": "nope"}}], operation="bad:1")
    assert not info.value.retryable and info.value.status == 400


# -- malformed write answers: never rolled back -------------------------------------------


def test_an_answer_without_ids_is_unclear_and_what_xero_saved_stays(sandbox, make_gateway):
    sandbox.inject_fault("missing_ids", method="POST", path_contains="/Contacts", when="after")
    gateway = make_gateway()
    records = [{"Name": "Idless One"}, {"Name": "Idless Two"}]
    with pytest.raises(errors.XeroUnclearAnswerError) as info:
        gateway.save_contacts(records, operation="idless:1")
    assert info.value.maybe_written and info.value.retryable and info.value.settle_by_reading
    assert isinstance(info.value, errors.XeroUnavailableError)
    assert info.value.sent == 2 and info.value.items == []
    assert "2 without their ContactID" in str(info.value)
    assert (named(sandbox, "Idless One"), named(sandbox, "Idless Two")) == (1, 1)
    # Sent again with its key, Xero's remembered answer settles it, still once each.
    again = gateway.save_contacts(records, operation="idless:1")
    assert all(item.record["ContactID"] for item in again.items)
    assert (named(sandbox, "Idless One"), named(sandbox, "Idless Two")) == (1, 1)


def test_an_answer_with_fewer_items_is_unclear_with_the_items_it_has(sandbox, make_gateway):
    sandbox.inject_fault("fewer_items", method="POST", path_contains="/Contacts", when="after")
    records = [{"Name": f"Short {n}"} for n in range(3)]
    with pytest.raises(errors.XeroUnclearAnswerError) as info:
        make_gateway().save_contacts(records, operation="short:1")
    assert info.value.sent == 3
    assert [item.record["Name"] for item in info.value.items] == ["Short 0", "Short 1"]
    assert "(2 came back" in str(info.value)
    assert [named(sandbox, f"Short {n}") for n in range(3)] == [1, 1, 1]


def test_a_refused_item_without_an_id_is_a_refusal_not_an_unclear_answer(sandbox, make_gateway):
    gateway = make_gateway()
    gateway.save_contacts([{"Name": "Taken Ltd"}], operation="first")
    result = gateway.save_contacts([{"Name": "Taken Ltd"}, {"Name": "Fresh Ltd"}], operation="second")
    assert [item.ok for item in result.items] == [False, True]


def test_answer_faults_need_a_processed_request(sandbox):
    with pytest.raises(ValueError, match="when='after'"):
        sandbox.inject_fault("missing_ids")
    with pytest.raises(ValueError, match="tls=True"):
        sandbox.inject_fault("tls_error")


# -- Retry-After: NaN, negative, huge -----------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"), [("nan", 60.0), ("-5", 0.0), ("1000000000", MAX_RETRY_AFTER), ("inf", MAX_RETRY_AFTER)]
)
def test_a_retry_after_xero_never_means_is_clamped(sandbox, make_gateway, header, expected):
    sandbox.inject_fault("429", path_contains="/Organisation", retry_after=header)
    now = [1000.0]
    shared = MemoryRateLimiter(clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    waits = []
    gateway = make_gateway(limiter=shared, sleep=waits.append, max_wait=90.0)
    if expected <= 90.0:
        assert gateway.get_organisation()["Name"]
        assert waits == [expected]
    else:
        with pytest.raises(errors.XeroRateLimitError) as info:
            gateway.get_organisation()
        assert info.value.retry_after == expected and waits == []
        assert (
            str(info.value.user_message)
            == "Xero asks us to wait 1440 minutes before calling it again for this organisation."
        )
    assert not math.isnan(shared.budget.paused_until)
    assert shared.budget.paused_until == pytest.approx(1000.0 + expected)


# -- bounded waits --------------------------------------------------------------------------


def test_a_paused_organisation_answers_a_bounded_wait_at_once_with_the_wait_in_words(sandbox, make_gateway):
    sandbox.inject_fault("429", path_contains="/Organisation", retry_after=1800)
    shared = MemoryRateLimiter(max_wait=5.0)
    gateway = make_gateway(limiter=shared, max_wait=5.0)
    started = time.monotonic()
    with pytest.raises(errors.XeroRateLimitError) as info:
        gateway.get_organisation()
    assert info.value.retry_after == 1800.0
    assert (
        str(info.value.user_message) == "Xero asks us to wait 30 minutes before calling it again for this organisation."
    )
    assert info.value.user_message.params == {"minutes": 30}
    # The next call does not even reach Xero: the shared budget is paused, the wait is said at once.
    with pytest.raises(errors.XeroRateLimitError) as again:
        make_gateway(limiter=shared, max_wait=5.0).get_organisation()
    assert time.monotonic() - started < 3
    assert 1790 < again.value.retry_after <= 1800
    assert again.value.problem == "paused"
    assert statuses(sandbox, "/Organisation") == [429]


def test_a_short_pause_is_waited_within_the_bound():
    now = [0.0]
    limiter = MemoryRateLimiter(clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s), max_wait=5.0)
    limiter.pause(4.0)
    with limiter.slot():
        pass
    assert now[0] == 4.0


def test_waits_for_a_concurrent_slot_back_off_with_jitter():
    now = [0.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    from xero_connector.ratelimit import Limits

    limiter = MemoryRateLimiter(Limits(per_minute=1000, concurrent=1), clock=lambda: now[0], sleep=sleep, max_wait=5.0)
    with limiter.slot(), pytest.raises(errors.XeroRateLimitError) as info, limiter.slot():
        pass
    assert info.value.problem == "concurrent"
    assert 5 <= len(sleeps) < 20, sleeps  # not a 50 ms poll (100 of them in 5 s)
    assert sleeps[-1] > 0.9 and sleeps[0] < 0.1  # growing from 50 ms towards 2 s
    assert len({round(s, 6) for s in sleeps}) == len(sleeps)  # jittered
    assert sum(sleeps) <= 5.0


def test_a_bound_counts_the_time_really_waited_when_the_budget_is_looked_at_often():
    from xero_connector.ratelimit import acquire

    now = [0.0]
    sleeps = []

    def try_acquire():
        # The minute's budget frees a slot at 60 s; looked at every 5 s.
        return (0.0, "token", None) if now[0] >= 60 else (60 - now[0], None, "minute")

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    assert acquire(try_acquire, sleep, max_wait=90.0, poll=5.0) == "token"
    assert now[0] == 60 and set(sleeps) == {5.0}
    now[0] = 0.0
    with pytest.raises(errors.XeroRateLimitError) as info:
        acquire(try_acquire, sleep, max_wait=30.0, poll=5.0)
    assert info.value.retry_after == 60 and now[0] == 0.0  # not waited first: told at once
