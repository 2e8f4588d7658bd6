"""Sending customer invoices, credit notes and payments to the Xero sandbox."""

from datetime import timedelta
from unittest.mock import patch

import requests

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import freeze_time

from odoo.addons.xero_connector.synchronizers.document_writer import DocumentWriter

from .common import XeroAccountingCase, run_queue


@tagged("post_install", "-at_install")
class TestAccounting(XeroAccountingCase):
    def test_invoice_with_taxes_reaches_xero_with_odoo_s_totals(self):
        move = self.invoice(
            lines=[
                ("Consulting", 3, 150.0, self.gst),
                ("Travel", 1, 86.96, self.exempt, 10.0),
                ("Widgets", 7, 12.35, self.gst),
            ]
        )
        self.assertEqual((move.amount_untaxed, move.amount_tax, move.amount_total), (614.71, 80.47, 695.18))
        preview = self.start()
        self.assertEqual((preview.invoice_count, preview.credit_note_count, preview.problem_count), (1, 0, 0))
        self.send()
        [xero] = self.xero_named(move.name)
        self.assertEqual(xero["Contact"]["ContactID"], self.bayside_contact.xero_id)
        self.assertEqual((xero["SubTotal"], xero["TotalTax"], xero["Total"]), (614.71, 80.47, 695.18))
        self.assertEqual(xero["Status"], "AUTHORISED")
        self.assertEqual(
            [(x["Description"], x["AccountCode"], x["TaxType"]) for x in xero["LineItems"]],
            [("Consulting", "200", "OUTPUT"), ("Travel", "200", "EXEMPTOUTPUT"), ("Widgets", "200", "OUTPUT")],
        )
        self.assertEqual(move.xero_state, "sent")
        self.assertFalse(move.xero_totals_problem)
        short_code = self.connection.short_code
        self.assertEqual(move.xero_url, f"https://go.xero.com/app/{short_code}/invoicing/view/{xero['InvoiceID']}")
        self.assertIn(f"Sent to Xero as {move.name}", move.message_ids[0].body)
        self.assertEqual(self.sandbox.validation_errors, [])

    def test_globally_rounded_invoice_keeps_odoo_s_cent(self):
        self.company.tax_calculation_rounding_method = "round_globally"
        move = self.invoice(lines=[("Part", 1, 10.03, self.gst)] * 3)
        # Per line 1.50 x 3 = 4.50; Odoo rounding globally: round(3 x 1.5045) = 4.51.
        self.assertEqual((move.amount_tax, move.amount_total), (4.51, 34.6))
        self.start()
        self.send()
        [xero] = self.xero_named(move.name)
        self.assertEqual((xero["SubTotal"], xero["TotalTax"], xero["Total"]), (30.09, 4.51, 34.6))
        self.assertEqual(sorted(x["TaxAmount"] for x in xero["LineItems"]), [1.5, 1.5, 1.51])
        self.assertFalse(move.xero_totals_problem)

    def test_tax_included_prices(self):
        move = self.invoice(
            lines=[
                ("Course", 2, 57.50, self.gst_included),
                ("Book", 1, 20.0, None),
                ("Snacks", 3, 9.99, self.gst_included),
            ]
        )
        self.start()
        self.send()
        [xero] = self.xero_named(move.name)
        self.assertEqual(xero["LineAmountTypes"], "Inclusive")
        self.assertEqual(
            (xero["SubTotal"], xero["TotalTax"], xero["Total"]),
            (move.amount_untaxed, move.amount_tax, move.amount_total),
        )
        self.assertEqual([x["UnitAmount"] for x in xero["LineItems"]], [57.5, 20.0, 9.99], "prices as the customer saw")

    def test_foreign_currency_invoice_and_its_payment(self):
        aud = self.env.ref("base.AUD")
        move = self.invoice(currency=aud, lines=[("Licence", 4, 99.95, self.gst), ("Shipping", 1, 25.0, None)])
        self.start()
        self.send()
        self.pay(move)
        self.assertEqual(move.payment_state, "paid")
        self.send()
        [xero] = self.xero_named(move.name)
        self.assertEqual((xero["CurrencyCode"], xero["CurrencyRate"]), ("AUD", 0.9))
        self.assertEqual(xero["Total"], move.amount_total)
        self.assertEqual((xero["Status"], xero["AmountDue"], xero["AmountPaid"]), ("PAID", 0.0, move.amount_total))
        [payment] = [p for p in self.xero("Payments") if p["Invoice"]["InvoiceID"] == xero["InvoiceID"]]
        self.assertEqual((payment["Account"]["Code"], payment["Amount"], payment["CurrencyRate"]), ("090", 484.77, 0.9))
        self.assertEqual(move.xero_document_id.payment_ids.state, "sent")

    def test_credit_note_is_allocated_to_the_invoice_it_reverses(self):
        move = self.invoice(lines=[("Consulting", 2, 100.0, self.gst)])
        self.start()
        self.send()
        refund = move._reverse_moves([{"invoice_date": "2026-11-12", "ref": "Wrong hours"}], cancel=True)
        self.assertEqual((refund.state, move.payment_state), ("posted", "reversed"))
        self.send()
        [note] = self.xero_named(refund.name, "CreditNotes")
        self.assertEqual((note["Type"], note["Total"], note["Reference"]), ("ACCRECCREDIT", 230.0, "Wrong hours"))
        self.assertEqual(note["RemainingCredit"], 0.0)
        [xero] = self.xero_named(move.name)
        self.assertEqual((xero["AmountDue"], xero["AmountCredited"], xero["Status"]), (0.0, 230.0, "PAID"))
        self.assertEqual(refund.xero_state, "sent")
        self.assertEqual(move.xero_document_id.payment_ids.mapped("kind"), ["allocation"])

    def test_a_credit_note_refunded_to_the_customer(self):
        note = self.invoice(move_type="out_refund", lines=[("Returned goods", 1, 80.0, self.gst)])
        self.start()
        self.pay(note, date="2026-11-21")
        self.assertEqual(note.payment_state, "paid")
        self.send()
        [xero] = self.xero_named(note.name, "CreditNotes")
        self.assertEqual((xero["Total"], xero["RemainingCredit"], xero["Status"]), (92.0, 0.0, "PAID"))
        [refund] = [
            p for p in self.xero("Payments") if p.get("CreditNote", {}).get("CreditNoteID") == xero["CreditNoteID"]
        ]
        self.assertEqual(
            (refund["PaymentType"], refund["Amount"], refund["Account"]["Code"]), ("ARCREDITPAYMENT", 92.0, "090")
        )

    def test_four_decimal_unit_prices_reach_xero_as_they_are(self):
        # Xero rounds unit prices to 2 decimals unless asked for 4 (unitdp=4).
        self.env.ref("product.decimal_price").digits = 4
        move = self.invoice(lines=[("Metered units", 1000, 0.1234, self.gst)])
        self.assertEqual((move.amount_untaxed, move.amount_total), (123.4, 141.91))
        self.start()
        self.send()
        [xero] = self.xero_named(move.name)
        self.assertEqual(xero["LineItems"][0]["UnitAmount"], 0.1234)
        self.assertEqual((xero["SubTotal"], xero["Total"]), (move.amount_untaxed, move.amount_total))
        self.assertFalse(move.xero_totals_problem)

    def test_a_discounted_credit_note_line_reaches_xero_with_odoo_s_totals(self):
        # Xero's credit notes take no DiscountRate: the discounted amount goes instead.
        note = self.invoice(move_type="out_refund", lines=[("Returned goods", 3, 33.33, self.gst, 12.5)])
        self.start()
        self.send()
        [xero] = self.xero_named(note.name, "CreditNotes")
        self.assertEqual(
            (xero["SubTotal"], xero["TotalTax"], xero["Total"]),
            (note.amount_untaxed, note.amount_tax, note.amount_total),
        )
        self.assertEqual(xero["LineItems"][0]["Quantity"], 3)
        self.assertEqual(note.xero_state, "sent")
        self.assertFalse(note.xero_totals_problem)
        [sent] = [r for r in self.sandbox.request_log if r["method"] == "PUT" and r["path"].endswith("/CreditNotes")]
        self.assertIn("unitdp=4", sent["query"])

    def test_a_new_customer_is_created_in_xero_first_and_only_once(self):
        first = self.invoice(partner=self.newcomer)
        second = self.invoice(partner=self.newcomer, date="2026-11-11")
        preview = self.start()
        self.assertEqual(preview.new_customer_count, 1)
        self.send()
        self.assertEqual(self.sandbox.count_contacts_named("Kiwi Newcomer Ltd"), 1)
        contact = self.env["xero.contact"].search([("partner_id", "=", self.newcomer.id)])
        for move in first | second:
            self.assertEqual(self.xero_named(move.name)[0]["Contact"]["ContactID"], contact.xero_id)

    def test_an_unmapped_account_holds_back_only_its_documents(self):
        other = self.env["account.account"].create(
            {"name": "Workshop income", "code": "400900", "account_type": "income", "company_ids": self.company.ids}
        )
        blocked = self.invoice(lines=[("Workshop", 1, 500.0, self.gst)], post=False)
        blocked.invoice_line_ids.account_id = other
        blocked.action_post()
        fine = self.invoice(date="2026-11-11")
        preview = self.start()
        self.assertEqual((preview.invoice_count, preview.problem_count), (1, 1))
        self.send()
        self.assertEqual(fine.xero_state, "sent")
        self.assertEqual(blocked.xero_state, "blocked")
        self.assertIn('Account 400900 "Workshop income" is not mapped to a Xero account', blocked.xero_error)
        self.assertFalse(self.xero_named(blocked.name))
        # Mapped: it goes at the next run, by itself.
        mapping = self.connection.account_mapping_ids.filtered(lambda m: m.account_id == other)
        mapping.xero_account_id = self.connection.xero_account_ids.filtered(lambda a: a.code == "260")
        self.assertEqual(blocked.xero_state, "to_send")
        self.send()
        self.assertEqual(self.xero_named(blocked.name)[0]["LineItems"][0]["AccountCode"], "260")

    def test_an_account_with_xero_s_code_needs_no_mapping(self):
        same_code = self.env["account.account"].create(
            {"name": "Other revenue", "code": "260", "account_type": "income_other", "company_ids": self.company.ids}
        )
        move = self.invoice(post=False)
        move.invoice_line_ids.account_id = same_code
        move.action_post()
        self.start()
        self.send()
        self.assertEqual(self.xero_named(move.name)[0]["LineItems"][0]["AccountCode"], "260")

    def test_a_tax_mapped_to_a_rate_of_another_percentage_is_held_back(self):
        self.connection.tax_mapping_ids.filtered(
            lambda m: m.tax_id == self.gst
        ).xero_tax_rate_id = self.connection.xero_tax_rate_ids.filtered(lambda r: r.tax_type == "NONE")
        move = self.invoice()
        self.start()
        self.send()
        self.assertEqual(move.xero_state, "blocked")
        self.assertIn("mapped to (0%) gives 0.00", move.xero_error.replace('"NONE" it is ', ""))

    def test_preview_links_what_xero_already_has_and_names_taken_numbers(self):
        held, taken, new = (self.invoice(date=f"2026-11-1{n}") for n in range(3))
        boom = self.env["xero.contact"].search([("connection_id", "=", self.connection.id), ("name", "=", "Boom FM")])
        gateway = self.connection._gateway()
        for number, contact in ((held.name, self.bayside_contact), (taken.name, boom)):
            line = {"Description": "Made in Xero", "Quantity": 3, "UnitAmount": 150, "AccountCode": "200"}
            gateway.create_invoices(
                [
                    {
                        "Type": "ACCREC",
                        "Contact": {"ContactID": contact.xero_id},
                        "InvoiceNumber": number,
                        "Date": "2026-11-10",
                        "DueDate": "2026-12-10",
                        "Status": "AUTHORISED",
                        "LineItems": [line],
                    }
                ],
                operation=f"test:{number}",
            )
        preview = self.start()
        self.assertEqual((preview.invoice_count, preview.link_count, preview.problem_count), (1, 1, 1))
        self.assertEqual(preview.link_line_ids.move_id, held)
        self.assertEqual(preview.send_line_ids.move_id, new)
        self.assertIn('Xero already gives this number to an invoice of "Boom FM"', preview.problem_line_ids.reason)
        self.send()
        self.assertEqual(len(self.xero_named(held.name)), 1, "linked, not sent twice")
        self.assertEqual(held.xero_state, "linked")
        self.assertEqual(held.xero_document_id.xero_id, self.xero_named(held.name)[0]["InvoiceID"])
        self.assertEqual(taken.xero_state, "error")
        self.assertEqual(self.xero_named(taken.name)[0]["Contact"]["Name"], "Boom FM", "the other one is untouched")
        self.assertEqual(new.xero_state, "sent")

    def test_a_future_start_date_sends_nothing_until_that_date(self):
        today = fields.Date.context_today(self.connection)
        start = today + timedelta(days=14)
        before, after = self.invoice(date=start - timedelta(days=1)), self.invoice(date=start + timedelta(days=1))
        self.connection.accounting_start_date = start
        action = self.connection.action_accounting_preview()
        preview = self.env["xero.accounting.preview"].browse(action["res_id"])
        self.assertTrue(preview.future)
        preview.action_confirm()
        self.assertTrue(self.connection.accounting_active)
        self.env["xero.document"]._cron_send()
        self.assertFalse(self.env["xero.job"].search([("kind", "=", "accounting_push")]), "nothing before the date")
        self.assertFalse(self.xero_named(after.name))
        with freeze_time(start + timedelta(days=1)):
            self.env["xero.document"]._cron_send()
            self.assertTrue(self.env["xero.job"].search([("kind", "=", "accounting_push")]))
            self.send()
        self.assertEqual(after.xero_state, "sent")
        self.assertFalse(before.xero_document_id, "dated before the start date: never sent")
        self.assertFalse(self.xero_named(before.name))

    def test_the_start_date_locks_once_something_was_sent(self):
        move = self.invoice()
        self.start("2026-06-01")
        self.assertFalse(self.connection.accounting_locked)
        self.connection.accounting_start_date = "2026-05-01"  # nothing sent yet: still free
        self.send()
        self.assertTrue(self.connection.accounting_locked)
        self.assertIn(f"{move.name} was sent to Xero on", self.connection.accounting_lock_reason)
        with self.assertRaisesRegex(UserError, "Locked"):
            self.connection.accounting_start_date = "2025-01-01"
        with self.assertRaisesRegex(UserError, "Locked"):
            self.env["res.config.settings"].create({"xero_accounting_start_date": "2025-01-01"}).execute()
        # A later date would leave what was sent before it out of the sync: locked too.
        with self.assertRaisesRegex(UserError, "Locked"):
            self.connection.accounting_start_date = "2026-11-20"
        with self.assertRaisesRegex(UserError, "Locked"):
            self.env["res.config.settings"].create({"xero_accounting_start_date": "2026-11-20"}).execute()
        self.assertEqual(str(self.connection.accounting_start_date), "2026-05-01")
        self.connection.accounting_start_date = "2026-05-01"  # the same date: nothing changes
        self.assertEqual(str(self.connection.accounting_start_date), "2026-05-01")

    def test_a_cancelled_invoice_is_voided_in_xero(self):
        move = self.invoice()
        self.start()
        self.send()
        move.button_cancel()
        self.assertEqual(move.xero_state, "to_void")
        self.send()
        self.assertEqual(self.xero_named(move.name)[0]["Status"], "VOIDED")
        self.assertEqual(move.xero_state, "voided")

    def test_a_paid_invoice_cancelled_in_odoo_loses_its_payment_then_is_voided(self):
        move = self.invoice()
        self.start()
        self.pay(move)
        self.send()
        self.assertEqual(self.xero_named(move.name)[0]["Status"], "PAID")
        move.button_cancel()
        self.send()
        [payment] = [p for p in self.xero("Payments") if p["Invoice"]["InvoiceNumber"] == move.name]
        self.assertEqual(payment["Status"], "DELETED")
        self.assertEqual(self.xero_named(move.name)[0]["Status"], "VOIDED")

    def test_an_invoice_changed_and_posted_again_is_updated_not_duplicated(self):
        move = self.invoice()
        self.start()
        self.send()
        xero_id = self.xero_named(move.name)[0]["InvoiceID"]
        move.button_draft()
        move.invoice_line_ids.price_unit = 160.0
        move.action_post()
        self.assertEqual(move.xero_state, "to_update")
        self.send()
        [xero] = self.xero_named(move.name)
        self.assertEqual((xero["InvoiceID"], xero["Total"]), (xero_id, move.amount_total))
        self.assertEqual(move.xero_state, "sent")
        calls = len(self.sandbox.request_log)
        move.button_draft()
        move.action_post()  # nothing changed: nothing to tell Xero
        self.send()
        self.assertFalse(
            [r for r in self.sandbox.request_log[calls:] if r["method"] == "POST" and "/Invoices" in r["path"]]
        )

    def test_an_invoice_xero_has_paid_is_not_changed_there(self):
        # Xero refuses to edit a paid invoice: Odoo's later change is not sent, and the
        # invoice says so with the difference, instead of failing.
        move = self.invoice()
        self.start()
        self.send()
        [xero] = self.xero_named(move.name)
        token = self.sandbox.issue_token()["access_token"]
        paid = requests.put(
            f"{self.sandbox.accounting_url}/Payments",
            json={
                "Payments": [
                    {"Invoice": {"InvoiceID": xero["InvoiceID"]}, "Account": {"Code": "090"}, "Amount": xero["Total"]}
                ]
            },
            headers={"Authorization": f"Bearer {token}", "xero-tenant-id": self.sandbox.tenant_id},
            timeout=10,
        )
        self.assertEqual(paid.status_code, 200, paid.text)
        move.button_draft()
        move.invoice_line_ids.price_unit = 160.0
        move.action_post()
        self.assertEqual(move.xero_state, "to_update")
        self.send()
        [after] = self.xero_named(move.name)
        self.assertEqual((after["Status"], after["Total"]), ("PAID", xero["Total"]))
        self.assertEqual(move.xero_state, "sent")
        self.assertFalse(move.xero_error)
        self.assertIn("Xero has this document paid or credited", move.xero_totals_problem)
        self.assertIn(
            f"is {move.amount_total:.2f} NZD in Odoo but {xero['Total']:.2f} NZD in Xero", move.xero_totals_problem
        )
        self.assertIn("the change made in Odoo was not sent", move.message_ids[0].body)

    def test_a_held_back_change_goes_as_an_update_once_fixed(self):
        move = self.invoice()
        self.start()
        self.send()
        gst = self.connection.tax_mapping_ids.filtered(lambda m: m.tax_id == self.gst)
        gst.xero_tax_rate_id = self.connection.xero_tax_rate_ids.filtered(lambda r: r.tax_type == "NONE")
        move.button_draft()
        move.invoice_line_ids.price_unit = 170.0
        move.action_post()
        self.send()
        self.assertEqual(move.xero_state, "blocked")
        gst.xero_tax_rate_id = self.connection.xero_tax_rate_ids.filtered(lambda r: r.tax_type == "OUTPUT")
        self.assertEqual(move.xero_state, "to_update")
        self.send()
        [xero] = self.xero_named(move.name)
        self.assertEqual((xero["Total"], move.xero_state), (move.amount_total, "sent"))

    def test_a_refusal_shows_xero_s_words_and_the_document_can_be_sent_again(self):
        self.sandbox.update_contact(self.bayside_contact.xero_id, ContactStatus="ARCHIVED")
        move = self.invoice()
        self.start()
        self.send()
        self.assertEqual(move.xero_state, "error")
        self.assertIn("The contact Bayside Club is archived and cannot be used on transactions", move.xero_error)
        self.sandbox.update_contact(self.bayside_contact.xero_id, ContactStatus="ACTIVE")
        move.action_xero_send_again()
        self.assertEqual(move.xero_state, "to_send")
        self.send()
        self.assertEqual(move.xero_state, "sent")
        self.assertEqual(len(self.xero_named(move.name)), 1)

    def test_a_payment_from_an_unmapped_journal_waits_for_its_mapping(self):
        cash = self.env["account.journal"].create(
            {"name": "Petty cash", "type": "cash", "code": "PCSH", "company_id": self.company.id}
        )
        move = self.invoice()
        self.start()
        self.pay(move, journal=cash)
        self.send()
        payment = move.xero_document_id.payment_ids
        self.assertEqual(payment.state, "blocked")
        self.assertIn(f'The journal "{cash.name}" is not mapped to a Xero bank account', payment.error)
        self.assertEqual(self.xero_named(move.name)[0]["AmountDue"], move.amount_total)
        # Read with Xero's accounts at the preview, the journal waits for its Xero bank account.
        row = self.connection.journal_mapping_ids.filtered(lambda m: m.journal_id == cash)
        self.assertFalse(row.xero_account_id)
        row.xero_account_id = self.connection.xero_account_ids.filtered(lambda a: a.code == "091")
        self.send()
        self.assertEqual(payment.state, "sent")
        self.assertEqual(self.xero_named(move.name)[0]["Status"], "PAID")


