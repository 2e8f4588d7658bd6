"""Xero's API budget per organisation: calls a minute, calls at once, pauses.

`Budget` is the whole decision, on plain data, so the same code runs with
its state in PostgreSQL (shared by every Odoo worker, see the Odoo model
`xero.rate.budget`) or in memory (`MemoryRateLimiter`, for scripts).
"""

import contextlib
import random
import threading
import time
import uuid
from dataclasses import dataclass, field

from . import errors

# What the addon uses (its public API; the rest may change without notice).
__all__ = ["REQUEST_MAX_WAIT", "Budget", "Limits", "acquire"]

# Waiting for one of the organisation's concurrent calls to end: from 50 ms,
# doubling up to 2 s, each with jitter so that waiting workers do not all
# ask again at the same moment (instead of polling every 50 ms).
CONCURRENT_FIRST_WAIT = 0.05
CONCURRENT_MAX_WAIT = 2.0
# What a user's request may wait for Xero's budget before it is told the wait in words.
REQUEST_MAX_WAIT = 5.0


@dataclass(frozen=True)
class Limits:
    per_minute: int = 60
    concurrent: int = 5
    # Xero counts a call when it arrives; a small margin absorbs the delay
    # between our clock starting a call and Xero receiving it.
    window: float = 61.0
    # A call still "in flight" after this long was lost with its worker.
    stale_after: float = 120.0


@dataclass
class Budget:
    calls: list = field(default_factory=list)  # start times, oldest first
    in_flight: dict = field(default_factory=dict)  # token -> start time
    paused_until: float = 0.0
    # Why the last try_acquire refused ("paused", "minute", "concurrent"); not stored.
    refusal: str | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_dict(cls, data):
        data = data or {}
        return cls(
            calls=sorted(data.get("calls") or []),
            in_flight=dict(data.get("in_flight") or {}),
            paused_until=float(data.get("paused_until") or 0.0),
        )

    def to_dict(self):
        return {"calls": self.calls, "in_flight": self.in_flight, "paused_until": self.paused_until}

    def try_acquire(self, now, limits):
        """(0, token) when a call may start now, else (seconds to wait, None)."""
        self.calls = [t for t in self.calls if t > now - limits.window]
        self.in_flight = {k: t for k, t in self.in_flight.items() if t > now - limits.stale_after}
        if self.paused_until > now:
            self.refusal = "paused"
            return self.paused_until - now, None
        if len(self.calls) >= limits.per_minute:
            self.refusal = "minute"
            # The floor keeps float rounding from answering "wait 0 s" forever.
            return max(self.calls[len(self.calls) - limits.per_minute] + limits.window - now, 0.001), None
        if len(self.in_flight) >= limits.concurrent:
            self.refusal = "concurrent"
            return CONCURRENT_FIRST_WAIT, None
        self.refusal = None
        token = uuid.uuid4().hex
        self.calls.append(now)
        self.in_flight[token] = now
        return 0.0, token

    def release(self, token):
        self.in_flight.pop(token, None)

    def pause(self, until):
        self.paused_until = max(self.paused_until, until)


def concurrent_backoff(waits_so_far, rng=random.random):
    """The wait before asking again for a concurrent slot: 50 ms doubling to 2 s, +-50 % jitter."""
    return min(CONCURRENT_FIRST_WAIT * 2**waits_so_far, CONCURRENT_MAX_WAIT) * (0.5 + rng())


def acquire(try_acquire, sleep, max_wait=None, rng=random.random, poll=None):
    """Wait for a call slot and return its token.

    `try_acquire()` answers (seconds to wait, token or None, why refused).
    With `max_wait` (seconds), a wait that would pass it is not done:
    XeroRateLimitError is raised at once with the time still to wait, so a
    user's request answers in seconds and a job is given back with its next
    try instead of holding a worker for the length of Xero's pause. With
    `poll`, the budget is looked at again at least that often (a shared
    budget may free a slot, or lift a pause, earlier).
    """
    waited, concurrent_waits = 0.0, 0
    while True:
        wait, token, refusal = try_acquire()
        if token:
            return token
        if refusal == "concurrent":
            wait = concurrent_backoff(concurrent_waits, rng)
            concurrent_waits += 1
        if max_wait is not None and waited + wait > max_wait:
            raise errors.rate_limit_error(wait, refusal)
        step = min(wait, poll) if poll else wait
        sleep(step)
        waited += step


class MemoryRateLimiter:
    """The budget kept in this process (one worker, scripts, benchmarks)."""

    def __init__(self, limits=None, clock=time.monotonic, sleep=time.sleep, max_wait=None):
        self.limits = limits or Limits()
        self.max_wait = max_wait
        self.budget = Budget()
        self.clock = clock
        self.sleep = sleep
        self.day_remaining = None
        self._lock = threading.Lock()

    def _try_acquire(self):
        with self._lock:
            wait, token = self.budget.try_acquire(self.clock(), self.limits)
            return wait, token, self.budget.refusal

    @contextlib.contextmanager
    def slot(self):
        try:
            token = acquire(self._try_acquire, self.sleep, self.max_wait)
        except errors.XeroRateLimitError as exc:
            raise self.handed_back(exc) from None
        try:
            yield
        finally:
            with self._lock:
                self.budget.release(token)

    def observe(self, limits):
        self.day_remaining = limits.get("day_remaining", self.day_remaining)

    def pause(self, seconds, problem=None):
        with self._lock:
            self.budget.pause(self.clock() + seconds)

    def handed_back(self, error):
        return error
