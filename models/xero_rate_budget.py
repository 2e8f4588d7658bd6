import contextlib
import json
import time
from datetime import datetime, timezone

from odoo import api, fields, models, sql_db
from odoo.orm.environments import Transaction

from ..xero_connector.ratelimit import Budget, Limits


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
        params = self.env["ir.config_parameter"].sudo()
        limits = Limits(
            per_minute=int(params.get_param("xero_connector.calls_per_minute", 60)),
            concurrent=int(params.get_param("xero_connector.concurrent_calls", 5)),
            # A compressed minute serves benchmarks and tests; Xero's is 60 s.
            window=float(params.get_param("xero_connector.minute_seconds", 60)) + 1.0,
        )
        return PgRateLimiter(self.env.registry, connection.tenant_id, limits)


class PgRateLimiter:
    """Limiter for the gateway, with its state in `xero_rate_budget`."""

    def __init__(self, registry, tenant_id, limits, sleep=time.sleep):
        self.registry = registry
        self.tenant_id = tenant_id
        self.limits = limits
        self.sleep = sleep
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

    @contextlib.contextmanager
    def slot(self):
        while True:
            with self._locked() as (budget, _cr):
                wait, token = budget.try_acquire(time.time(), self.limits)
            if token:
                break
            self.sleep(min(wait, 5.0))
        try:
            yield
        finally:
            with self._locked() as (budget, _cr):
                budget.release(token)

    def observe(self, limits):
        # Written with the next lock of the row: no extra transaction per call.
        self._day_remaining = limits.get("day_remaining", self._day_remaining)

    def pause(self, seconds, problem=None):
        until = time.time() + seconds
        with self._locked() as (budget, cr):
            budget.pause(until)
            # The job runner reads this column and leaves the organisation's
            # jobs alone until Xero is ready again.
            cr.execute(
                "UPDATE xero_rate_budget SET paused_until = %s WHERE tenant_id = %s",
                [datetime.fromtimestamp(until, timezone.utc).replace(tzinfo=None), self.tenant_id],
            )