@tagged("post_install", "-at_install")
class TestAccountingRestart(XeroAccountingCase):
    """A worker killed after Xero created a batch, before Odoo committed what Xero answered."""

    def kill_after_xero_wrote(self, job):
        """Run the queue (a step plans the batch, the next sends it), its worker dying once
        Xero has answered: the step's transaction is lost."""
        killed = False
        with patch.object(DocumentWriter, "record_created", side_effect=KeyboardInterrupt("worker killed")):
            # Not assertRaises: Odoo's rolls back what was done inside it, the runner's commits too.
            try:
                run_queue(self.env, wait=True)
            except KeyboardInterrupt:
                killed = True
        self.assertTrue(killed, "the worker reached Xero's answer")
        self.assertEqual(job.state, "running", "its worker died with it")

    def setUp(self):
        super().setUp()
        self.moves = self.env["account.move"]
        for n in range(60):
            self.moves |= self.invoice(date="2026-11-10", lines=[(f"Service {n}", 1, 100.0 + n, self.gst)])
        self.start()
        self.job = self.env["xero.job"].search([("kind", "=", "accounting_push")])

    def test_the_retried_step_is_answered_by_xero_without_a_second_invoice(self):
        self.kill_after_xero_wrote(self.job)
        first_batch = self.moves[:50]
        held = self.xero_numbers()
        self.assertEqual([held[m.name] for m in first_batch], [1] * 50, "Xero has the batch")
        self.assertEqual(set(first_batch.mapped("xero_state")), {"to_send"}, "Odoo forgot it")
        self.send()
        held = self.xero_numbers()
        self.assertEqual([m.name for m in self.moves if held[m.name] != 1], [], "each invoice once in Xero")
        self.assertEqual(set(self.moves.mapped("xero_state")), {"sent"})

    def test_a_retry_xero_no_longer_recognises_links_what_it_created(self):
        self.kill_after_xero_wrote(self.job)
        # Xero keeps idempotency keys for a while only: the retry is a new write to it.
        self.sandbox.forget_idempotency_keys()
        self.send()
        held = self.xero_numbers()
        self.assertEqual([m.name for m in self.moves if held[m.name] != 1], [], "each invoice once in Xero")
        self.assertEqual(set(self.moves[:50].mapped("xero_state")), {"linked"})
        self.assertEqual(set(self.moves[50:].mapped("xero_state")), {"sent"})
        self.assertFalse(any(self.moves.mapped("xero_totals_problem")))


