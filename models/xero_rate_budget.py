import contextlib
import json
import math
import time
from datetime import datetime, timezone

from odoo import api, fields, models, sql_db
from odoo.exceptions import UserError
from odoo.orm.environments import Transaction

from ..xero_connector import errors
from ..xero_connector.gateway import MAX_RETRY_AFTER
from ..xero_connector.ratelimit import REQUEST_MAX_WAIT, Budget, Limits, acquire
from .xero_i18n import translate

# Xero's minute, in seconds: the window of its `calls_per_minute` (benchmarks on a
# compressed minute patch it in their own process; see scripts/bench_odoo_connect.py).
XERO_MINUTE = 60.0
# Inside a job, the longest wait for Xero's budget done in place (Xero's
# minute is 60 s); a longer one gives the job back with its next try.
JOB_MAX_WAIT = 90.0
# During a wait, a job's sign of life is written this often (seconds).
HEARTBEAT_EVERY = 10.0


@contextlib.contextmanager
def short_transaction(registry):
    """A cursor of its own, committed at once, that waits for row locks.

    READ COMMITTED, so that waiting for a row another worker holds ends with
    that worker's committed values rather than a serialization error.
    (Under tests the registry hands out the test's cursor: no isolation
    change is possible nor needed there.)
    """
    with registry.cursor() as cr:
        if isinstance(cr, sql_db.Cursor):
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        if cr.transaction is None:
            # We know the registry: no need to look it up under its global lock.
            cr.transaction = Transaction(registry)
        yield cr
        cr.commit()  # pylint: disable=invalid-commit


class XeroRateBudget(models.Model):
    """Xero's API budget of one organisation, shared by every worker and host.

    The decision itself is `xero_connector.ratelimit.Budget`; this model only
    keeps its state in a row that each worker locks for a moment, in a short
    transaction of its own, before and after each call.
    """

    _name = "xero.rate.budget"
    _description = "Xero API budget"

    tenant_id = fields.Char(required=True, index=True)
    state = fields.Json()
    day_remaining = fields.Integer()
    day_date = fields.Date()
    paused_until = fields.Datetime(help="Xero asked to wait: no call before this time.")

    _tenant_uniq = models.Constraint("UNIQUE(tenant_id)", "One budget per organisation.")

    @api.model
    def _limiter(self, connection):
        """The organisation's limiter, for a job (its claim in the context) or for a user's request.

        A user's request waits a few seconds at most (xero_connector.request_max_wait)
        and is then told the wait in words; a job waits up to JOB_MAX_WAIT, telling
        that it lives, and is then given back with its next try.
        """
        params = self.env["ir.config_parameter"].sudo()
        limits = Limits(
            per_minute=int(params.get_param("xero_connector.calls_per_minute", 60)),
            concurrent=int(params.get_param("xero_connector.concurrent_calls", 5)),
            # The margin of Limits.window: Xero counts a call when it arrives.
            window=XERO_MINUTE + 1.0,
        )
        claim = self.env.context.get("xero_job_claim")
        if claim:
            return PgRateLimiter(self.env.registry, connection.tenant_id, limits, max_wait=JOB_MAX_WAIT, claim=claim)
        max_wait = float(params.get_param("xero_connector.request_max_wait", REQUEST_MAX_WAIT))
        return PgRateLimiter(self.env.registry, connection.tenant_id, limits, max_wait=max_wait, env=self.env)


class PgRateLimiter:
    """Limiter for the gateway, with its state in `xero_rate_budget`."""

    def __init__(self, registry, tenant_id, limits, sleep=time.sleep, max_wait=None, claim=None, env=None):
        self.registry = registry
        self.tenant_id = tenant_id
        self.limits = limits
        self.sleep = sleep
        # Longest wait done in place (None: no bound); see XeroRateBudget._limiter.
        self.max_wait = max_wait
        # (job id, claim token) inside a job: waits write its sign of life.
        self.claim = claim
        # A user's request: a wait too long is said to the user in their language.
        self.env = env
        self._day_remaining = None

    @contextlib.contextmanager
    def _locked(self):
        with short_transaction(self.registry) as cr:
            cr.execute(
                """
                INSERT INTO xero_rate_budget (tenant_id, state, create_date, write_date)
                VALUES (%s, '{}', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
                ON CONFLICT (tenant_id) DO NOTHING
                """,
                [self.tenant_id],
            )
            cr.execute("SELECT state FROM xero_rate_budget WHERE tenant_id = %s FOR UPDATE", [self.tenant_id])
            budget = Budget.from_dict(cr.fetchone()[0])
            yield budget, cr
            cr.execute(
                """
                UPDATE xero_rate_budget
                   SET state = %s, write_date = now() AT TIME ZONE 'UTC',
                       day_remaining = COALESCE(%s, day_remaining), day_date = %s
                 WHERE tenant_id = %s
                """,
                [json.dumps(budget.to_dict()), self._day_remaining, datetime.now(timezone.utc).date(), self.tenant_id],
            )

    def _try_acquire(self):
        with self._locked() as (budget, _cr):
            wait, token = budget.try_acquire(time.time(), self.limits)
            return wait, token, budget.refusal

    def wait(self, seconds):
        """Sleep `seconds`; inside a job, telling every HEARTBEAT_EVERY seconds that it lives."""
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            self.beat()
            self.sleep(min(left, HEARTBEAT_EVERY))

    def beat(self):
        """The job's sign of life, in a transaction of its own (see XeroJob.init)."""
        if not self.claim:
            return
        job_id, token = self.claim
        with short_transaction(self.registry) as cr:
            cr.execute(
                """
                INSERT INTO xero_job_beat (job_id, claim_token, beat)
                VALUES (%s, %s, now() AT TIME ZONE 'UTC')
                ON CONFLICT (job_id) DO UPDATE SET claim_token = EXCLUDED.claim_token, beat = EXCLUDED.beat
                """,
                [job_id, token],
            )

    @contextlib.contextmanager
    def slot(self):
        try:
            # The budget's row is read again after each wait: never longer than 5 s
            # between two looks, so a pause lifted early is seen.
            token = acquire(self._try_acquire, self.wait, self.max_wait, poll=5.0)
        except errors.XeroRateLimitError as exc:
            raise self.handed_back(exc) from None
        try:
            yield
        finally:
            with self._locked() as (budget, _cr):
                budget.release(token)

    def observe(self, limits):
        # Written with the next lock of the row: no extra transaction per call.
        self._day_remaining = limits.get("day_remaining", self._day_remaining)

    def handed_back(self, error):
        """A wait too long for here: a job gets the error (and its next try); a user, the wait in words."""
        if self.env is None or not isinstance(error, errors.XeroRateLimitError):
            return error
        return UserError(translate(self.env, error.user_message))

    def pause(self, seconds, problem=None):
        # Never a pause of NaN or of years, whatever the caller read.
        seconds = 60.0 if math.isnan(seconds) else min(max(seconds, 0.0), MAX_RETRY_AFTER)
        until = time.time() + seconds
        with self._locked() as (budget, cr):
            budget.pause(until)
            # The job runner reads this column and leaves the organisation's
            # jobs alone until Xero is ready again.
            cr.execute(
                "UPDATE xero_rate_budget SET paused_until = %s WHERE tenant_id = %s",
                [datetime.fromtimestamp(until, timezone.utc).replace(tzinfo=None), self.tenant_id],
            )
