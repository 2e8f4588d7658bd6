"""The first read of an organisation, page by page, across real transactions: a worker
stopped midway resumes at its page (contacts, then the sales ledger)."""

# pylint: disable=invalid-commit

from datetime import timedelta
from unittest.mock import patch
from urllib.parse import parse_qs

from odoo.tests import tagged

from odoo.addons.xero_connector.synchronizers import ledger_reader
from odoo.addons.xero_connector.synchronizers.contact_reader import ContactReader
from odoo.addons.xero_connector.synchronizers.ledger_reader import LedgerReader

from .common import RealCursorCase


@tagged("post_install", "-at_install")
class TestFirstReadResumes(RealCursorCase):
    company_prefix = "First Read Co"
    remove_company = True

    def killed_in_second_step(self, model, method):
        """Run the queue with a worker that dies in the second step of `method`,
        then let the next run take the job over, as after Odoo's stale delay."""
        original, calls = getattr(model, method), []

        def dying(*args, **kwargs):
            calls.append(1)
            if len(calls) == 2:
                raise KeyboardInterrupt("worker killed")
            return original(*args, **kwargs)

        with patch.object(model, method, dying), self.registry.cursor() as cr:
            with self.assertRaises(KeyboardInterrupt):
                self.env_of(cr)["xero.job"]._cron_run()
            cr.rollback()
        with self.registry.cursor() as cr:
            # The stale delay passes without news from the dead worker.
            cr.execute("UPDATE xero_job SET heartbeat = heartbeat - %s", [timedelta(hours=1)])
            cr.commit()

    def test_contacts_read_stopped_at_its_second_page_resumes_there(self):
        ids = self.sandbox.seed_contacts(2300, prefix="Paged")
        with self.registry.cursor() as cr:
            env = self.env_of(cr)
            connection = env["xero.connection"].browse(self.connection_id)
            job = connection._enqueue_contacts_fetch()
            cr.commit()
        self.killed_in_second_step(ContactReader, "store_fetched")
        with self.registry.cursor() as cr:
            env = self.env_of(cr)
            job = env["xero.job"].browse(job.id)
            self.assertEqual(job.state, "running")
            self.assertEqual(job.progress_done, 1000, "the first page was committed")
            # The demonstration organisation's contacts (older) and the first Paged ones.
            self.assertEqual(env["xero.contact"].search_count([("connection_id", "=", self.connection_id)]), 1000)
            asked_before = len(self.sandbox.request_log)
            env["xero.job"]._cron_run()
            job = env["xero.job"].browse(job.id)
            self.assertEqual(job.state, "done")
            resumed = [r for r in self.sandbox.request_log[asked_before:] if r["path"].endswith("/Contacts")]
            # Resumed where it stopped (never the first page again), one call a page.
            self.assertEqual(len(resumed), 2)
            self.assertNotIn("1", [parse_qs(r["query"])["page"][0] for r in resumed])
            paged = env["xero.contact"].search(
                [("connection_id", "=", self.connection_id), ("name", "=like", "Paged %")]
            )
            self.assertEqual(len(paged), len(ids))
            self.assertEqual(len(set(paged.mapped("xero_id"))), len(ids), "no contact stored twice")
            self.assertTrue(env["xero.connection"].browse(self.connection_id).contacts_fetched_at)

    def test_ledger_read_stopped_midway_resumes_at_its_page(self):
        documents = [d for d in self.sandbox_ledger() if d]
        self.assertGreater(len(documents), 6)
        with patch.object(ledger_reader, "FETCH_PAGE_SIZE", 3), self.registry.cursor() as cr:
            env = self.env_of(cr)
            job = env["xero.connection"].browse(self.connection_id)._enqueue_ledger_fetch()
            cr.commit()
        with patch.object(ledger_reader, "FETCH_PAGE_SIZE", 3):
            self.killed_in_second_step(LedgerReader, "store")
            with self.registry.cursor() as cr:
                env = self.env_of(cr)
                self.assertEqual(env["xero.job"].browse(job.id).progress_done, 3, "the first page was committed")
                asked_before = len(self.sandbox.request_log)
                env["xero.job"]._cron_run()
                self.assertEqual(env["xero.job"].browse(job.id).state, "done")
                resumed = [r for r in self.sandbox.request_log[asked_before:] if r["path"].endswith("/Invoices")]
                self.assertTrue(resumed)
                self.assertNotIn("1", [parse_qs(r["query"])["page"][0] for r in resumed])
                entries = env["xero.ledger.entry"].search([("connection_id", "=", self.connection_id)])
                self.assertEqual(sorted(entries.mapped("xero_id")), sorted(documents))

    def sandbox_ledger(self):
        tenant = self.sandbox.tenants[self.sandbox.tenant_id]
        invoices = [
            i["InvoiceID"] for i in tenant.invoices.values() if i["Type"] == "ACCREC" and i["Status"] != "DELETED"
        ]
        notes = [
            n["CreditNoteID"]
            for n in tenant.credit_notes.values()
            if n["Type"] == "ACCRECCREDIT" and n["Status"] != "DELETED"
        ]
        return invoices + notes