@tagged("post_install", "-at_install")
class TestAccountingTour(XeroAccountingCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.user_admin").write(
            {"company_ids": [Command.link(cls.company.id)], "company_id": cls.company.id}
        )

    def test_accounting_tours(self):
        linked, sent = self.invoice(date="2026-11-10"), self.invoice(date="2026-11-11")
        self.connection._gateway().create_invoices(
            [
                {
                    "Type": "ACCREC",
                    "Contact": {"ContactID": self.bayside_contact.xero_id},
                    "InvoiceNumber": linked.name,
                    "Date": "2026-11-10",
                    "DueDate": "2026-12-10",
                    "Status": "AUTHORISED",
                    "LineItems": [
                        {"Description": "Made in Xero", "Quantity": 3, "UnitAmount": 150, "AccountCode": "200"}
                    ],
                }
            ],
            operation="test:tour",
        )
        self.start_tour(
            "/odoo/action-xero_connector.xero_settings_action", "xero_connector_accounting_preview_tour", login="admin"
        )
        self.assertTrue(self.connection.accounting_active)
        self.assertEqual(str(self.connection.accounting_start_date), "2026-01-01")
        self.send()
        self.assertEqual((linked.xero_state, sent.xero_state), ("linked", "sent"))

        self.invoice(partner=self.newcomer, date="2026-11-12")
        self.send()
        newcomer = self.env["xero.contact"].search([("partner_id", "=", self.newcomer.id)])
        # Archived in Xero meanwhile: Xero refuses the customer's next invoice.
        self.sandbox.update_contact(newcomer.xero_id, ContactStatus="ARCHIVED")
        refused = self.invoice(partner=self.newcomer, date="2026-11-13")
        self.send()
        self.assertEqual(refused.xero_state, "error")
        url = "/odoo/action-account.action_move_out_invoice_type"
        self.start_tour(f"{url}/{refused.id}", "xero_connector_accounting_refused_tour", login="admin")
        self.assertEqual(refused.xero_state, "to_send")
        self.start_tour(f"{url}/{sent.id}", "xero_connector_accounting_sent_tour", login="admin")


