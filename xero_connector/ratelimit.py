"""Xero's API budget per organisation: calls a minute, calls at once, pauses.

`Budget` is the whole decision, on plain data, so the same code runs with
its state in PostgreSQL (shared by every Odoo worker, see the Odoo model
`xero.rate.budget`) or in memory (`MemoryRateLimiter`, for scripts).
"""

import contextlib
import threading
import time
import uuid
from dataclasses import dataclass, field


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
            return self.paused_until - now, None
        if len(self.calls) >= limits.per_minute:
            # The floor keeps float rounding from answering "wait 0 s" forever.
            return max(self.calls[len(self.calls) - limits.per_minute] + limits.window - now, 0.001), None
        if len(self.in_flight) >= limits.concurrent:
            return 0.05, None
        token = uuid.uuid4().hex
        self.calls.append(now)
        self.in_flight[token] = now
        return 0.0, token

    def release(self, token):
        self.in_flight.pop(token, None)

    def pause(self, until):
        self.paused_until = max(self.paused_until, until)


class MemoryRateLimiter:
    """The budget kept in this process (one worker, scripts, benchmarks)."""

    def __init__(self, limits=None, clock=time.monotonic, sleep=time.sleep):
        self.limits = limits or Limits()
        self.budget = Budget()
        self.clock = clock
        self.sleep = sleep
        self.day_remaining = None
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def slot(self):
        while True:
            with self._lock:
                wait, token = self.budget.try_acquire(self.clock(), self.limits)
            if token:
                break
            self.sleep(wait)
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
