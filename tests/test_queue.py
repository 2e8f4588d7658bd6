"""Jobs and tokens across real transactions and concurrent workers.

These tests use real cursors (not the test transaction), as two Odoo workers
would, and remove the Xero records they committed (the test company stays).
"""

# pylint: disable=invalid-commit

import threading
import time
import uuid
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from odoo.addons.xero_connector.models import xero_rate_budget
from odoo.addons.xero_connector.models.xero_job import XeroJob
from odoo.addons.xero_connector.models.xero_outbox import XeroOutbox
from odoo.addons.xero_connector.synchronizers.contact_reader import ContactReader
from odoo.addons.xero_connector.xero_connector import oauth
from odoo.addons.xero_connector.xero_connector.errors import XeroAuthError

from .common import RealCursorCase, connect, enqueue_check, give_token, stuck_threads_report


@tagged("post_install", "-at_install")
class TestAcrossTransactions(RealCursorCase):
    company_prefix = "Queue Test Co"

    def setUp(self):
        super().setUp()
        # Expired: the next call refreshes.
        self.first_refresh_token = self.start_connected(expires_at=0)

    def wait_for_lock(self, outcome, timeout=30):
        """Until the transaction of the backend `outcome["pid"]` waits for a lock another holds."""
        deadline = time.monotonic() + timeout
        with self.registry.cursor() as cr:
            while time.monotonic() < deadline:
                pid = outcome.get("pid")
                if pid:
                    cr.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
                    row = cr.fetchone()
                    if row and row[0] == "Lock":
                        return
                cr.rollback()  # a fresh snapshot of pg_stat_activity
                time.sleep(0.01)
        raise AssertionError(f"the second transaction never waited for the lock: {outcome}")

    def test_new_refresh_token_survives_a_rollback(self):
        with self.registry.cursor() as cr:
            access_token = self.connection(cr)._get_access_token()
            cr.rollback()  # the surrounding work fails after the refresh
        with self.registry.cursor() as cr:
            connection = self.connection(cr)
            self.assertEqual(connection._token().access_token, access_token)
            self.assertNotEqual(connection._token().refresh_token, self.first_refresh_token)
            new_refresh_token = connection._token().refresh_token
            self.assertEqual(connection._refresh_organisation()["Name"], "Demo Company (Sandbox)")
        endpoints = oauth.Endpoints.at(self.sandbox.base_url)
        self.sandbox.age_refresh_tokens(days=1)  # past Xero's grace period for the old one
        with self.assertRaises(XeroAuthError):  # rotation: the old one is dead at Xero
            oauth.refresh(endpoints, self.sandbox.client_id, self.sandbox.client_secret, self.first_refresh_token)
        fresh = oauth.refresh(endpoints, self.sandbox.client_id, self.sandbox.client_secret, new_refresh_token)
        self.assertTrue(fresh.access_token)

    def test_two_workers_refreshing_at_once_keep_one_valid_token(self):
        tokens, failures = [], []

        def worker():
            try:
                with self.registry.cursor() as cr:
                    tokens.append(self.connection(cr)._get_access_token())
            except Exception as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        self.assertFalse([t for t in threads if t.is_alive()], stuck_threads_report())
        self.assertEqual(failures, [])
        self.assertEqual(len(set(tokens)), 1, "the second worker reuses the first one's token")
        refreshes = [r for r in self.sandbox.request_log if r["path"] == "/connect/token"]
        self.assertEqual(len(refreshes), 1)
        with self.registry.cursor() as cr:
            self.assertEqual(self.connection(cr).state, "connected")

    def test_two_cron_workers_run_300_jobs_exactly_once(self):
        # A compressed minute (3 s) with Xero's 60 calls: the same limiter code.
        self.sandbox.minute_limit, self.sandbox.minute_seconds = 60, 3.0
        self.addCleanup(setattr, self.sandbox, "minute_seconds", 60.0)
        self.startPatcher(patch.object(xero_rate_budget, "XERO_MINUTE", 3.0))
        with self.registry.cursor() as cr:
            env = self.env_of(cr)
            connection = self.connection(cr)
            connection._get_access_token()
            jobs = env["xero.job"]
            for n in range(300):
                jobs |= enqueue_check(env, connection, f"Check {n}", identity_key=f"queue-test-{n}")
            job_ids = jobs.ids
            cr.commit()
        calls_before = len([r for r in self.sandbox.request_log if r["path"].endswith("/Organisation")])
        failures = []
        ran = {"worker 1": [], "worker 2": []}  # the jobs each worker ran
        run = XeroJob._run

        def tell_then_run(job):
            ran[threading.current_thread().name].append(job.id)
            return run(job)

        def cron_worker():
            try:
                with self.registry.cursor() as cr:
                    self.env_of(cr)["xero.job"]._cron_run()
                    cr.commit()
            except Exception as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        started = time.monotonic()
        workers = [threading.Thread(target=cron_worker, name=name) for name in ran]
        with patch.object(XeroJob, "_run", tell_then_run):
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(240)
        self.assertFalse([w for w in workers if w.is_alive()], stuck_threads_report())
        self.assertEqual(failures, [])
        # Both worked, and no job was run by both.
        self.assertTrue(all(len(jobs) >= 30 for jobs in ran.values()), {w: len(jobs) for w, jobs in ran.items()})
        self.assertEqual(sorted(ran["worker 1"] + ran["worker 2"]), sorted(job_ids))
        with self.registry.cursor() as cr:
            jobs = self.env_of(cr)["xero.job"].browse(job_ids)
            self.assertEqual(set(jobs.mapped("state")), {"done"})
            self.assertEqual(set(jobs.mapped("attempts")), {1}, "every job ran exactly once")
        calls = len([r for r in self.sandbox.request_log if r["path"].endswith("/Organisation")]) - calls_before
        self.assertEqual(calls, 300)
        self.assertEqual(self.sandbox.stats["http_429"], 0, "the shared budget kept the pace")
        self.assertLessEqual(self.sandbox.stats["max_calls_in_window"], 60)
        # 300 calls at 60 per 3 s cannot take less than 12 s: the limiter really paced them.
        self.assertGreaterEqual(time.monotonic() - started, 12)

    def test_the_same_work_queued_by_two_transactions_at_once_is_one_job(self):
        """Two users posting at the same moment: the second waits for the first, and queues nothing more."""
        outcome = {}

        def second_user():
            try:
                with self.registry.cursor() as cr:
                    cr.execute("SELECT pg_backend_pid()")
                    outcome["pid"] = cr.fetchone()[0]
                    enqueue_check(self.env_of(cr), self.connection(cr), "Check", identity_key="race")
                    cr.commit()
                    outcome["done"] = True
            except Exception as exc:  # noqa: BLE001 - reported below
                outcome["error"] = exc

        with self.registry.cursor() as cr:
            enqueue_check(self.env_of(cr), self.connection(cr), "Check", identity_key="race")
            thread = threading.Thread(target=second_user)
            thread.start()
            # Commit only once the second transaction waits for this one's row lock (the unique key).
            self.wait_for_lock(outcome)
            cr.commit()
        thread.join(30)
        self.assertFalse(thread.is_alive(), stuck_threads_report())
        self.assertEqual(outcome, {"pid": outcome["pid"], "done": True}, "the second user's work went through")
        with self.registry.cursor() as cr:
            self.assertEqual(self.env_of(cr)["xero.job"].search_count([("identity_key", "=", "race")]), 1)

    def test_a_429_pauses_that_organisation_s_jobs_and_only_theirs(self):
        tenant_b = self.sandbox.add_tenant("Rate Co B Ltd")
        with self.registry.cursor() as cr:
            env = self.env_of(cr)
            company_b = env["res.company"].create({"name": f"Queue Test Co B {uuid.uuid4().hex[:8]}"})
            other = connect(env, self.sandbox, company_b, tenant_id=tenant_b)
            jobs = [
                enqueue_check(env, self.connection(cr), "First check"),
                enqueue_check(env, self.connection(cr), "Second check"),
                enqueue_check(env, other, "Their check"),
            ]
            job_ids = [job.id for job in jobs]
            other_id = other.id
            cr.commit()
        self.addCleanup(self.remove_connection, other_id)
        # Xero answers the first job's call: this organisation's calls of the day are used up.
        self.sandbox.inject_fault("429_day")
        since = len(self.sandbox.request_log)
        with self.registry.cursor() as cr:
            self.env_of(cr)["xero.job"]._cron_run()
        with self.registry.cursor() as cr:
            env = self.env_of(cr)
            first, second, theirs = env["xero.job"].browse(job_ids)
            self.assertEqual(theirs.state, "done", "the other organisation's job still ran")
            self.assertEqual((first.state, second.state), ("pending", "pending"), "waiting, not failed")
            self.assertEqual((first.attempts, second.attempts), (0, 0), "a pause is not an attempt of the job's")
            self.assertIn("today's API limit for this organisation is used up", first.error)
            budgets = env["xero.rate.budget"].search([("tenant_id", "in", [self.sandbox.tenant_id, tenant_b])])
            paused = {b.tenant_id: b.paused_until for b in budgets}
            self.assertGreater(paused[self.sandbox.tenant_id], fields.Datetime.now())
            self.assertFalse(paused.get(tenant_b), "the other organisation's budget is not paused")
            # The next run leaves the paused organisation alone.
            env["xero.job"]._cron_run()
            self.assertEqual((first.state, second.state), ("pending", "pending"))
        calls = [r["headers"].get("xero-tenant-id") for r in self.sandbox.request_log[since:]]
        self.assertEqual(calls.count(self.sandbox.tenant_id), 1, "no call after Xero's 429")
        self.assertEqual(calls.count(tenant_b), 1)

    def remove_connection(self, connection_id):
        with self.registry.cursor() as cr:
            env = self.env_of(cr)
            env["xero.job"].search([("connection_id", "=", connection_id)]).unlink()
            env["xero.connection"].browse(connection_id).unlink()
            cr.commit()

    def test_failed_job_is_visible_and_retried(self):
        self.sandbox.inject_fault("503", count=20, path_contains="/Organisation")
        with self.registry.cursor() as cr:
            env = self.env_of(cr)
            job = enqueue_check(env, self.connection(cr), "Check", max_attempts=1)
            job_id = job.id
            cr.commit()
            env["xero.job"]._cron_run()
        with self.registry.cursor() as cr:
            job = self.env_of(cr)["xero.job"].browse(job_id)
            self.assertEqual(job.state, "failed")
            self.assertIn("not answering properly (HTTP 503)", job.error)
            self.sandbox.reset(seed="demo")
            give_token(self.connection(cr), self.sandbox)
            job.action_retry()
            cr.commit()
            self.env_of(cr)["xero.job"]._cron_run()
        with self.registry.cursor() as cr:
            job = self.env_of(cr)["xero.job"].browse(job_id)
            self.assertEqual(job.state, "done")
            self.assertFalse(job.error)
            self.assertEqual(job.progress, 100.0)

    def test_invalid_grant_asks_for_reconnection_and_stops_jobs(self):
        with self.registry.cursor() as cr:
            connection = self.connection(cr)
            connection._token().refresh_token = "revoked-long-ago"
            job_id = enqueue_check(self.env_of(cr), connection, "Check").id
            cr.commit()
            with self.assertRaises(XeroAuthError):
                connection._get_access_token()
            cr.rollback()
        with self.registry.cursor() as cr:
            env = self.env_of(cr)
            connection = self.connection(cr)
            self.assertEqual(connection.state, "reconnect")
            self.assertIn("reconnect", connection.last_error)
            admin = env.ref("base.user_admin")
            activity = connection.activity_ids.filtered(lambda a: a.user_id == admin)
            self.assertIn("Reconnect", activity.summary)
            calls_before = len(self.sandbox.request_log)
            env["xero.job"]._cron_run()
            self.assertEqual(env["xero.job"].browse(job_id).state, "pending", "it waits for the reconnection")
            self.assertEqual(len(self.sandbox.request_log), calls_before, "no call while the connection is broken")
            connection.activity_ids.unlink()
            cr.commit()

    def test_bulk_import_of_1000_resumes_after_a_crash_without_duplicates(self):
        self.sandbox.seed_contacts(1000, prefix="Bulk")
        with self.registry.cursor() as cr:
            env = self.env_of(cr)
            connection = self.connection(cr)
            connection._enqueue_contacts_fetch()
            cr.commit()
            env["xero.job"]._cron_run()
            contacts = env["xero.contact"].search(
                [("connection_id", "=", self.connection_id), ("name", "=like", "Bulk %")]
            )
            self.assertEqual(len(contacts), 1000)
            contacts.action_import()
            job = env["xero.job"].search([("kind", "=", "contacts_import"), ("connection_id", "=", self.connection_id)])
            cr.commit()

        # The worker dies in the middle of the third batch (after creating some partners).
        calls = []
        original = ContactReader.import_partners

        def dying(reader, records):
            calls.append(len(records))
            if len(calls) == 3:
                original(reader, records[:40])
                raise KeyboardInterrupt("worker killed")
            return original(reader, records)

        with patch.object(ContactReader, "import_partners", dying), self.registry.cursor() as cr:
            with self.assertRaises(KeyboardInterrupt):
                self.env_of(cr)["xero.job"]._cron_run()
            cr.rollback()
        with self.registry.cursor() as cr:
            job = self.env_of(cr)["xero.job"].browse(job.id)
            self.assertEqual((job.state, job.progress_done), ("running", 200))
            # Fifteen minutes without news from its worker: the next run takes it over.
            job.heartbeat = job.heartbeat - timedelta(minutes=20)
            cr.commit()
        with self.registry.cursor() as cr:
            env = self.env_of(cr)
            env["xero.job"]._cron_run()
            job = env["xero.job"].browse(job.id)
            self.assertEqual(job.state, "done")
            contacts = env["xero.contact"].search(
                [("connection_id", "=", self.connection_id), ("name", "=like", "Bulk %")]
            )
            self.assertEqual(len(contacts.partner_id), 1000)
            partners = env["res.partner"].search([("name", "=like", "Bulk %"), ("parent_id", "=", False)])
            self.assertEqual(len(partners), 1000, "no partner created twice")
            self.assertEqual(len(set(partners.mapped("name"))), 1000)

    def test_push_killed_after_xero_created_a_batch_duplicates_nothing(self):
        with self.registry.cursor() as cr:
            env = self.env_of(cr)
            tag = uuid.uuid4().hex[:6]
            partners = env["res.partner"].create(
                [
                    {"name": f"Crash {tag} {n:03d}", "customer_rank": 1, "company_id": self.company_id}
                    for n in range(120)
                ]
            )
            job = self.connection(cr)._enqueue_contacts_push()
            cr.commit()

        # Xero creates the second batch, then the worker dies before Odoo commits.
        calls = []
        original = XeroOutbox._deliver

        def dying(batch):
            settled = original(batch)
            if batch.kind == "contact_save":
                calls.append(len(batch.record_ids))
                if len(calls) == 2:
                    raise KeyboardInterrupt("worker killed")
            return settled

        with patch.object(XeroOutbox, "_deliver", dying), self.registry.cursor() as cr:
            with self.assertRaises(KeyboardInterrupt):
                self.env_of(cr)["xero.job"]._cron_run()
            cr.rollback()
        with self.registry.cursor() as cr:
            job = self.env_of(cr)["xero.job"].browse(job.id)
            # The second batch was planned and committed (its partners counted), then sent.
            self.assertEqual((job.state, job.progress_done), ("running", 100))
            pushed = self.env_of(cr)["res.partner"].browse(job.res_ids)
            second_batch = pushed[50:100].mapped("name")
            names = pushed.mapped("name")
            job.heartbeat = job.heartbeat - timedelta(minutes=20)
            cr.commit()
        self.assertTrue(all(self.sandbox.count_contacts_named(n) == 1 for n in second_batch), "Xero has the batch")
        with self.registry.cursor() as cr:
            env = self.env_of(cr)
            env["xero.job"]._cron_run()
            self.assertEqual(env["xero.job"].browse(job.id).state, "done")
            self.assertEqual(len(env["xero.contact"].search([("partner_id", "in", partners.ids)])), 120)
            partners.with_env(env).xero_do_not_sync = True  # out of later tests' pushes
            cr.commit()
        self.assertEqual([n for n in names if self.sandbox.count_contacts_named(n) != 1], [], "each created once")