@tagged("post_install", "-at_install")
class TestAccountingAccess(XeroAccountingCase):
    def test_an_invoice_in_xero_is_cancelled_not_deleted(self):
        move = self.invoice()
        self.start()
        self.send()
        move.button_draft()
        with self.assertRaisesRegex(UserError, "cancel it instead of deleting it"):
            move.unlink()

    def test_xero_users_send_again_read_only_users_only_read(self):
        self.sandbox.update_contact(self.bayside_contact.xero_id, ContactStatus="ARCHIVED")
        move = self.invoice()
        self.start()
        self.send()
        users = {
            name: new_test_user(
                self.env, login=f"xero_{name}", groups=group, company_id=self.company.id, company_ids=self.company.ids
            )
            for name, group in (
                ("billing", "account.group_account_invoice,xero_connector.group_xero_user"),
                ("auditor", "account.group_account_readonly"),
            )
        }
        self.assertEqual(move.with_user(users["auditor"]).xero_state, "error")
        doc = move.xero_document_id
        with self.assertRaises(AccessError):
            doc.with_user(users["auditor"]).action_send_again()
        move.with_user(users["billing"]).action_xero_send_again()
        self.assertEqual(move.xero_state, "to_send")
        with self.assertRaises(AccessError):
            self.env["xero.accounting.preview"].with_user(users["billing"]).create(
                {"connection_id": self.connection.id}
            )


