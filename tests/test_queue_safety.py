"""Queue safety and bounded waits, through the real job runner (`_cron_run`) and real
transactions, as Odoo workers run them.

A job whose worker dies during a step `max_attempts` times is failed in plain
words; a step that outlives the stale delay cannot record anything after
another worker took its job over; a job waiting for Xero tells that it lives;
a paused organisation makes a user's click answer in seconds with the wait in
words, and a job be given back with its next try.
"""

# pylint: disable=invalid-commit

import threading
import time
import uuid
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.xero_connector.models import xero_rate_budget
from odoo.addons.xero_connector.models.xero_connection import XeroConnection
from odoo.addons.xero_connector.xero_connector import gateway

from .common import RealCursorCase, enqueue_check, stuck_threads_report


@tagged("post_install", "-at_install")
class TestQueueSafety(RealCursorCase):
    company_prefix = "Queue Safety Co"

    def setUp(self):
        super().setUp()
        self.start_connected()

    def worker(self):
        """Worker A: a cron run in a thread of its own; (thread, the exceptions it raised)."""
        failures = []

        def run():
            try:
                self.cron_run()
            except Exception as exc:  # noqa: BLE001 - reported by the test
                failures.append(exc)

        return threading.Thread(target=run), failures

    def set_stale_seconds(self, seconds):
        with self.registry.cursor() as cr:
            self.env_of(cr)["ir.config_parameter"].set_param("xero_connector.job_stale_seconds", seconds)
            cr.commit()

    def enqueue(self, kind=None, **values):
        """Queue a job of `kind` (a contacts_fetch), or else a check job (one call: the organisation)."""
        with self.registry.cursor() as cr:
            env = self.env_of(cr)
            if kind == "contacts_fetch":
                job = env["xero.job"]._enqueue(self.connection(cr), kind, kind, records=env["xero.contact"], **values)
            else:
                job = enqueue_check(env, self.connection(cr), "Check", **values)
            cr.commit()
            return job.id

    def cron_run(self):
        with self.registry.cursor() as cr:
            self.env_of(cr)["xero.job"]._cron_run()
            cr.commit()

    def job(self, job_id):
        """The job as the database has it now (a cursor of its own)."""
        with self.registry.cursor() as cr:
            job = self.env_of(cr)["xero.job"].browse(job_id)
            return {
                name: job[name]
                for name in ("state", "error", "attempts", "worker_deaths", "next_try", "heartbeat", "claim_token")
            } | {"progress_done": job.progress_done}

    def calls(self, path_part, status=None):
        return [r for r in self.sandbox.request_log if path_part in r["path"] and status in (None, r["status"])]

    def worker_silent_for(self, job_id, delay):
        """As if `delay` (a timedelta) passed without news from the job's worker: its signs of life are moved back."""
        with self.registry.cursor() as cr:
            cr.execute("UPDATE xero_job SET heartbeat = heartbeat - %s WHERE id = %s", [delay, job_id])
            cr.execute("UPDATE xero_job_beat SET beat = beat - %s WHERE job_id = %s", [delay, job_id])
            cr.commit()

    def beat(self, job_id):
        """The job's last sign of life written during a wait (None before the first)."""
        with self.registry.cursor() as cr:
            cr.execute("SELECT beat FROM xero_job_beat WHERE job_id = %s", [job_id])
            row = cr.fetchone()
            return row and row[0]

    def wait_for(self, condition, timeout=20):
        deadline = time.monotonic() + timeout
        while not condition():
            self.assertLess(time.monotonic(), deadline, "waited in vain")
            time.sleep(0.05)

    # -- poison job --------------------------------------------------------------------

    def test_a_job_whose_worker_dies_max_attempts_times_in_a_step_is_failed_in_words(self):
        self.set_stale_seconds(1)
        job_id = self.enqueue(max_attempts=3)
        runs = []

        def dying(connection):
            runs.append(connection.id)
            raise KeyboardInterrupt("worker killed by the step")

        with patch.object(XeroConnection, "_refresh_organisation", dying):
            for death in range(1, 4):
                with self.assertRaises(KeyboardInterrupt), self.registry.cursor() as cr:
                    self.env_of(cr)["xero.job"]._cron_run()
                self.assertEqual(len(runs), death)
                self.assertEqual(self.job(job_id)["state"], "running", "the dead worker left it running")
                self.worker_silent_for(job_id, timedelta(seconds=2))  # longer than the stale delay (1 s)
            self.cron_run()
        self.assertEqual(len(runs), 3, "not run a fourth time")
        job = self.job(job_id)
        self.assertEqual(job["state"], "failed")
        self.assertEqual(job["worker_deaths"], 3)
        self.assertIn("The worker stopped 3 times during this step", job["error"])
        # A Xero Manager retries it: it runs again, and succeeds when its step does.
        with self.registry.cursor() as cr:
            self.env_of(cr)["xero.job"].browse(job_id).action_retry()
            cr.commit()
        self.cron_run()
        job = self.job(job_id)
        self.assertEqual((job["state"], job["worker_deaths"]), ("done", 0))

    # -- a stale takeover is fenced ------------------------------------------------------

    def test_two_workers_and_a_step_longer_than_the_stale_delay_record_it_once(self):
        self.set_stale_seconds(1)
        job_id = self.enqueue(kind="contacts_fetch")
        # Worker A's read of the contacts takes 5 s at Xero: longer than the stale delay.
        self.sandbox.fault_delay = 5.0
        self.sandbox.inject_fault("timeout", method="GET", path_contains="/Contacts")
        thread, failures = self.worker()
        # A's late writes meet B's committed ones (the database refuses them, and logs it):
        # that is the case the claim token makes harmless.
        with mute_logger("odoo.sql_db"):
            thread.start()
            self.wait_for(lambda: self.sandbox.stats["per_path"][self.contacts_path()] >= 1)
            claim_a = self.job(job_id)["claim_token"]
            self.worker_silent_for(job_id, timedelta(seconds=2))  # A's heartbeat is older than the stale delay
            self.cron_run()  # worker B takes the job over and runs it to its end
            b = self.job(job_id)
            self.assertEqual(b["state"], "done")
            self.assertNotEqual(b["claim_token"], claim_a)
            thread.join(30)
        self.assertFalse(thread.is_alive(), stuck_threads_report())
        self.assertEqual(failures, [])
        # A's answer came back after B's commit: A recorded nothing, not even a failure.
        job = self.job(job_id)
        self.assertEqual((job["state"], job["error"], job["claim_token"]), ("done", False, b["claim_token"]))
        self.assertEqual(job["attempts"], 2)
        self.assertEqual(len(self.calls(self.contacts_path())), 2, "A's and B's reads")
        with self.registry.cursor() as cr:
            env = self.env_of(cr)
            bindings = env["xero.contact"].search([("connection_id", "=", self.connection_id)])
            self.assertEqual(len(bindings), len(self.sandbox.contacts()))
            self.assertEqual(len(set(bindings.mapped("xero_id"))), len(bindings), "each Xero contact recorded once")
            self.assertEqual(job["progress_done"], len(bindings))

    def contacts_path(self):
        return "/api.xro/2.0/Contacts"

    # -- the heartbeat moves during long waits -------------------------------------------

    def test_a_job_waiting_for_xero_tells_it_lives_and_is_not_taken_over(self):
        self.set_stale_seconds(2)
        job_id = self.enqueue()
        # Xero asks for 5 s: longer than the stale delay; the job waits in place.
        self.sandbox.inject_fault("429", path_contains="/Organisation", retry_after=5)
        with patch.object(xero_rate_budget, "HEARTBEAT_EVERY", 0.5):
            thread, failures = self.worker()
            thread.start()
            self.wait_for(lambda: self.calls("/Organisation", 429))
            claimed = self.job(job_id)["heartbeat"]
            # Until A's sign of life, written during its wait, is past the stale delay (2 s, to the
            # second) since the claim: Xero's wait is real, and the database's clock writes the beat.
            self.wait_for(lambda: (self.beat(job_id) or claimed) - claimed >= timedelta(seconds=3))
            self.cron_run()  # worker B: nothing to take over
            self.assertEqual(self.job(job_id)["state"], "running")
            thread.join(30)
        self.assertFalse(thread.is_alive(), stuck_threads_report())
        self.assertEqual(failures, [])
        job = self.job(job_id)
        self.assertEqual((job["state"], job["attempts"]), ("done", 1), "run once, by A")
        self.assertEqual([r["status"] for r in self.calls("/Organisation")], [429, 200])

    # -- bounded waits: a paused organisation ---------------------------------------------

    def test_a_paused_organisation_answers_a_user_in_seconds_with_the_wait_in_words(self):
        self.sandbox.inject_fault("429", path_contains="/Organisation", retry_after=1800)
        for _click in range(2):
            with self.registry.cursor() as cr:
                connection = self.connection(cr)
                started = time.monotonic()
                with self.assertRaises(UserError) as refused:
                    connection.action_read_accounting_reference()
                self.assertLess(time.monotonic() - started, 6)
                cr.rollback()
            self.assertEqual(
                str(refused.exception),
                "Xero asks us to wait 30 minutes before calling it again for this organisation.",
            )
        self.assertEqual(len(self.calls("/Organisation")), 1, "the second click did not even call Xero")
        # A French accountant reads it in French.
        with self.registry.cursor() as cr:
            self.env_of(cr)["res.lang"]._activate_lang("fr_FR")
            cr.commit()
        with self.registry.cursor() as cr, self.assertRaises(UserError) as refused:
            self.connection(cr).with_context(lang="fr_FR").action_read_accounting_reference()
        self.assertEqual(
            str(refused.exception),
            "Xero nous demande d'attendre 30 minutes avant de l'appeler à nouveau pour cette organisation.",
        )
        self.assertEqual(len(self.calls("/Organisation")), 1)
        # A job of the paused organisation waits for its time: not claimed, not failed.
        job_id = self.enqueue()
        self.cron_run()
        job = self.job(job_id)
        self.assertEqual((job["state"], job["attempts"]), ("pending", 0))
        self.assertEqual(len(self.calls("/Organisation")), 1)

    def test_a_job_meeting_a_long_pause_is_given_back_with_its_next_try(self):
        self.sandbox.inject_fault("429", path_contains="/Organisation", retry_after=1800)
        job_id = self.enqueue()
        started = time.monotonic()
        self.cron_run()
        self.assertLess(time.monotonic() - started, 10, "the worker did not wait out Xero's pause")
        job = self.job(job_id)
        self.assertEqual((job["state"], job["attempts"]), ("pending", 0), "rescheduled, not failed nor counted")
        expected = fields.Datetime.now() + timedelta(seconds=1800)
        self.assertLess(abs(job["next_try"] - expected), timedelta(seconds=10))
        self.assertIn("try again in 1800 seconds", job["error"])

    def test_retry_after_nan_negative_and_huge_are_handled(self):
        # Negative: no wait at all, the job goes through.
        self.sandbox.inject_fault("429", path_contains="/Organisation", retry_after=-5)
        job_id = self.enqueue(identity_key="negative")
        self.cron_run()
        self.assertEqual(self.job(job_id)["state"], "done")
        self.assertEqual([r["status"] for r in self.calls("/Organisation")], [429, 200])
        # Huge: a day at most (not 31 years), the job is given back for then.
        self.sandbox.inject_fault("429", path_contains="/Organisation", retry_after=10**9)
        job_id = self.enqueue(identity_key="huge")
        self.cron_run()
        job = self.job(job_id)
        self.assertEqual(job["state"], "pending")
        self.assertLess(abs(job["next_try"] - (fields.Datetime.now() + timedelta(days=1))), timedelta(seconds=10))
        with self.registry.cursor() as cr:
            cr.execute("SELECT paused_until FROM xero_rate_budget WHERE tenant_id = %s", [self.sandbox.tenant_id])
            paused_until = cr.fetchone()[0]
        self.assertLess(paused_until, datetime.now() + timedelta(days=1, minutes=1))
        # NaN: read as Xero's usual minute; a user is told so at once.
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM xero_rate_budget")
            cr.commit()
        self.sandbox.inject_fault("429", path_contains="/Organisation", retry_after="nan")
        with self.registry.cursor() as cr, self.assertRaises(UserError) as refused:
            self.connection(cr).action_read_accounting_reference()
        self.assertEqual(
            str(refused.exception), "Xero asks us to wait a minute before calling it again for this organisation."
        )


