import json
from datetime import date, timedelta
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.xero_connector.xero_connector.gateway import XeroGateway
from odoo.addons.xero_connector.xero_sandbox.query import ms_date

from .common import XeroCase, connect, run_queue, start_sandbox


def ledger_calls(sandbox, since=0):
    return [r for r in sandbox.request_log[since:] if r["path"].endswith(("/Invoices", "/CreditNotes"))]


class LedgerMixin:
    def import_contact(self, name="Bayside Club"):
        self.connection._enqueue_contacts_fetch()
        run_queue(self.env)
        binding = self.env["xero.contact"].search([("connection_id", "=", self.connection.id), ("name", "=", name)])
        binding.action_import()
        return binding

    def read_ledger(self):
        """What the crons do: queue the read, then the job runner runs it."""
        self.env["xero.ledger.entry"]._cron_fetch()
        job = self.env["xero.job"].search(
            [("kind", "=", "ledger_fetch"), ("connection_id", "=", self.connection.id), ("state", "=", "pending")]
        )
        self.assertEqual(len(job), 1)
        run_queue(self.env)
        self.assertEqual(job.state, "done", job.error)
        return job


@tagged("post_install", "-at_install")
class TestLedger(LedgerMixin, XeroCase):
    def setUp(self):
        super().setUp()
        self.binding = self.import_contact()
        self.partner = self.binding.partner_id
        self.gateway = self.connection._gateway()

    def new_invoice(self, status="AUTHORISED", days_ago=3, due_in=14, amount=200, **extra):
        today = date.today()
        item = {
            "Type": "ACCREC",
            "Contact": {"ContactID": self.binding.xero_id},
            "Date": ms_date(today - timedelta(days=days_ago)),
            "DueDate": ms_date(today - timedelta(days=days_ago) + timedelta(days=due_in)),
            "Status": status,
            "Reference": "Made in Xero",
            "LineItems": [
                {
                    "Description": "Hall hire",
                    "Quantity": 1,
                    "UnitAmount": amount,
                    "AccountCode": "200",
                    "TaxType": "OUTPUT",
                }
            ],
            **extra,
        }
        result = self.gateway.save_invoices([item], operation=f"test-invoice-{status}-{amount}")
        self.assertFalse(result.failed, result.failed and result.failed[0].problems)
        return result.saved[0].record

    def entry(self, xero_id):
        return self.env["xero.ledger.entry"].search([("xero_id", "=", xero_id)])

    def test_the_tab_shows_what_xero_holds_with_links(self):
        made_in_xero = self.new_invoice()
        self.read_ledger()
        ledger = self.partner.xero_ledger_entry_ids
        xero_docs = self.gateway.get_invoices(contact_ids=[self.binding.xero_id])
        self.assertEqual(
            sorted(e.name for e in ledger.filtered(lambda e: e.doc_type == "invoice")),
            sorted(d["InvoiceNumber"] for d in xero_docs),
        )
        self.assertEqual(ledger.filtered(lambda e: e.doc_type == "credit_note").mapped("name"), ["CN-0001"])
        self.assertFalse(self.env["xero.ledger.entry"].search([("name", "=", "TT-5541")]), "bills are not sales")
        for data in xero_docs:
            entry = self.entry(data["InvoiceID"])
            self.assertEqual(
                (entry.total, entry.amount_due, entry.status), (data["Total"], data["AmountDue"], data["Status"])
            )
            self.assertEqual(entry.contact_id, self.binding)

        new = self.entry(made_in_xero["InvoiceID"])
        self.assertEqual((new.total, new.amount_due, new.status), (230.0, 230.0, "AUTHORISED"))
        self.assertEqual((new.reference, new.currency_code, new.currency_id.name), ("Made in Xero", "NZD", "NZD"))
        self.assertEqual(new.due_date, date.today() + timedelta(days=11))
        self.assertFalse(new.is_overdue)
        self.assertEqual(new.xero_url, f"https://go.xero.com/app/!sBx42/invoicing/view/{made_in_xero['InvoiceID']}")

        overdue = ledger.filtered("is_overdue")
        self.assertEqual(overdue.mapped("name"), ["INV-0001"])
        self.assertEqual(overdue.amount_due, 1380.0)
        paid = ledger.filtered(lambda e: e.status == "PAID")
        self.assertEqual((len(paid), paid.amount_due), (1, 0.0))
        note = ledger.filtered(lambda e: e.doc_type == "credit_note")
        self.assertEqual((note.total, note.amount_due), (-149.99, -99.99), "a credit note counts against the customer")
        self.assertIn(note.xero_id, note.xero_url)

        # INV-0001 1,380.00 + INV-0004 1,311.00 - 100 paid - 50 credited + new 230.00 - credit left 99.99
        self.assertEqual(self.partner.xero_ledger_outstanding, "2,671.01 NZD")
        self.assertEqual(self.partner.xero_ledger_overdue, "1,380.00 NZD")
        self.assertEqual(
            self.partner.xero_ledger_contact_url,
            f"https://go.xero.com/app/!sBx42/contacts/contact/{self.binding.xero_id}",
        )
        self.assertTrue(self.partner.xero_ledger_linked)
        self.assertTrue(self.partner.xero_ledger_refreshed_at)
        self.assertFalse(self.partner.xero_ledger_error)

    def test_background_read_asks_only_for_changes(self):
        fresh = self.new_invoice(amount=1000)
        draft = self.new_invoice(status="DRAFT", amount=50)
        to_void = self.new_invoice(amount=70)
        first = self.read_ledger()
        self.assertEqual(len(self.entry(fresh["InvoiceID"])), 1)
        self.assertTrue(first.progress_done > 5)

        # Changes made in Xero: a payment, a deleted draft, a voided invoice.
        paid = self.gateway.save_payments(
            [{"Invoice": {"InvoiceID": fresh["InvoiceID"]}, "Account": {"Code": "090"}, "Amount": 400}],
            operation="test-payment",
        )
        self.assertFalse(paid.failed)
        for doc, status in ((draft, "DELETED"), (to_void, "VOIDED")):
            result = self.gateway.save_invoices(
                [{"InvoiceID": doc["InvoiceID"], "Status": status}], operation=f"test-{status}"
            )
            self.assertFalse(result.failed)

        before = len(self.sandbox.request_log)
        second = self.read_ledger()
        calls = ledger_calls(self.sandbox, before)
        self.assertEqual(len(calls), 2, "one call for invoices, one for credit notes")
        self.assertTrue(all(c["headers"].get("if-modified-since") for c in calls))
        self.assertEqual(second.progress_done, 3, "only the three changed invoices were read")
        entry = self.entry(fresh["InvoiceID"])
        self.assertEqual((entry.amount_due, entry.status), (750.0, "AUTHORISED"))
        self.assertFalse(self.entry(draft["InvoiceID"]), "a deleted document leaves the ledger")
        voided = self.entry(to_void["InvoiceID"])
        self.assertEqual((voided.status, voided.amount_due), ("VOIDED", 0.0))

        # Nothing changed since: at most the last second's changes again (Odoo keeps whole seconds).
        before = len(self.sandbox.request_log)
        count = self.env["xero.ledger.entry"].search_count([])
        self.assertLessEqual(self.read_ledger().progress_done, 3)
        self.assertEqual(len(ledger_calls(self.sandbox, before)), 2, "one call for each list")
        self.assertEqual(self.env["xero.ledger.entry"].search_count([]), count)

    def test_cron_queues_the_work_once_per_organisation(self):
        Entry = self.env["xero.ledger.entry"]
        Entry._cron_fetch()
        Entry._cron_fetch()
        jobs = self.env["xero.job"].search([("kind", "=", "ledger_fetch")])
        self.assertEqual(len(jobs), 1)
        self.assertEqual((jobs.identity_key, jobs.res_model), (f"ledger_fetch:{self.connection.id}", Entry._name))

    def test_refresh_reads_this_contact_only(self):
        self.connection._refresh_organisation()
        made_in_xero = self.new_invoice()
        other = self.env["xero.contact"].search([("name", "=", "Marine Systems")])
        before = len(self.sandbox.request_log)
        self.partner.action_xero_refresh_ledger()
        calls = self.sandbox.request_log[before:]
        self.assertEqual([c["path"].rsplit("/", 1)[1] for c in calls], ["Invoices", "CreditNotes"])
        self.assertIn(self.binding.xero_id, calls[0]["query"])
        self.assertIn(self.binding.xero_id, calls[1]["query"])
        self.assertFalse(any(c["headers"].get("if-modified-since") for c in calls))
        self.env.invalidate_all()
        self.assertIn(made_in_xero["InvoiceID"], self.partner.xero_ledger_entry_ids.mapped("xero_id"))
        self.assertEqual(len(self.partner.xero_ledger_entry_ids), 6)
        self.assertFalse(self.env["xero.ledger.entry"].search([("contact_xero_id", "=", other.xero_id)]))
        self.assertTrue(self.binding.ledger_refreshed_at)

    def test_failed_refresh_keeps_the_last_ledger_and_says_why(self):
        self.partner.action_xero_refresh_ledger()
        self.env.invalidate_all()
        known = self.partner.xero_ledger_entry_ids
        self.assertEqual(len(known), 5)
        refreshed_at = self.binding.ledger_refreshed_at
        self.sandbox.inject_fault("503", count=10)
        with patch.object(XeroGateway, "_backoff", staticmethod(lambda attempt: 0)):
            self.partner.action_xero_refresh_ledger()
        self.env.invalidate_all()
        self.assertEqual(self.partner.xero_ledger_entry_ids, known)
        self.assertIn("Xero is not answering properly (HTTP 503)", self.partner.xero_ledger_error)
        self.assertEqual(self.binding.ledger_refreshed_at, refreshed_at)
        # The next good answer clears the message.
        self.sandbox.reset(seed="demo")
        connect(self.env, self.sandbox)
        self.partner.action_xero_refresh_ledger()
        self.env.invalidate_all()
        self.assertFalse(self.partner.xero_ledger_error)

    def test_failed_background_read_is_said_on_the_tab(self):
        self.read_ledger()
        known = self.partner.xero_ledger_entry_ids
        self.env["xero.ledger.entry"]._cron_fetch()
        # Xero fails the background read's first call, its retries in place included.
        self.sandbox.inject_fault("503", count=5, path_contains="/Invoices")
        with patch.object(XeroGateway, "_backoff", staticmethod(lambda attempt: 0)):
            run_queue(self.env)
        job = self.env["xero.job"].search([("kind", "=", "ledger_fetch")], limit=1)
        self.assertEqual((job.state, job.attempts), ("pending", 1), "it is tried again later")
        self.assertEqual(self.partner.xero_ledger_entry_ids, known)
        self.assertEqual(
            self.partner.xero_ledger_error,
            "The last background read from Xero failed: " + job.error,
        )
        self.assertIn("Xero is not answering properly (HTTP 503)", job.error)
        # The retry, Xero answering again, clears the message.
        run_queue(self.env, wait=True)
        self.assertEqual(job.state, "done")
        self.assertFalse(self.partner.xero_ledger_error)
        self.assertEqual(self.partner.xero_ledger_entry_ids, known)

    def test_accounting_users_only_and_own_company_only(self):
        self.read_ledger()
        self.assertTrue(self.partner.xero_ledger_entry_ids)
        clerk = new_test_user(self.env, "clerk", groups="base.group_user")
        self.assertFalse(clerk.has_group("account.group_account_invoice"))
        with self.assertRaises(AccessError):
            self.env["xero.ledger.entry"].with_user(clerk).search([])
        with self.assertRaises(AccessError):
            self.partner.with_user(clerk).read(["xero_ledger_entry_ids"])
        with self.assertRaises(AccessError):
            self.partner.with_user(clerk).action_xero_refresh_ledger()

        auditor = new_test_user(self.env, "auditor", groups="base.group_user,account.group_account_readonly")
        entries = self.env["xero.ledger.entry"].with_user(auditor).search([])
        self.assertTrue(entries)
        with self.assertRaises(AccessError):
            entries[:1].write({"amount_due": 0})
        self.assertEqual(self.partner.with_user(auditor).xero_ledger_entry_ids, self.partner.xero_ledger_entry_ids)

        company_b = self.env["res.company"].create({"name": "Company B"})
        user_b = new_test_user(
            self.env,
            "user_b",
            groups="base.group_user,account.group_account_invoice",
            company_id=company_b.id,
            company_ids=[(6, 0, company_b.ids)],
        )
        self.assertFalse(self.env["xero.ledger.entry"].with_user(user_b).search([]))
        partner_b = self.partner.with_user(user_b).with_company(company_b)
        self.assertFalse(partner_b.xero_ledger_linked)
        self.assertFalse(partner_b.xero_ledger_entry_ids)


@tagged("post_install", "-at_install")
class TestLedgerTour(LedgerMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox = start_sandbox(cls, seed="demo")

    def test_ledger_tour(self):
        self.connection = connect(self.env, self.sandbox)
        self.connection._refresh_organisation()
        binding = self.import_contact()
        self.read_ledger()
        invoice = self.env["xero.ledger.entry"].search([("name", "=", "INV-0001")])
        url = f"/odoo/contacts/{binding.partner_id.id}"
        options = {"stepDelay": 0, "keepWatchBrowser": False, "debug": False, "startUrl": url}
        # The tour finds the InvoiceID it must see in the link where it left it.
        code = (
            f"sessionStorage.setItem('xero_connector.ledger_tour_invoice', {json.dumps(invoice.xero_id)});"
            f"odoo.startTour('xero_connector_ledger_tour', {json.dumps(options)})"
        )
        self.start_tour(url, "xero_connector_ledger_tour", login="admin", code=code)
        self.env.invalidate_all()
        self.assertTrue(binding.ledger_refreshed_at, "the tour pressed Refresh")
        self.assertFalse(binding.ledger_error)
