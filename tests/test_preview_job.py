from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.base.models.ir_cron import IrCron

from .common import XeroAccountingCase, run_queue


@tagged("post_install", "-at_install")
class TestLargePreview(XeroAccountingCase):
    """A back-sync preview of many documents is prepared by a job: the manager's request
    reads nothing from Xero; the preview shows its progress and opens once ready."""

    def setUp(self):
        super().setUp()
        # Three documents make a large preview here (200 by default).
        self.env["ir.config_parameter"].sudo().set_param("xero_connector.preview_inline_limit", 2)

    def xero_calls(self):
        return [r for r in self.sandbox.request_log if not r["path"].startswith("/_sandbox")]

    def test_a_large_preview_is_prepared_by_a_job_and_opens_when_ready(self):
        held, new, other = (self.invoice(date=f"2026-11-1{n}") for n in range(3))
        # Xero already holds the first one (same number, same customer): linked, not sent.
        line = {"Description": "Made in Xero", "Quantity": 3, "UnitAmount": 150, "AccountCode": "200"}
        self.connection._gateway().create_invoices(
            [
                {
                    "Type": "ACCREC",
                    "Contact": {"ContactID": self.bayside_contact.xero_id},
                    "InvoiceNumber": held.name,
                    "Date": "2026-11-10",
                    "DueDate": "2026-12-10",
                    "Status": "AUTHORISED",
                    "LineItems": [line],
                }
            ],
            operation=f"test:{held.name}",
        )
        # Contacts added in Xero meanwhile: the preparation reads them page by page.
        self.sandbox.seed_contacts(30, prefix="Preview Contact")
        self.connection.accounting_start_date = "2026-01-01"
        calls = len(self.xero_calls())

        action = self.connection.action_accounting_preview()

        self.assertEqual(len(self.xero_calls()), calls, "the manager's request reads nothing from Xero")
        preview = self.env["xero.accounting.preview"].browse(action["res_id"])
        self.assertEqual((action["res_model"], preview.state), ("xero.accounting.preview", "building"))
        self.assertEqual(preview.job_state, "pending")
        self.assertFalse(preview.line_ids, "nothing to show yet")
        with self.assertRaisesRegex(UserError, "still being prepared"):
            preview.action_confirm()
        self.assertFalse(self.connection.accounting_active)
        again = self.connection.action_accounting_preview()
        self.assertEqual(again["res_id"], preview.id, "the same button opens the preview being prepared")
        self.assertEqual(self.env["xero.job"].search_count([("kind", "=", "accounting_preview")]), 1)

        # The progress each committed step reports, as the job list and the preview show it.
        progress = []
        commit_progress = IrCron._commit_progress

        def watch(cron, processed=0, *, remaining=None, deactivate=False):
            cron.env.flush_all()
            cron.env.cr.execute("SELECT progress_done, progress_total FROM xero_job WHERE kind = 'accounting_preview'")
            progress.append(cron.env.cr.fetchone())
            return commit_progress(cron, processed, remaining=remaining, deactivate=deactivate)

        with (
            patch("odoo.addons.xero_connector.synchronizers.contact_reader.FETCH_PAGE_SIZE", 10),
            patch.object(IrCron, "_commit_progress", watch),
        ):
            run_queue(self.env)

        self.assertTrue(any(0 < done < total for done, total in progress), progress)
        contact_pages = [
            r for r in self.xero_calls()[calls:] if r["path"].endswith("/Contacts") and "page=" in r["query"]
        ]
        self.assertGreaterEqual(len(contact_pages), 3, "one page of contacts a step")
        self.env.invalidate_all()
        self.assertEqual((preview.job_state, preview.job_progress, preview.state), ("done", 100.0, "ready"))
        opened = self.connection.action_accounting_preview()
        self.assertEqual(opened["res_id"], preview.id, "once ready, the same button opens it")
        self.assertEqual(preview.action_refresh()["res_id"], preview.id)
        self.assertEqual((preview.invoice_count, preview.link_count, preview.problem_count), (2, 1, 0))
        self.assertEqual(preview.link_line_ids.move_id, held)
        self.assertEqual(preview.send_line_ids.move_id, new | other)
        self.assertTrue(
            self.env["xero.contact"].search_count([("name", "like", "Preview Contact")]), "Xero was read first"
        )
        preview.action_confirm()
        self.assertTrue(self.connection.accounting_active)

    def test_a_small_preview_is_still_immediate(self):
        self.env["ir.config_parameter"].sudo().set_param("xero_connector.preview_inline_limit", 200)
        self.invoice()
        preview = self.start()
        self.assertEqual((preview.state, preview.invoice_count), ("ready", 1))
        self.assertFalse(preview.job_id)

    def test_only_xero_managers_prepare_or_open_a_preview(self):
        for _n in range(3):
            self.invoice()
        self.connection.accounting_start_date = "2026-01-01"
        preview = self.env["xero.accounting.preview"].browse(self.connection.action_accounting_preview()["res_id"])
        user = new_test_user(
            self.env,
            login="xero_preview_user",
            groups="account.group_account_invoice,xero_connector.group_xero_user",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        with self.assertRaises(AccessError):
            self.connection.with_user(user).action_accounting_preview()
        with self.assertRaises(AccessError):
            preview.with_user(user).action_refresh()
        with self.assertRaises(AccessError):
            preview.with_user(user).read(["invoice_count", "state"])
        self.assertEqual(self.env["xero.job"].search_count([("kind", "=", "accounting_preview")]), 1)