@tagged("post_install", "-at_install")
class TestLockDates(XeroAccountingCase):
    """Xero refuses anything dated on or before its lock date, and the whole request with it."""

    def refused(self):
        return [r for r in self.sandbox.request_log if r["status"] >= 400]

    def test_a_document_in_the_locked_period_is_held_back_before_any_call(self):
        self.sandbox.set_lock_dates(period="2026-10-31")
        early = self.invoice(date="2026-10-15")
        later = self.invoice(date="2026-11-10")
        self.start()
        self.send()
        self.assertEqual(fields.Date.to_string(self.connection.lock_date), "2026-10-31")
        self.assertEqual(early.xero_state, "blocked")
        self.assertIn("on or before Xero's lock date (2026-10-31)", early.xero_error)
        self.assertEqual(self.xero_numbers()[early.name], 0)
        self.assertEqual(self.xero_numbers()[later.name], 1, "the rest of the batch went")
        self.assertEqual(self.refused(), [], "no request carried it (Xero would have refused the batch)")
        # The adviser opens the period again: it goes at the next run, by itself.
        self.sandbox.set_lock_dates(period=None)
        self.connection._refresh_organisation()
        self.assertFalse(self.connection.lock_date)
        self.assertEqual(early.xero_state, "to_send")
        self.send()
        self.assertEqual(self.xero_numbers()[early.name], 1)

    def test_a_payment_in_the_locked_period_is_held_back(self):
        move = self.invoice(date="2026-11-10")
        self.start()
        self.send()
        self.pay(move, date="2026-11-12")
        self.sandbox.set_lock_dates(end_of_year="2026-11-30")
        self.connection._refresh_organisation()
        self.send()
        payment = move.xero_document_id.payment_ids
        self.assertEqual(payment.state, "blocked")
        self.assertIn("lock date (2026-11-30)", payment.error)
        self.assertFalse([p for p in self.xero("Payments") if p.get("Reference") == payment.origin_move_id.name])
        self.assertEqual(self.refused(), [])


@tagged("post_install", "-at_install")
class TestLinksBothWays(XeroAccountingCase):
    def test_an_invoice_in_xero_leads_back_to_odoo(self):
        move = self.invoice()
        self.start()
        self.send()
        [xero] = self.xero_named(move.name)
        self.assertEqual(xero["Url"], f"{move.get_base_url()}/odoo/account.move/{move.id}")
        self.assertTrue(move.xero_url.endswith(xero["InvoiceID"]), "and the Odoo invoice leads to Xero")