@tagged("post_install", "-at_install")
class TestLostAnswers(RealCursorCase):
    """Xero's answer to a write lost by a TLS failure, through the runner: retried, written once."""

    # Xero over HTTPS: a TLS failure is then the SDK's own (status 0), as in production.
    sandbox_options = {"seed": "demo", "tls": True}
    company_prefix = "Lost Answers Co"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The gateway trusts the sandbox's own certificate (the SDK reads certifi's bundle).
        trust = patch.object(gateway.certifi, "where", return_value=cls.sandbox.ca_file)
        trust.start()
        cls.addClassCleanup(trust.stop)

    def setUp(self):
        super().setUp()
        self.start_connected()

    def push_new_partner(self, name):
        """A new customer and the contacts push that sends it: (partner, job)."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner = env["res.partner"].create({"name": name, "customer_rank": 1, "company_id": self.company_id})
            job = env["xero.connection"].browse(self.connection_id)._enqueue_contacts_push()
            cr.commit()  # pylint: disable=invalid-commit
        return partner, job

    def test_a_tls_error_after_xero_saved_then_success_writes_one_contact(self):
        name = f"Secure Partner {uuid.uuid4().hex[:6]}"
        partner, job = self.push_new_partner(name)
        # Xero creates the contact, then the answer is lost in a TLS failure.
        self.sandbox.inject_fault("tls_error", method="POST", path_contains="/Contacts", when="after")
        with self.registry.cursor() as cr:
            api.Environment(cr, SUPERUSER_ID, {})["xero.job"]._cron_run()
            cr.commit()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.assertEqual((job.with_env(env).state, job.with_env(env).error), ("done", False))
            binding = env["xero.contact"].search([("partner_id", "=", partner.id)])
            self.assertEqual(len(binding), 1)
            self.assertEqual(binding.connection_id.id, self.connection_id)
            linked_to = binding.xero_id
        posts = [r["status"] for r in self.sandbox.request_log if r["method"] == "POST" and "/Contacts" in r["path"]]
        self.assertEqual(posts, [0, 200], "lost in TLS, then Xero's remembered answer")
        found = [c for c in self.sandbox.contacts() if c["Name"] == name]
        self.assertEqual(len(found), 1, "one Xero contact")
        self.assertEqual(linked_to, found[0]["ContactID"], "the binding is linked to it")

    def test_tls_errors_on_every_try_keep_the_job_for_retry_not_refused(self):
        name = f"Unlucky Partner {uuid.uuid4().hex[:6]}"
        partner, job = self.push_new_partner(name)
        # Every try of the step loses Xero's answer (the gateway tries 5 times).
        self.sandbox.inject_fault("tls_error", count=5, method="POST", path_contains="/Contacts", when="after")
        with self.registry.cursor() as cr:
            api.Environment(cr, SUPERUSER_ID, {})["xero.job"]._cron_run()
            cr.commit()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            job = job.with_env(env)
            self.assertEqual((job.state, job.attempts), ("pending", 1), "kept for its next try, not failed")
            self.assertGreater(job.next_try, fields.Datetime.now())
            self.assertEqual(job.error, "The secure connection to Xero failed (Xero unavailable, will retry).")
            self.assertFalse(env["xero.contact"].search([("partner_id", "=", partner.id)]).sync_error)
        self.assertEqual(len([c for c in self.sandbox.contacts() if c["Name"] == name]), 1, "Xero saved it once")
