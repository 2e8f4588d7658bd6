"""Payments made in Xero (the accountant reconciling the bank feed there) come back to Odoo."""

from datetime import datetime, timedelta, timezone
from unittest.mock import patch
from urllib.parse import parse_qs, unquote

import requests

from odoo.exceptions import AccessError
from odoo.service.model import call_kw
from odoo.tests import new_test_user, tagged

from odoo.addons.xero_connector.synchronizers.reference_reader import ReferenceReader

from .common import XeroAccountingCase, run_queue


@tagged("post_install", "-at_install")
class TestPaymentsFromXero(XeroAccountingCase):
    def setUp(self):
        super().setUp()
        self.connection.payments_from_xero = True

    # -- helpers ------------------------------------------------------------------------

    def run_jobs(self):
        """Everything queued, through the real job runner (the cron's method)."""
        run_queue(self.env)
        failed = self.env["xero.job"].search([("state", "=", "failed")])
        self.assertFalse(failed.mapped("error"), "no job failed")

    def read_from_xero(self):
        """The periodic read of the sales ledger (with the payments), as its cron starts it."""
        self.env["xero.ledger.entry"]._cron_fetch()
        self.run_jobs()

    def sent_invoice(self, **kwargs):
        move = self.invoice(**kwargs)
        if not self.connection.accounting_active:
            self.start()
        self.run_jobs()
        self.assertEqual(move.xero_state, "sent")
        return move

    def xero_call(self, method, path, **kwargs):
        token = self.sandbox.issue_token()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "xero-tenant-id": self.sandbox.tenant_id}
        answer = requests.request(method, f"{self.sandbox.accounting_url}{path}", headers=headers, timeout=10, **kwargs)
        self.assertEqual(answer.status_code, 200, answer.text)
        return answer.json()

    def odoo_payments(self, move):
        return self.env["account.payment"].search([("partner_id", "=", move.commercial_partner_id.id)])

    # -- tests ------------------------------------------------------------------------------

    def test_a_payment_made_in_xero_pays_the_invoice_once_in_the_mapped_journal(self):
        move = self.sent_invoice()
        self.assertEqual(move.amount_total, 517.5)
        paid = self.sandbox.record_payment(
            move.xero_document_id.xero_id, 517.5, account_code="090", date="2026-11-20", Reference="Bank feed 42"
        )
        self.read_from_xero()
        self.assertEqual(move.payment_state, "paid")
        payment = self.odoo_payments(move)
        self.assertEqual(len(payment), 1)
        self.assertEqual((payment.journal_id, str(payment.date), payment.amount), (self.bank, "2026-11-20", 517.5))
        self.assertEqual(payment.state, "paid")
        self.assertIn(paid["PaymentID"], payment.xero_url, "the Odoo payment leads to the payment in Xero")
        self.assertEqual(move.xero_paid_in_xero_url, payment.xero_url)
        # Read again (and again after a new ledger change): still one payment.
        self.read_from_xero()
        self.read_from_xero()
        self.assertEqual(len(self.odoo_payments(move)), 1)
        binding = move.xero_document_id.payment_ids
        self.assertEqual((binding.origin, binding.state, binding.xero_id), ("xero", "received", paid["PaymentID"]))
        # Nor is it sent back to Xero: Xero still has the one payment.
        payments = [p for p in self.xero("Payments") if p["Invoice"]["InvoiceID"] == move.xero_document_id.xero_id]
        self.assertEqual([p["PaymentID"] for p in payments], [paid["PaymentID"]])

    def test_a_foreign_currency_payment_takes_xero_s_rate(self):
        aud = self.env.ref("base.AUD")
        move = self.sent_invoice(currency=aud, lines=[("Licence", 4, 100.0, self.gst)])
        self.assertEqual(move.amount_total, 460.0)
        # Odoo's rate is 0.9 AUD for 1 NZD; Xero's on the payment day 0.8.
        self.sandbox.record_payment(move.xero_document_id.xero_id, 460.0, date="2026-11-24", CurrencyRate=0.8)
        self.read_from_xero()
        self.assertEqual(move.payment_state, "paid")
        payment = self.odoo_payments(move)
        self.assertEqual((payment.currency_id, payment.amount), (aud, 460.0))
        bank_line = payment.move_id.line_ids.filtered(lambda line: line.account_id == payment.outstanding_account_id)
        self.assertEqual((bank_line.amount_currency, bank_line.balance), (460.0, 575.0), "460 AUD at 0.8")

    def test_many_payments_are_read_a_page_a_step(self):
        move = self.sent_invoice()
        for day in ("2026-11-20", "2026-11-21", "2026-11-22"):
            self.sandbox.record_payment(move.xero_document_id.xero_id, 100.0, date=day)
        with patch("odoo.addons.xero_connector.synchronizers.payment_reader.READ_PAGE_SIZE", 2):
            self.read_from_xero()
        self.assertEqual(sorted(self.odoo_payments(move).mapped("amount")), [100.0, 100.0, 100.0])
        self.assertEqual(move.amount_residual, 217.5)
        log = self.sandbox.request_log
        pages = [r["query"] for r in log if r["path"].endswith("/Payments") and "PaymentType" in unquote(r["query"])]
        asked = [int(parse_qs(q)["page"][0]) for q in pages]
        # The first page, then from the last page down (xero_connector/reading.py): each once.
        self.assertEqual(asked, [1, *range(len(asked), 1, -1)], "one page a step, each once")
        self.assertGreaterEqual(len(asked), 2)
        job = self.env["xero.job"].search([("kind", "=", "ledger_fetch")], limit=1)
        self.assertEqual(job.state, "done")
        self.assertTrue(self.connection.payments_read_to, "the next read asks only for newer changes")

    def test_a_partial_payment_leaves_the_invoice_partially_paid(self):
        move = self.sent_invoice()
        self.sandbox.record_payment(move.xero_document_id.xero_id, 200.0, date="2026-11-21")
        self.read_from_xero()
        self.assertEqual(move.payment_state, "partial")
        self.assertEqual(move.amount_residual, 317.5)
        [entry] = self.env["xero.ledger.entry"].search([("xero_id", "=", move.xero_document_id.xero_id)])
        self.assertEqual(entry.amount_due, move.amount_residual, "Odoo and Xero agree on what is left")

    def test_odoo_s_own_payment_is_not_read_back(self):
        move = self.invoice()
        self.pay(move)
        self.start()
        self.run_jobs()  # the invoice, then its payment, sent to Xero
        [sent] = move.xero_document_id.payment_ids
        self.assertEqual((sent.origin, sent.state), ("odoo", "sent"))
        [in_xero] = [p for p in self.xero("Payments") if p["Invoice"]["InvoiceID"] == move.xero_document_id.xero_id]
        self.assertEqual(in_xero["PaymentID"], sent.xero_id)
        self.read_from_xero()
        self.assertEqual(len(self.odoo_payments(move)), 1)
        self.assertEqual(move.xero_document_id.payment_ids, sent)
        self.assertEqual(move.payment_state, "paid")
        self.assertFalse(move.xero_paid_in_xero_url, "not shown as paid in Xero")

    def test_a_payment_deleted_in_xero_unreconciles_and_cancels_the_odoo_one(self):
        move = self.sent_invoice()
        paid = self.sandbox.record_payment(move.xero_document_id.xero_id, 517.5, date="2026-11-20")
        self.read_from_xero()
        payment = self.odoo_payments(move)
        self.assertEqual(move.payment_state, "paid")
        self.xero_call("POST", f"/Payments/{paid['PaymentID']}", json={"Status": "DELETED"})
        self.read_from_xero()
        self.assertEqual(move.payment_state, "not_paid")
        self.assertEqual(move.amount_residual, 517.5)
        self.assertEqual(payment.state, "canceled")
        self.assertEqual(move.xero_document_id.payment_ids.state, "removed")
        # Nothing asked of Xero for it: no second deletion, no new payment.
        posts = [r for r in self.sandbox.request_log if "/Payments" in r["path"] and r["method"] != "GET"]
        self.assertEqual(len(posts), 1, "only the test's own deletion")

    def test_an_unmapped_bank_account_holds_the_payment_back_with_the_reason(self):
        move = self.sent_invoice()
        self.sandbox.record_payment(move.xero_document_id.xero_id, 100.0, account_code="091", date="2026-11-22")
        self.read_from_xero()
        binding = move.xero_document_id.payment_ids
        self.assertEqual(binding.state, "held")
        self.assertIn('"091 Business Savings Account" is not mapped to an Odoo journal', binding.error)
        self.assertFalse(self.odoo_payments(move))
        self.assertEqual(move.payment_state, "not_paid")
        # The accountant maps a journal to it: the next read registers it.
        savings = self.env["account.journal"].create(
            {"name": "Savings", "type": "bank", "code": "SAV", "company_id": self.company.id}
        )
        ReferenceReader(self.connection).read_reference()
        mapping = self.connection.journal_mapping_ids.filtered(lambda m: m.journal_id == savings)
        mapping.xero_account_id = self.connection.xero_account_ids.filtered(lambda a: a.code == "091")
        self.read_from_xero()
        self.assertEqual(binding.state, "received")
        self.assertEqual(self.odoo_payments(move).journal_id, savings)
        self.assertEqual(move.payment_state, "partial")

    def test_an_invoice_voided_in_xero_is_shown_and_the_accountant_gets_an_activity(self):
        move = self.sent_invoice()
        xero_id = move.xero_document_id.xero_id
        self.xero_call("POST", f"/Invoices/{xero_id}", json={"Status": "VOIDED"})
        self.read_from_xero()
        self.assertEqual(move.state, "posted", "not cancelled by itself")
        self.assertTrue(move.xero_voided_in_xero)
        [activity] = move.activity_ids
        self.assertIn("voided in Xero", activity.summary)
        self.read_from_xero()
        self.assertEqual(len(move.activity_ids), 1, "told once")

    def test_a_credit_note_allocated_in_xero_is_reconciled_in_odoo_and_undone_with_it(self):
        move = self.invoice()
        note = self.invoice(move_type="out_refund", lines=[("Returned goods", 1, 80.0, self.gst)])
        self.start()
        self.run_jobs()
        self.assertEqual((move.xero_state, note.xero_state, note.amount_total), ("sent", "sent", 92.0))
        note_id = note.xero_document_id.xero_id
        allocation = {"Invoice": {"InvoiceID": move.xero_document_id.xero_id}, "Amount": 92.0, "Date": "2026-11-23"}
        answer = self.xero_call("PUT", f"/CreditNotes/{note_id}/Allocations", json={"Allocations": [allocation]})
        allocation_id = answer["Allocations"][0]["AllocationID"]
        self.read_from_xero()
        self.assertEqual(move.payment_state, "partial")
        self.assertEqual(move.amount_residual, 517.5 - 92.0)
        self.assertIn(note.payment_state, ("paid", "reversed"))
        binding = move.xero_document_id.payment_ids
        self.assertEqual((binding.kind, binding.origin, binding.state), ("allocation", "xero", "received"))
        self.read_from_xero()
        self.assertEqual(move.xero_document_id.payment_ids, binding, "once")
        self.run_jobs()
        self.assertEqual(len(self.xero_named(note.name, "CreditNotes")[0]["Allocations"]), 1, "not sent back")
        # Taken back in Xero: unreconciled in Odoo.
        self.xero_call("DELETE", f"/CreditNotes/{note_id}/Allocations/{allocation_id}")
        self.read_from_xero()
        self.assertEqual(binding.state, "removed")
        self.assertEqual((move.payment_state, note.payment_state), ("not_paid", "not_paid"))

    def test_each_read_moves_its_watermark_up_to_xero_s_clock_less_an_hour(self):
        """A second holding many changes (a bulk import into Xero) is not read again by
        every later read: the watermark goes up to Xero's clock at the read, less an hour."""
        served = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=3)
        self.sandbox.freeze_clock(served)
        try:
            self.connection._enqueue_contacts_fetch()
            self.read_from_xero()
        finally:
            self.sandbox.freeze_clock(None)
        settled = (served - timedelta(hours=1)).replace(tzinfo=None)
        for field in ("contacts_fetched_at", "ledger_invoices_read_to", "ledger_credit_notes_read_to"):
            self.assertEqual(self.connection[field], settled, field)
        self.assertEqual(self.connection.payments_read_to, settled)

    def test_nothing_is_read_while_the_setting_is_off(self):
        move = self.sent_invoice()
        self.connection.payments_from_xero = False
        self.sandbox.record_payment(move.xero_document_id.xero_id, 517.5, date="2026-11-20")
        self.read_from_xero()
        self.assertEqual(move.payment_state, "not_paid")
        reads = [r for r in self.sandbox.request_log if r["path"].endswith("/Payments") and r["method"] == "GET"]
        self.assertFalse(reads, "no call for payments")

    def test_refused_users_cannot_start_the_read_over_rpc(self):
        portal = new_test_user(self.env, login="portal_payer", groups="base.group_portal", company_id=self.company.id)
        employee = new_test_user(self.env, login="plain_clerk", groups="base.group_user", company_id=self.company.id)
        for user in (portal, employee):
            env = self.env(user=user, context={"allowed_company_ids": self.company.ids})
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                call_kw(env["xero.connection"], "action_read_payments_from_xero", [self.connection.ids], {})
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                call_kw(env["xero.connection"], "write", [self.connection.ids, {"payments_from_xero": False}], {})
        self.assertFalse(self.env["xero.job"].search([("kind", "=", "ledger_fetch")]))
        self.assertTrue(self.connection.payments_from_xero)
