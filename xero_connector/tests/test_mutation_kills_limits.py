"""Rate limits, push payloads and consent scopes mutation testing found unpinned (`make mutation`).

Each test states what the addon relies on; each was written because a mutant
passed every other engine test.
"""

import pytest

from xero_connector import oauth, push
from xero_connector.errors import XeroRateLimitError
from xero_connector.ratelimit import Budget, Limits, MemoryRateLimiter, acquire, concurrent_backoff


def half():
    return 0.5


# -- the shared budget ------------------------------------------------------------------


def test_a_minute_s_budget_used_up_says_so():
    limiter = MemoryRateLimiter(Limits(per_minute=1), clock=lambda: 100.0, sleep=lambda s: None, max_wait=0)
    with limiter.slot():
        pass
    with pytest.raises(XeroRateLimitError) as info:
        with limiter.slot():
            pass
    assert info.value.problem == "minute"
    assert str(info.value).startswith("Xero's this minute's API limit for this organisation is used up")


def test_a_budget_refuses_with_its_reason_and_forgets_it_once_a_call_starts():
    budget, limits = Budget(), Limits(per_minute=1)
    wait, token = budget.try_acquire(0.0, limits)
    assert wait == 0.0 and token and budget.refusal is None
    assert budget.try_acquire(1.0, limits)[1] is None and budget.refusal == "minute"


def test_concurrent_waits_double_from_50_ms_with_jitter_around_them():
    assert concurrent_backoff(0, rng=lambda: 0.0) == pytest.approx(0.025)
    assert concurrent_backoff(0, rng=lambda: 1.0) == pytest.approx(0.075)
    assert concurrent_backoff(2, rng=half) == pytest.approx(0.2)
    assert concurrent_backoff(10, rng=half) == pytest.approx(2.0)


def test_concurrent_refusals_wait_50_ms_then_100_ms_with_the_jitter_given():
    answers = [(0.05, None, "concurrent"), (0.05, None, "concurrent"), (0.0, "token", None)]
    waits = []
    assert acquire(lambda: answers.pop(0), waits.append, rng=half) == "token"
    assert waits == pytest.approx([0.05, 0.1])


def test_a_wait_exactly_as_long_as_allowed_is_waited():
    answers = [(1.0, None, "minute"), (0.0, "token", None)]
    waits = []
    assert acquire(lambda: answers.pop(0), waits.append, max_wait=1.0) == "token"
    assert waits == [1.0]
    answers = [(0.5, None, "minute"), (0.5, None, "minute"), (0.0, "token", None)]
    waits = []
    assert acquire(lambda: answers.pop(0), waits.append, max_wait=1.0) == "token"
    assert waits == [0.5, 0.5]


# -- push and consent -------------------------------------------------------------------


def test_a_new_contact_carries_the_partner_s_reference_as_its_number():
    out = push.payload({"name": "Kiwi Ltd"}, contact_number="P-42")
    assert out["ContactNumber"] == "P-42" and out["Name"] == "Kiwi Ltd"
    assert "ContactNumber" not in push.payload({"name": "Kiwi Ltd"})


def test_files_add_the_attachments_scope_only_when_switched_on():
    assert oauth.scopes(attachments=True).split()[-1] == "accounting.attachments"
    assert "accounting.attachments" not in oauth.scopes().split()
    assert oauth.scopes(legacy=True, attachments=True).split()[-1] == "accounting.attachments"
