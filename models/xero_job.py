import logging
import uuid
from datetime import datetime, timedelta, timezone

import psycopg2.errors
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import mute_logger

from .. import synchronizers
from ..xero_connector.errors import XeroAuthError, XeroError, XeroRateLimitError
from .access import XERO_MANAGER, xero_check_access

_logger = logging.getLogger(__name__)

ACTIVE_STATES = ("pending", "running", "failed")
# A running job whose worker has not reported for this long is taken as
# crashed (killed worker, lost host) and handed to the next cron run
# (ir.config_parameter xero_connector.job_stale_seconds).
STALE_AFTER = timedelta(minutes=15)
# Finished jobs are kept this many days (ir.config_parameter xero_connector.job_retention_days).
JOB_RETENTION_DAYS = 30
GC_BATCH = 10000
# How many failed jobs or held-back documents an activity lists (the rest is counted).
LISTED = 10
# Another worker wrote the same rows at the same moment: trying again later succeeds.
CONCURRENCY_ERRORS = (
    psycopg2.errors.SerializationFailure,
    psycopg2.errors.UniqueViolation,
    psycopg2.errors.LockNotAvailable,
    psycopg2.errors.DeadlockDetected,
)


def _lines(lines):
    return Markup("<br/>").join(lines)


class XeroJob(models.Model):
    """A unit of background work against Xero, run by the `_cron_run` cron.

    Work is done in steps; after each step the job's progress is committed,
    so a crash resumes from the last committed step. Each kind's steps are a
    synchronizer's (`synchronizers.JOBS`: the step method of the class built on
    the job's organisation): each call does one step and returns True when the
    whole job is finished.

    After each run, what failed for good, what Xero's lock dates or mappings
    held back, and a low day budget are told to the Xero Managers (see
    models/xero_connection.py).
    """

    _name = "xero.job"
    _description = "Xero background job"
    _order = "id desc"

    name = fields.Char(required=True)
    kind = fields.Selection(
        [
            ("contacts_fetch", "Read contacts from Xero"),
            ("contacts_import", "Import Xero contacts"),
            ("contacts_push", "Push customers and suppliers to Xero"),
            ("ledger_fetch", "Read the sales ledger from Xero"),
            ("accounting_push", "Send invoices, credit notes and payments to Xero"),
            ("accounting_preview", "Prepare the preview of the accounting data sent to Xero"),
            ("accounting_followup", "Notes, PDFs and online links of sent documents"),
        ],
        required=True,
    )
    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("running", "Running"),
            ("done", "Done"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        default="pending",
        required=True,
        index=True,
    )
    identity_key = fields.Char(
        index=True, help="Two jobs with the same key are the same work: the second is not queued."
    )
    priority = fields.Integer(default=10)
    res_model = fields.Char(string="Target model")
    res_ids = fields.Json(string="Target records")
    payload = fields.Json()
    batch_size = fields.Integer(default=50)
    progress_done = fields.Integer(string="Done")
    progress_total = fields.Integer(string="Total")
    progress = fields.Float(compute="_compute_progress", string="Progress (%)")
    attempts = fields.Integer()
    max_attempts = fields.Integer(default=6)
    next_try = fields.Datetime(default=fields.Datetime.now, index=True)
    error = fields.Text(help="What went wrong the last time, in plain words.")
    error_detail = fields.Text(
        string="Technical detail", groups=XERO_MANAGER, help="The unexpected error as Python raised it."
    )
    date_started = fields.Datetime(string="Started")
    date_done = fields.Datetime(string="Finished")
    heartbeat = fields.Datetime()
    claim_token = fields.Char(
        copy=False, help="Names the worker's claim: a worker whose job was taken over records nothing."
    )
    worker_deaths = fields.Integer(
        copy=False, help="Times the worker stopped (killed, lost) during the current step: at max attempts, it fails."
    )

    _identity_key_active_uniq = models.UniqueIndex(
        "(identity_key) WHERE state IN ('pending', 'running', 'failed')",
        "The same work is already queued.",
    )

    @api.private  # Odoo's install hook, never an RPC endpoint
    def init(self):
        # The sign of life of a step still running, written in a transaction of
        # its own while the step waits (see PgRateLimiter): never on the job's own
        # row, which the step writes at its end (a concurrent update of that row
        # would fail the step's transaction).
        self.env.cr.execute(
            """
            CREATE TABLE IF NOT EXISTS xero_job_beat (
                job_id integer PRIMARY KEY,
                claim_token varchar NOT NULL,
                beat timestamp NOT NULL
            )
            """
        )

    @api.depends("progress_done", "progress_total", "state")
    def _compute_progress(self):
        for job in self:
            if job.state == "done":
                job.progress = 100.0
            elif job.progress_total:
                job.progress = 100.0 * min(job.progress_done, job.progress_total) / job.progress_total
            else:
                job.progress = 0.0

    # -- queueing ----------------------------------------------------------

    @api.model
    def _enqueue(self, connection, kind, name, records=None, identity_key=None, payload=None, **values):
        """Queue work once: a job with the same identity key still to do is returned instead."""
        existing = self._queued(identity_key)
        if existing:
            return existing
        ids = records.ids if records is not None else []
        values = {
            "connection_id": connection.id,
            "kind": kind,
            "name": name,
            "identity_key": identity_key,
            "payload": payload or {},
            "res_model": records._name if records is not None else False,
            "res_ids": ids,
            "progress_total": len(ids),
            **values,
        }
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                job = self.sudo().create(values)
        except psycopg2.errors.UniqueViolation:
            # Another transaction (a user posting at the same moment) queued it
            # first: the work is queued, in a job this transaction cannot see yet.
            return self.browse()
        self._trigger_runner(values.get("next_try"))
        return job

    @api.model
    def _queued(self, identity_key):
        """The job with this identity key still to do (a failed one is retried), if any."""
        if not identity_key:
            return self.browse()
        existing = self.sudo().search([("identity_key", "=", identity_key), ("state", "in", ACTIVE_STATES)], limit=1)
        if existing.state == "failed":
            existing.action_retry()
        return existing

    def _trigger_runner(self, at=None):
        for runner in self._runners():
            runner._trigger(at)

    @api.model
    def _runners(self, active_test=True):
        """The cron records that run the queue (Odoo runs each on one worker at a time)."""
        first = self.env.ref("xero_connector.ir_cron_xero_jobs").sudo()
        return first.with_context(active_test=active_test).search(
            [("model_id", "=", first.model_id.id), ("code", "=", first.code)], order="id"
        )

    @api.model
    def _set_runner_count(self, count):
        """Keep `count` runners active: copies of the first one are made, extra ones archived."""
        count = max(1, count)
        runners = self._runners(active_test=False)
        for index, cron in enumerate(runners):
            if cron.active != (index < count):
                cron.active = index < count
        for number in range(len(runners) + 1, count + 1):
            runners[0].copy({"name": self.env._("Xero: run queued jobs (runner %s)", number), "active": True})

    # -- user actions -------------------------------------------------------

    def action_retry(self):
        xero_check_access(self, XERO_MANAGER)
        for job in self:
            if job.state not in ("failed", "cancelled"):
                raise UserError(self.env._("Only failed or cancelled jobs can be retried."))
        # Checked above: jobs change only through the addon's code.
        self.sudo().write({"state": "pending", "next_try": fields.Datetime.now(), "attempts": 0, "worker_deaths": 0})
        self._trigger_runner()

    def action_cancel(self):
        xero_check_access(self, XERO_MANAGER)
        if self.filtered(lambda j: j.state in ("done", "running")):
            raise UserError(self.env._("A finished or running job cannot be cancelled."))
        self.sudo().write({"state": "cancelled"})

    @api.autovacuum
    def _gc_finished_jobs(self):
        """Remove jobs finished or cancelled longer ago than the retention (failed and pending ones stay)."""
        days = int(
            self.env["ir.config_parameter"].sudo().get_param("xero_connector.job_retention_days", JOB_RETENTION_DAYS)
        )
        cutoff = fields.Datetime.now() - timedelta(days=days)
        domain = [("state", "in", ("done", "cancelled")), ("write_date", "<", cutoff)]
        old = self.sudo().search(domain, limit=GC_BATCH)
        old.unlink()
        self.env.cr.execute(
            "DELETE FROM xero_job_beat WHERE job_id NOT IN (SELECT id FROM xero_job WHERE state = 'running')"
        )
        # (removed, left): Odoo's autovacuum calls again while some are left.
        return len(old), self.sudo().search_count(domain, limit=1) if len(old) == GC_BATCH else 0

    # -- running ------------------------------------------------------------

    @api.model
    def _cron_run(self):
        """Run due jobs until none is left or the cron's time is used up.

        Several workers may run this at once: each job is claimed with
        FOR UPDATE SKIP LOCKED and marked running in its own commit.
        """
        while True:
            job = self._claim_next()
            if not job:
                return
            time_left = job._run()
            if time_left <= 0:
                self._trigger_runner()
                return

    @api.model
    def _claim_next(self):
        """Take the next due job for this worker, in a transaction of its own.

        READ COMMITTED: a job another worker claimed a moment ago is then
        simply skipped, where REPEATABLE READ would fail on it.
        """
        cr = self.env.cr
        cr.commit()  # pylint: disable=invalid-commit
        cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        self._take_over_stale_jobs()
        job = self._select_due_job()
        if not job:
            cr.commit()  # pylint: disable=invalid-commit
            return job
        now = fields.Datetime.now()
        job.write(
            {
                "state": "running",
                "attempts": job.attempts + 1,
                "heartbeat": now,
                "date_started": job.date_started or now,
                # A new claim: the worker that had it before (if it still lives) records nothing more.
                "claim_token": uuid.uuid4().hex,
            }
        )
        cr.commit()  # pylint: disable=invalid-commit
        return job

    @api.model
    def _stale_after(self):
        seconds = self.env["ir.config_parameter"].sudo().get_param("xero_connector.job_stale_seconds")
        return timedelta(seconds=float(seconds)) if seconds else STALE_AFTER

    @api.model
    def _take_over_stale_jobs(self):
        """A running job whose worker stopped reporting (its last step end, or its
        last sign of life during a wait) crashed with it: it runs again, unless its
        worker stopped `max_attempts` times during this step (a poison job).

        A job whose row a live step holds locked is skipped: its worker is alive.
        """
        self.env.cr.execute(
            """
            UPDATE xero_job job
               SET state = 'pending', worker_deaths = COALESCE(job.worker_deaths, 0) + 1, claim_token = NULL
             WHERE job.id IN (
                    SELECT j.id FROM xero_job j
                 LEFT JOIN xero_job_beat b ON b.job_id = j.id AND b.claim_token = j.claim_token
                     WHERE j.state = 'running' AND GREATEST(j.heartbeat, b.beat) < %s
                       FOR UPDATE OF j SKIP LOCKED)
         RETURNING job.id, job.worker_deaths, job.max_attempts
            """,
            [fields.Datetime.now() - self._stale_after()],
        )
        poisoned = [(job_id, deaths) for job_id, deaths, most in self.env.cr.fetchall() if deaths >= most]
        self.invalidate_model(["state", "worker_deaths", "claim_token"])
        for job_id, deaths in poisoned:
            _logger.warning("Xero job %s: its worker stopped %s times during one step; failed", job_id, deaths)
            self.browse(job_id).write(
                {
                    "state": "failed",
                    "error": self.env._(
                        "The worker stopped %(count)s times during this step (killed or out of time); "
                        "the job is stopped so that it does not stop every worker in turn. "
                        "A Xero Manager can retry it.",
                        count=deaths,
                    ),
                }
            )
        self.flush_model()  # before the due job is chosen in SQL

    @api.model
    def _select_due_job(self):
        """The next job to run, locked; none for a disconnected or paused organisation.

        Due by the clock, not by the transaction's start (`now()`): a job queued
        a moment ago in the same transaction (a test's) is due too."""
        # An organisation no other runner is working for comes first: several
        # runners then move several organisations forward, each within its budget.
        # Compared with Odoo's clock, the one that wrote next_try and paused_until
        # (the database's now() is its transaction's start, and another machine's clock),
        # to the microsecond: a pause ends at a fraction of a second (fields.Datetime.now()
        # would cut it off and see a pause that ended a moment ago as still on).
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        self.env.cr.execute(
            """
            SELECT job.id FROM xero_job job
              JOIN xero_connection conn ON conn.id = job.connection_id
         LEFT JOIN xero_rate_budget budget ON budget.tenant_id = conn.tenant_id
             WHERE job.state = 'pending'
               AND job.next_try <= %(now)s
               AND conn.state = 'connected' AND conn.enabled
               AND (budget.paused_until IS NULL OR budget.paused_until <= %(now)s)
             ORDER BY EXISTS (
                        SELECT 1 FROM xero_job busy
                         WHERE busy.connection_id = job.connection_id AND busy.state = 'running'
                      ),
                      job.priority, job.id
             LIMIT 1
               FOR UPDATE OF job SKIP LOCKED
            """,
            {"now": now},
        )
        row = self.env.cr.fetchone()
        return self.browse(row[0] if row else [])

    def _run(self):
        """Run this claimed job step by step, then tell what it left; return the cron's time left."""
        time_left = self._run_steps()
        job = self.browse(self.id)
        if job.state == "done":
            job._telling(job._tell_after_run)
        return time_left

    def _run_steps(self):
        """The steps themselves (see `_run`)."""
        self.ensure_one()
        token = self.claim_token
        # Handlers see the claim: their waits for Xero's budget report a sign of
        # life and are bounded, and a long one gives the job back (see PgRateLimiter).
        job = self.with_context(xero_job_claim=(self.id, token))
        cron = self.env["ir.cron"]
        time_left = float("inf")
        try:
            # In the job's company: company-dependent values (an account's code) are that company's,
            # not those of the cron user's main company.
            job = job.with_company(self.company_id)
            handler = synchronizers.job_step(job)
            while True:
                before = job.progress_done
                finished = handler(job)
                if not job._holds_claim(token):
                    job._lost_claim()
                    return time_left
                job.write({"heartbeat": fields.Datetime.now(), "worker_deaths": 0})
                if finished:
                    job.write({"state": "done", "date_done": fields.Datetime.now(), "error": False})
                time_left = cron._commit_progress(
                    max(job.progress_done - before, 0),
                    remaining=max(job.progress_total - job.progress_done, 0),
                )
                if finished:
                    return time_left
                if time_left <= 0:
                    # Let other crons run; the job resumes from its last step.
                    job.state = "pending"
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                    return time_left
        except XeroError as exc:
            job._fail(exc, token)
        except Exception as exc:  # noqa: BLE001 - logged with its traceback in _fail
            job._fail(exc, token, unexpected=True)
        return time_left

    def _holds_claim(self, token):
        """True when this worker still holds the job: then the row stays locked
        until the step's commit, so no other worker can take it over meanwhile.

        False when another worker took it over (the step outlived the stale
        delay): under REPEATABLE READ, a takeover committed during the step
        makes the lock fail; one committed before shows another token.
        """
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint(flush=False):
                self.env.cr.execute("SELECT claim_token FROM xero_job WHERE id = %s FOR UPDATE", [self.id])
                row = self.env.cr.fetchone()
        except psycopg2.errors.SerializationFailure:
            return False
        return bool(row) and row[0] == token

    def _lost_claim(self):
        """Another worker took this job over: what this step did is not recorded."""
        _logger.warning("Xero job %s was taken over by another worker; this worker's step is dropped", self.id)
        self.env.cr.rollback()
        self.env.invalidate_all()

    def _fail(self, exc, token=None, unexpected=False):
        """Record the failure (or the next try), then tell a failure for good."""
        self._record_failure(exc, token=token, unexpected=unexpected)
        job = self.browse(self.id)
        if job.state == "failed":
            job._telling(job._tell_failed)

    def _record_failure(self, exc, token=None, unexpected=False):
        """Undo the step, then write what went wrong and what comes next (a retry, a wait, or failed)."""
        self.env.cr.rollback()
        self.env.invalidate_all()
        job = self.browse(self.id)
        if token is not None and not job._holds_claim(token):
            # Taken over meanwhile: this worker's failure (often its late writes
            # meeting the other worker's) is not the job's any more.
            _logger.info("Xero job %s: step of a worker that lost its claim ended with %r", self.id, exc)
            job._lost_claim()
            return
        if unexpected:
            _logger.exception("Xero job %s failed", self.id)
        values = dict(self._error_values(exc), heartbeat=fields.Datetime.now())
        if isinstance(exc, XeroAuthError) and exc.reconnect_needed:
            # Waits, unclaimed, until an administrator reconnects the company.
            values.update(state="pending", attempts=max(job.attempts - 1, 0))
        elif isinstance(exc, XeroRateLimitError):
            # Xero's budget, not this job, is the problem: wait and do not count it.
            values.update(
                state="pending",
                attempts=max(job.attempts - 1, 0),
                next_try=fields.Datetime.now() + timedelta(seconds=exc.retry_after),
            )
        elif (
            getattr(exc, "retryable", False) or isinstance(exc, CONCURRENCY_ERRORS)
        ) and job.attempts < job.max_attempts:
            delay = timedelta(minutes=2 ** (job.attempts - 1))
            values.update(state="pending", next_try=fields.Datetime.now() + delay)
        else:
            values["state"] = "failed"
        job.write(values)
        self.env.cr.commit()  # pylint: disable=invalid-commit
        if values["state"] == "pending":
            self._trigger_runner(values.get("next_try"))

    def _error_values(self, exc):
        """What users see of a failure: Xero's plain words, or a plain sentence for the unexpected
        (its technical detail for Xero Managers only)."""
        if isinstance(exc, XeroError):
            return {"error": str(exc), "error_detail": False}
        return {
            "error": self.env._("Something unexpected went wrong; a Xero Manager can see the details on the job."),
            "error_detail": f"{type(exc).__name__}: {exc}",
        }

    # -- helpers for handlers -------------------------------------------------

    def _next_batch(self):
        """The target records of the next step (the job's `batch_size`)."""
        ids = (self.res_ids or [])[self.progress_done : self.progress_done + self.batch_size]
        return self.env[self.res_model].browse(ids).exists() if ids else self.env[self.res_model or self._name]

    def _batch_done(self):
        """Count the step's batch as done; True when it was the last one."""
        self.progress_done = min(self.progress_done + self.batch_size, self.progress_total)
        return self.progress_done >= self.progress_total

    # -- telling the managers -------------------------------------------------

    def _telling(self, tell):
        """Tell, in a commit of its own: telling never stops the runner nor undoes the job's work."""
        try:
            tell()
            self.env.cr.commit()  # pylint: disable=invalid-commit
        except Exception:
            _logger.exception("Xero job %s: telling the managers failed", self.id)
            self.env.cr.rollback()

    def _tell_failed(self):
        self.ensure_one()
        conn = self.connection_id
        failed = self.sudo().search([("connection_id", "=", conn.id), ("state", "=", "failed")], order="id")
        summary = self.env._("%s Xero job(s) failed", len(failed))
        note = _lines(
            [self.env._("Retry them from Xero > Jobs once the cause is fixed; a job that failed again is listed once.")]
            + [Markup("<b>%s</b>: %s") % (job.name, job.error or "") for job in failed[:LISTED]]
        )
        conn._tell_managers("job_failed", summary, note, starter=self.create_uid)

    def _tell_after_run(self):
        """A job finished: problems it settled are closed, the ones it left are told."""
        self.ensure_one()
        conn = self.connection_id
        if not self.sudo().search_count([("connection_id", "=", conn.id), ("state", "=", "failed")], limit=1):
            conn._problem_settled("job_failed")
        if self.kind == "accounting_push":
            self._tell_held_back()
        if (
            self.env["xero.document"]
            .sudo()
            .search_count([("connection_id", "=", conn.id), ("followup_pending", "=", True)], limit=1)
        ):
            # Planned while a follow-up job was finishing (it saw none left): queue another.
            conn._enqueue_followups()
        conn._tell_low_budget(starter=self.create_uid)

    def _tell_held_back(self):
        conn = self.connection_id
        domain = [("connection_id", "=", conn.id), ("state", "in", ("blocked", "error"))]
        docs = self.env["xero.document"].sudo().search(domain, order="date, id")
        payments = self.env["xero.payment"].sudo().search(domain, order="date, id")
        count = len(docs) + len(payments)
        if not count:
            conn._problem_settled("held_back")
            return
        summary = self.env._("%s document(s) or payment(s) held back or refused by Xero", count)
        listed = [Markup("<b>%s</b>: %s") % (d.name, d.error or "") for d in docs[:LISTED]]
        listed += [Markup("<b>%s</b>: %s") % (p.display_name, p.error or "") for p in payments[: LISTED - len(listed)]]
        if count > len(listed):
            listed.append(self.env._("... and %s more (Xero > Documents sent).", count - len(listed)))
        conn._tell_managers("held_back", summary, _lines(listed), starter=self.create_uid)
