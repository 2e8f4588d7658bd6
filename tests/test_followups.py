"""What follows a send, and who is told: run through the real job runner.

Lock dates (sent dated the day after), History notes, the contact's number, the
invoice PDF and its online link, and the managers' activities. The jobs run as
the cron runs them (`xero.job._cron_run`), which commits: these tests use real
transactions, as test_queue does, on a company of their own, and remove what
they committed that could reach other tests (jobs, the connection, the budget).
"""

# pylint: disable=invalid-commit

import json
import uuid

import requests

from odoo import SUPERUSER_ID, Command, fields
from odoo.tests import new_test_user, tagged

from odoo.addons.xero_connector.synchronizers.contact_reader import ContactReader
from odoo.addons.xero_connector.synchronizers.reference_reader import ReferenceReader
from odoo.addons.xero_connector.xero_connector import oauth
from odoo.addons.xero_connector.xero_connector.gateway import parse_xero_datetime
from odoo.addons.xero_connector.xero_sandbox import extras
from odoo.addons.xero_connector.xero_sandbox.server import DEFAULT_SCOPE

from .common import RealCursorCase, checking_jobs, enqueue_check, give_token, invoice_line, setup_nz_company


@tagged("post_install", "-at_install")
class TestFollowups(RealCursorCase):
    # One organisation for the whole class (its accounts are mapped once): Xero's calls a
    # minute are not what these tests are about (test_queue and the engine's are).
    sandbox_options = {"seed": "demo", "minute_limit": 10000}
    company_prefix = "Followup NZ"

    @classmethod
    def _make_company(cls, env, name):
        return setup_nz_company(env, name=name)

    @classmethod
    def _set_up_connection(cls, conn):
        env = conn.env
        company = conn.company_id
        gst = env["account.tax"].search(
            [("company_id", "=", company.id), ("type_tax_use", "=", "sale"), ("amount", "=", 15)], limit=1
        )
        cls.gst_id = gst.id
        sales = (
            env["account.account"]
            .with_company(company)
            .search([("company_ids", "in", company.id), ("account_type", "=", "income")], limit=1)
        )
        cls.sales_id = sales.id
        bank = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
        cls.bank_id = bank.id
        ReferenceReader(conn).read_reference()
        xero = {a.code: a for a in conn.xero_account_ids}
        rates = {r.tax_type: r for r in conn.xero_tax_rate_ids}
        conn.account_mapping_ids.filtered(lambda m: m.account_id == sales).xero_account_id = xero["200"]
        for mapping in conn.tax_mapping_ids:
            mapping.xero_tax_rate_id = rates["OUTPUT"]
        conn.journal_mapping_ids.filtered(lambda m: m.journal_id == bank).xero_account_id = xero["090"]
        ContactReader(conn.with_env(env)).fetch_changes()
        bayside = env["xero.contact"].search([("connection_id", "=", conn.id), ("name", "=", "Bayside Club")])
        bayside.action_import()
        cls.bayside_id = bayside.partner_id.id
        conn.accounting_start_date = "2026-01-01"
        preview = env["xero.accounting.preview"].browse(conn.action_accounting_preview()["res_id"])
        preview.action_confirm()
        cls.manager_id = new_test_user(
            env,
            login=f"xero_starter_{uuid.uuid4().hex[:6]}",
            groups="base.group_user,account.group_account_invoice,xero_connector.group_xero_manager",
            company_id=company.id,
            company_ids=[Command.set([company.id])],
        ).id

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            conn = self.connection(cr)
            conn.write(
                {
                    "lock_date_shift": False,
                    "attach_pdf": False,
                    "attach_pdf_online": False,
                    "show_online_invoice": False,
                }
            )
            conn.activity_ids.unlink()
            give_token(conn, self.sandbox)  # the consent's usual scopes (no attachments)
            cr.execute("DELETE FROM xero_job WHERE connection_id = %s", [self.connection_id])
            cr.execute("DELETE FROM xero_rate_budget")
            cr.commit()
        # Faults a test injected and did not use up (it failed midway) would hit the next one.
        self.sandbox.clear_faults()
        self.sandbox.set_lock_dates(period=None, end_of_year=None)
        self.refresh_organisation()

    # -- helpers ---------------------------------------------------------------------------

    def env_of(self, cr, uid=SUPERUSER_ID):
        return self._env(cr, uid, self.company_id)

    def refresh_organisation(self):
        with self.registry.cursor() as cr:
            self.connection(cr)._refresh_organisation()

    def invoice(self, cr, date="2026-11-10", partner_id=None, price=150.0, move_type="out_invoice"):
        env = self.env_of(cr)
        sales = env["account.account"].browse(self.sales_id)
        move = env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": partner_id or self.bayside_id,
                "invoice_date": date,
                "currency_id": env["res.company"].browse(self.company_id).currency_id.id,
                "invoice_line_ids": [
                    invoice_line("Consulting", 3, price, env["account.tax"].browse(self.gst_id), account=sales)
                ],
            }
        )
        move.action_post()
        return move

    def run_jobs(self):
        """The job runner, as the cron runs it (it commits after each step), once the minute
        that gathers postings into one sending has passed."""
        with self.registry.cursor() as cr:
            # Odoo's clock, as the runner compares it (whole seconds): the database's now()
            # has microseconds, which would leave the job due only in the next second.
            cr.execute(
                "UPDATE xero_job SET next_try = %s WHERE connection_id = %s AND state = 'pending'",
                [fields.Datetime.now(), self.connection_id],
            )
            cr.commit()
            self.env_of(cr)["xero.job"]._cron_run()

    def xero(self, path, scope=DEFAULT_SCOPE):
        token = self.sandbox.issue_token(scope=scope)["access_token"]
        answer = requests.get(
            f"{self.sandbox.accounting_url}/{path}",
            headers={"Authorization": f"Bearer {token}", "xero-tenant-id": self.sandbox.tenant_id},
            timeout=10,
        )
        self.assertEqual(answer.status_code, 200, answer.text)
        return answer.json()

    def xero_invoice(self, number):
        [found] = [i for i in self.xero("Invoices?page=1")["Invoices"] if i["InvoiceNumber"] == number]
        return found

    def history(self, endpoint, xero_id):
        return [n["Details"] for n in self.xero(f"{endpoint}/{xero_id}/History")["HistoryRecords"]]

    def activities(self, cr, xml_id):
        conn = self.connection(cr)
        return conn.activity_ids.filtered(lambda a: a.activity_type_id == self.env_of(cr).ref(xml_id))

    # -- lock dates --------------------------------------------------------------------------

    def test_the_setting_sends_a_locked_period_invoice_dated_the_day_after_the_lock_date(self):
        self.sandbox.set_lock_dates(period="2026-10-31")
        with self.registry.cursor() as cr:
            self.connection(cr).lock_date_shift = True
            self.connection(cr)._refresh_organisation()
            move = self.invoice(cr, date="2026-10-15")
            name, move_id = move.name, move.id
        self.run_jobs()
        xero = self.xero_invoice(name)
        self.assertEqual(day(xero["Date"]), "2026-11-01", "dated the day after the lock date")
        self.assertIn("Odoo date 2026-10-15", xero["Reference"])
        notes = self.history("Invoices", xero["InvoiceID"])
        self.assertEqual(len(notes), 1)
        self.assertIn(f"Sent from Odoo as {name}", notes[0])
        self.assertIn("Dated 2026-10-15 in Odoo; Xero's lock date is 2026-10-31, so it is dated 2026-11-01", notes[0])
        # Its payment, dated in the locked period too, goes dated the day after as well.
        with self.registry.cursor() as cr:
            env = self.env_of(cr)
            env["account.payment.register"].with_context(active_model="account.move", active_ids=[move_id]).create(
                {"journal_id": self.bank_id, "payment_date": "2026-10-20"}
            )._create_payments()
        self.run_jobs()
        with self.registry.cursor() as cr:
            payment = self.env_of(cr)["account.move"].browse(move_id).xero_document_id.payment_ids
            self.assertEqual(payment.state, "sent")
            self.assertEqual(fields.Date.to_string(payment.odoo_date), "2026-10-20")
            # The entry's name, and the payment's id that lets a lost answer be matched (the outbox).
            reference = f"{payment.origin_move_id.name} (Odoo #{payment.id})"
        [paid] = [p for p in self.xero("Payments")["Payments"] if p.get("Reference") == reference]
        self.assertEqual(day(paid["Date"]), "2026-11-01")

    # -- history notes and the contact's number ------------------------------------------------

    def test_history_notes_when_sent_updated_and_voided_from_odoo(self):
        with self.registry.cursor() as cr:
            move = self.invoice(cr)
            name, move_id = move.name, move.id
        self.run_jobs()
        invoice_id = self.xero_invoice(name)["InvoiceID"]
        self.assertEqual(self.history("Invoices", invoice_id), [f"Sent from Odoo as {name}."])
        with self.registry.cursor() as cr:
            move = self.env_of(cr)["account.move"].browse(move_id)
            move.button_draft()
            move.invoice_line_ids.price_unit = 160.0
            move.action_post()
        self.run_jobs()
        self.assertEqual(self.xero_invoice(name)["Total"], 552.0, "the update reached Xero")
        with self.registry.cursor() as cr:
            move = self.env_of(cr)["account.move"].browse(move_id)
            move.button_draft()
            move.button_cancel()
        self.run_jobs()
        self.assertEqual(
            self.history("Invoices", invoice_id),
            [
                f"Sent from Odoo as {name}.",
                f"Updated from Odoo: {name} was changed there.",
                f"Voided from Odoo: {name} was cancelled there.",
            ],
        )
        self.assertEqual(self.sandbox.validation_errors, [])

    def test_a_credit_note_gets_its_history_note(self):
        with self.registry.cursor() as cr:
            note = self.invoice(cr, move_type="out_refund")
            name = note.name
        self.run_jobs()
        [xero] = [n for n in self.xero("CreditNotes")["CreditNotes"] if n["CreditNoteNumber"] == name]
        self.assertEqual(self.history("CreditNotes", xero["CreditNoteID"]), [f"Sent from Odoo as {name}."])

    def test_a_contact_created_from_odoo_carries_the_partner_s_reference(self):
        suffix = uuid.uuid4().hex[:6]
        with self.registry.cursor() as cr:
            env = self.env_of(cr)
            kiwi = env["res.partner"].create({"name": f"Kiwi {suffix} Ltd", "ref": f"KIWI-{suffix}"})
            # Bayside's number in Xero: sending it would make Xero update Bayside instead.
            clash = env["res.partner"].create({"name": f"Clash {suffix} Ltd", "ref": "BAY-001"})
            self.invoice(cr, partner_id=kiwi.id)
            self.invoice(cr, partner_id=clash.id)
        self.run_jobs()
        contacts = {c["Name"]: c for c in self.xero("Contacts")["Contacts"]}
        self.assertEqual(contacts[f"Kiwi {suffix} Ltd"]["ContactNumber"], f"KIWI-{suffix}")
        self.assertNotIn("ContactNumber", contacts[f"Clash {suffix} Ltd"])
        self.assertEqual(contacts["Bayside Club"]["ContactNumber"], "BAY-001", "Bayside is left as it was")

    # -- the invoice itself in Xero -----------------------------------------------------------

    def test_the_pdf_arrives_as_an_attachment_and_the_online_link_appears(self):
        with self.registry.cursor() as cr:
            conn = self.connection(cr)
            conn.write({"attach_pdf": True, "attach_pdf_online": True, "show_online_invoice": True})
            self.assertIn("accounting.attachments", conn._scope().split(), "the consent asks for it")
            # The consent given again with the attachments permission.
            token = self.sandbox.issue_token(scope=DEFAULT_SCOPE + " accounting.attachments")
            conn._store_token(
                oauth.Token(
                    access_token=token["access_token"],
                    refresh_token=token["refresh_token"],
                    expires_at=fields.Datetime.now().timestamp() + 1800,
                    scope=token["scope"],
                )
            )
            move = self.invoice(cr)
            name, move_id = move.name, move.id
            pdf, file_name = move._xero_pdf()
        self.run_jobs()
        invoice_id = self.xero_invoice(name)["InvoiceID"]
        files = extras.attachments_of(self.sandbox.tenants[self.sandbox.tenant_id], "Invoice", invoice_id)
        self.assertEqual(list(files), [file_name])
        content, online = files[file_name]
        self.assertIn(name.encode(), content, "Odoo's invoice report of this invoice")
        self.assertEqual(len(content), len(pdf))
        self.assertTrue(online, "shown on the online invoice")
        listed = self.xero(f"Invoices/{invoice_id}/Attachments", scope=DEFAULT_SCOPE + " accounting.attachments")
        self.assertEqual([a["FileName"] for a in listed["Attachments"]], [file_name])
        link = self.xero(f"Invoices/{invoice_id}/OnlineInvoice")["OnlineInvoices"][0]["OnlineInvoiceUrl"]
        with self.registry.cursor() as cr:
            move = self.env_of(cr)["account.move"].browse(move_id)
            self.assertEqual(move.xero_online_url, link)
            self.assertTrue(link.startswith("https://in.xero.com/"))
            self.assertFalse(move.xero_document_id.followup_error)

    def test_without_xero_s_permission_for_files_the_invoice_says_to_reconnect(self):
        with self.registry.cursor() as cr:
            self.connection(cr).attach_pdf = True
            move = self.invoice(cr)
            name, move_id = move.name, move.id
        self.run_jobs()
        invoice_id = self.xero_invoice(name)["InvoiceID"]
        self.assertEqual(self.history("Invoices", invoice_id), [f"Sent from Odoo as {name}."], "the note went")
        with self.registry.cursor() as cr:
            doc = self.env_of(cr)["account.move"].browse(move_id).xero_document_id
            self.assertIn("lacks Xero's permission for attachments. Reconnect", doc.followup_error)
            self.assertEqual(doc.state, "sent")

    # -- people are told ----------------------------------------------------------------------

    def test_failed_jobs_give_one_activity_to_the_managers_and_tell_who_started_them(self):
        # Each check tries 5 times (the gateway retries a 503 four times): two checks fail for good.
        self.startPatcher(checking_jobs())
        self.sandbox.inject_fault("503", count=10, path_contains="/Organisation")
        for attempt in (1, 2):
            with self.registry.cursor() as cr:
                env = self.env_of(cr, self.manager_id)
                connection = env["xero.connection"].browse(self.connection_id)
                enqueue_check(env, connection, f"Check {attempt}", max_attempts=1)
            self.run_jobs()
            with self.registry.cursor() as cr:
                activity = self.activities(cr, "xero_connector.mail_activity_type_xero_job_failed")
                self.assertEqual(len(activity), 1, "one activity however many jobs failed")
                self.assertEqual(activity.summary, f"{attempt} Xero job(s) failed")
                self.assertIn("not answering properly (HTTP 503)", str(activity.note))
                managers = self.connection(cr)._xero_managers()
                self.assertIn(activity.user_id, managers)
                self.assertTrue(activity.user_id.has_group("xero_connector.group_xero_manager"))
        with self.registry.cursor() as cr:
            partner = self.env_of(cr)["res.users"].browse(self.manager_id).partner_id
            cr.execute("SELECT channel, message FROM bus_bus WHERE message LIKE %s", ["%Xero job(s) failed%"])
            told = [json.loads(channel)[1:] for channel, _message in cr.fetchall()]
            self.assertEqual(told, [["res.partner", partner.id]] * 2, "whoever started the work is told each time")
        with self.registry.cursor() as cr:
            self.env_of(cr)["xero.job"].search(
                [("connection_id", "=", self.connection_id), ("state", "=", "failed")]
            ).action_retry()
        self.run_jobs()
        with self.registry.cursor() as cr:
            activity = self.activities(cr, "xero_connector.mail_activity_type_xero_job_failed")
            self.assertFalse(activity, "settled once no job is failed any more")

    def test_held_back_documents_give_one_activity(self):
        self.sandbox.set_lock_dates(period="2026-10-31")
        self.refresh_organisation()
        with self.registry.cursor() as cr:
            names = [self.invoice(cr, date=day).name for day in ("2026-10-10", "2026-10-20")]
        self.run_jobs()
        with self.registry.cursor() as cr:
            activity = self.activities(cr, "xero_connector.mail_activity_type_xero_held_back")
            self.assertEqual(len(activity), 1)
            self.assertEqual(activity.summary, "2 document(s) or payment(s) held back or refused by Xero")
            for name in names:
                self.assertIn(name, str(activity.note))
            self.assertIn("lock date (2026-10-31)", str(activity.note))
        # Xero's adviser opens the period again: they go, and the activity is settled.
        self.sandbox.set_lock_dates(period=None)
        self.refresh_organisation()
        self.run_jobs()
        with self.registry.cursor() as cr:
            self.assertFalse(self.activities(cr, "xero_connector.mail_activity_type_xero_held_back"))

    def test_a_day_budget_under_a_tenth_gives_one_activity(self):
        self.addCleanup(setattr, self.sandbox, "day_limit", self.sandbox.day_limit)
        self.sandbox.day_limit = 450  # Xero's answers now say fewer than 500 calls (a tenth of 5,000) are left
        self.startPatcher(checking_jobs())
        for attempt in (1, 2):
            with self.registry.cursor() as cr:
                env = self.env_of(cr)
                connection = env["xero.connection"].browse(self.connection_id)
                enqueue_check(env, connection, f"Check {attempt}")
            self.run_jobs()
        with self.registry.cursor() as cr:
            activity = self.activities(cr, "xero_connector.mail_activity_type_xero_budget")
            self.assertEqual(len(activity), 1, "told once, updated")
            self.assertIn("almost used up", activity.summary)
            left = self.env_of(cr)["xero.rate.budget"].search([("tenant_id", "=", self.sandbox.tenant_id)])
            self.assertIn(f"({left.day_remaining} calls left)", activity.summary, "the latest figure")

    def test_settings_show_how_long_the_refresh_token_was_unused(self):
        with self.registry.cursor() as cr:
            conn = self.connection(cr)
            cr.execute(
                "UPDATE xero_token SET write_date = now() AT TIME ZONE 'UTC' - interval '50 days 1 hour' "
                "WHERE connection_id = %s",
                [conn.id],
            )
            conn.invalidate_recordset()
            self.env_of(cr)["xero.token"].invalidate_model()
            self.assertEqual(conn.refresh_token_idle_days, 50)
            self.assertIn("refresh token unused for 50 days (Xero drops it after 60)", conn.health)
            cr.rollback()


def day(value):
    """The day of a date as Xero's JSON gives it ("/Date(ms+0000)/" or ISO)."""
    return parse_xero_datetime(value).date().isoformat()
