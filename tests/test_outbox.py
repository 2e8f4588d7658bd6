"""Exactly once, even when Xero's answers are lost: the outbox against the sandbox.

Every case runs the real job runner (`xero.job._cron_run`) through `run_queue`: its
commits are savepoints of the test's transaction and its rollbacks go back to the last
one, as a worker's would (the test's transaction itself is never committed). Each run
comes once the posting delay has passed; a failed job then waits for its retry until
the test lets the time pass.
"""

from collections import Counter

import requests

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.xero_connector.models.xero_connection import POSTING_DELAY

from .common import XeroAccountingCase, run_queue

LOST = 5  # the answer is lost on the first try and on each of the gateway's retries within it


@tagged("post_install", "-at_install")
class TestOutboxFaults(XeroAccountingCase):
    """For each write kind: (a) the answer is lost after Xero processed it and the job retries,
    (b) the same with the natural batch changed before the retry, (c) the same with Xero having
    forgotten the idempotency key. Each ends with one Xero object per Odoo record, linked."""

    def assert_done(self):
        jobs = self.env["xero.job"].search([("connection_id", "=", self.connection.id)])
        self.assertEqual(set(jobs.mapped("state")), {"done"}, jobs.mapped("error"))
        self.assertFalse(self.env["xero.outbox"].search([("state", "!=", "settled")]), "every batch settled")

    def lose_answers(self, method, path):
        self.sandbox.inject_fault("500", count=LOST, method=method, path_contains=path, when="after")

    def xero_payments(self, move):
        """Xero's live payments of one invoice or credit note, as Xero lists payments."""
        return [
            p
            for p in self.xero("Payments")
            if p["Status"] == "AUTHORISED" and (p.get("Invoice") or {}).get("InvoiceNumber") == move.name
        ]

    def unreconcile(self, payment):
        """What "Unreconcile" on the payment's entry does: the invoice is due again."""
        self.assertTrue(payment.move_id)
        payment.move_id.line_ids.remove_move_reconcile()

    def sent(self):
        """Invoices posted and sent without faults."""
        self.start()
        run_queue(self.env, passed=POSTING_DELAY)
        self.assert_done()

    # -- the fault, then the retry ------------------------------------------------------

    def fault_then_retry(self, method, path, variant, change=None):
        """Xero processes the write but its answer is lost; the job retries later."""
        self.lose_answers(method, path)
        run_queue(self.env, passed=POSTING_DELAY)
        # The job the lost answers met; others (a sent document's follow-ups) may have run since.
        jobs = self.env["xero.job"].search([("connection_id", "=", self.connection.id)])
        job = jobs.filtered(lambda j: j.state != "done")
        self.assertEqual(job.mapped("state"), ["pending"], "the job waits for its next try")
        self.assertIn("500", job.error or "")
        if variant in ("b", "c") and change:
            change()  # the natural batch changes before the retry
        if variant == "c":
            self.sandbox.forget_idempotency_keys()
        run_queue(self.env, passed=True)  # time passes until the retry
        self.assert_done()

    # -- invoices created ----------------------------------------------------------------

    def check_invoice_create(self, variant):
        moves = self.invoice() | self.invoice(lines=[("Design", 2, 90.0, self.gst)])
        extra = self.env["account.move"]

        def change():
            nonlocal extra
            extra = self.invoice(lines=[("Late work", 1, 60.0, self.gst)])
            moves[0].button_cancel()  # cancelled while its batch is in flight

        self.start()
        self.fault_then_retry("PUT", "/Invoices", variant, change)
        held = self.xero_numbers()
        everything = moves | extra
        self.assertEqual({m.name: held[m.name] for m in everything}, dict.fromkeys(everything.mapped("name"), 1))
        for move in everything:
            [xero] = self.xero_named(move.name)
            self.assertEqual(move.xero_document_id.xero_id, xero["InvoiceID"])
            if move.state == "cancel":
                self.assertEqual((xero["Status"], move.xero_state), ("VOIDED", "voided"))
            else:
                self.assertIn(move.xero_state, ("sent", "linked"))
                self.assertEqual(xero["Total"], move.amount_total)

    def test_invoice_create_a_lost_answer(self):
        self.check_invoice_create("a")

    def test_invoice_create_b_lost_answer_batch_changed(self):
        self.check_invoice_create("b")

    def test_invoice_create_c_lost_answer_key_forgotten(self):
        self.check_invoice_create("c")

    def check_credit_note_create(self, variant):
        notes = self.invoice(move_type="out_refund", lines=[("Returned goods", 1, 80.0, self.gst)])
        later = self.env["account.move"]

        def change():
            nonlocal later
            later = self.invoice(move_type="out_refund", lines=[("Damaged", 1, 40.0, self.gst)])

        self.start()
        self.fault_then_retry("PUT", "/CreditNotes", variant, change)
        for note in notes | later:
            [xero] = self.xero_named(note.name, "CreditNotes")
            self.assertEqual((note.xero_document_id.xero_id, xero["Total"]), (xero["CreditNoteID"], note.amount_total))
            self.assertIn(note.xero_state, ("sent", "linked"))
        self.assertEqual(bool(later), variant != "a", "the new credit note went too, in a batch of its own")

    def test_credit_note_create_a_lost_answer(self):
        self.check_credit_note_create("a")

    def test_credit_note_create_b_lost_answer_new_credit_note(self):
        self.check_credit_note_create("b")

    def test_credit_note_create_c_lost_answer_key_forgotten(self):
        self.check_credit_note_create("c")

    # -- invoices updated ----------------------------------------------------------------

    def change_price(self, move, price):
        move.button_draft()
        move.invoice_line_ids[:1].price_unit = price
        move.action_post()

    def check_invoice_update(self, variant):
        moves = self.invoice() | self.invoice(lines=[("Design", 2, 90.0, self.gst)])
        self.sent()
        ids = {m.name: m.xero_document_id.xero_id for m in moves}
        self.change_price(moves[0], 160.0)
        self.fault_then_retry(
            "POST",
            "/Invoices",
            variant,
            lambda: (self.change_price(moves[0], 170.0), self.change_price(moves[1], 95.0)),
        )
        for move in moves:
            [xero] = self.xero_named(move.name)
            self.assertEqual((xero["InvoiceID"], xero["Total"]), (ids[move.name], move.amount_total))
            self.assertEqual(move.xero_state, "sent")

    def test_invoice_update_a_lost_answer(self):
        self.check_invoice_update("a")

    def test_invoice_update_b_lost_answer_changed_again(self):
        self.check_invoice_update("b")

    def test_invoice_update_c_lost_answer_key_forgotten(self):
        self.check_invoice_update("c")

    def test_update_a_b_a_lands_b_then_a(self):
        move = self.invoice()
        self.sent()
        first = move.amount_total
        self.change_price(move, 160.0)
        run_queue(self.env, passed=POSTING_DELAY)
        self.assertEqual(self.xero_named(move.name)[0]["Total"], move.amount_total)
        self.assertNotEqual(move.amount_total, first)
        self.change_price(move, 150.0)  # back to what was sent first
        run_queue(self.env, passed=POSTING_DELAY)
        self.assert_done()
        self.assertEqual(self.xero_named(move.name)[0]["Total"], first)
        self.assertEqual(move.xero_state, "sent")

    # -- invoices voided -----------------------------------------------------------------

    def check_invoice_void(self, variant):
        moves = self.invoice() | self.invoice(lines=[("Design", 2, 90.0, self.gst)])
        self.sent()
        moves[0].button_cancel()
        self.fault_then_retry("POST", "/Invoices", variant, moves[1].button_cancel)
        held = self.xero_numbers()
        for move in moves:
            self.assertEqual(held[move.name], 1)
            expected = ("VOIDED", "voided") if move.state == "cancel" else ("AUTHORISED", "sent")
            self.assertEqual((self.xero_named(move.name)[0]["Status"], move.xero_state), expected)

    def test_invoice_void_a_lost_answer(self):
        self.check_invoice_void("a")

    def test_invoice_void_b_lost_answer_another_cancelled(self):
        self.check_invoice_void("b")

    def test_invoice_void_c_lost_answer_key_forgotten(self):
        self.check_invoice_void("c")

    # -- payments ------------------------------------------------------------------------

    def check_payments(self, variant):
        move = self.invoice(lines=[("Consulting", 10, 100.0, self.gst)])  # 1,150.00
        self.sent()
        self.pay(move, 100.0)
        self.pay(move, 200.0)
        self.fault_then_retry("PUT", "/Payments", variant, lambda: self.pay(move, 300.0))
        payments = move.xero_document_id.payment_ids
        xero = self.xero_payments(move)
        # The reported case: three partial payments, Xero held five.
        self.assertEqual(len(xero), len(payments), "one Xero payment per Odoo payment")
        self.assertEqual(sorted(p["Amount"] for p in xero), sorted(payments.mapped("amount")))
        self.assertEqual(set(payments.mapped("state")), {"sent"})
        self.assertEqual(sorted(payments.mapped("xero_id")), sorted(p["PaymentID"] for p in xero))
        self.assertEqual(self.xero_named(move.name)[0]["AmountPaid"], sum(payments.mapped("amount")))

    def test_payment_a_lost_answer(self):
        self.check_payments("a")

    def test_payment_b_lost_answer_new_payment(self):
        self.check_payments("b")

    def test_payment_c_lost_answer_key_forgotten(self):
        self.check_payments("c")

    # -- allocations -----------------------------------------------------------------------

    def check_allocation(self, variant):
        move = self.invoice(lines=[("Consulting", 10, 100.0, self.gst)])
        other = self.invoice(lines=[("Design", 2, 90.0, self.gst)])
        self.sent()
        refund = move._reverse_moves([{"invoice_date": "2026-11-12", "ref": "Wrong hours"}], cancel=True)

        def change():
            other._reverse_moves([{"invoice_date": "2026-11-13", "ref": "Not ordered"}], cancel=True)

        # The credit note is created first (a batch of its own), then allocated.
        self.fault_then_retry("PUT", "/Allocations", variant, change)
        for invoice in move | other:
            allocations = invoice.xero_document_id.payment_ids.filtered(lambda p: p.kind == "allocation")
            [xero] = self.xero_named(invoice.name)
            credited = sum(a["AppliedAmount"] for a in xero.get("CreditNotes") or [])
            self.assertEqual(credited, sum(allocations.mapped("amount")), "one Xero allocation per Odoo one")
            self.assertEqual(xero["AmountDue"], 0.0 if allocations else invoice.amount_total)
            self.assertTrue(all(allocations.mapped("xero_id")))
            self.assertEqual(set(allocations.mapped("state")) - {"sent"}, set())
        self.assertEqual(refund.xero_state, "sent")

    def test_allocation_a_lost_answer(self):
        self.check_allocation("a")

    def test_allocation_b_lost_answer_another_credit_note(self):
        self.check_allocation("b")

    def test_allocation_c_lost_answer_key_forgotten(self):
        self.check_allocation("c")

    # -- payments and allocations taken back ---------------------------------------------

    def check_payment_delete(self, variant):
        move = self.invoice(lines=[("Consulting", 10, 100.0, self.gst)])
        self.sent()
        first, second = self.pay(move, 100.0), self.pay(move, 200.0)
        run_queue(self.env, passed=POSTING_DELAY)
        self.assertEqual(len(self.xero_payments(move)), 2)
        self.unreconcile(first)  # undone: taken back in Xero
        self.fault_then_retry("POST", "/Payments/", variant, lambda: self.unreconcile(second))
        payments = move.xero_document_id.payment_ids
        undone = payments.filtered(lambda p: not p.partial_id)
        self.assertEqual(set(undone.mapped("state")), {"deleted"})
        self.assertEqual(len(self.xero_payments(move)), len(payments - undone))
        self.assertEqual(self.xero_named(move.name)[0]["AmountPaid"], sum((payments - undone).mapped("amount")))

    def test_payment_delete_a_lost_answer(self):
        self.check_payment_delete("a")

    def test_payment_delete_b_lost_answer_another_undone(self):
        self.check_payment_delete("b")

    def test_payment_delete_c_lost_answer_key_forgotten(self):
        self.check_payment_delete("c")

    def test_allocation_delete_a_lost_answer(self):
        move = self.invoice(lines=[("Consulting", 2, 100.0, self.gst)])
        self.sent()
        refund = move._reverse_moves([{"invoice_date": "2026-11-12", "ref": "Wrong hours"}], cancel=True)
        run_queue(self.env, passed=POSTING_DELAY)
        self.assert_done()
        allocation = move.xero_document_id.payment_ids
        self.assertEqual((allocation.kind, allocation.state), ("allocation", "sent"))
        refund.line_ids.remove_move_reconcile()  # the credit note no longer settles the invoice
        self.fault_then_retry("DELETE", "/Allocations/", "a")
        self.assertEqual(allocation.state, "deleted")
        [xero] = self.xero_named(move.name)
        self.assertEqual((xero["AmountDue"], xero.get("CreditNotes") or []), (move.amount_total, []))
        [note] = self.xero_named(refund.name, "CreditNotes")
        self.assertEqual(note["RemainingCredit"], refund.amount_total)

    # -- credit notes updated and voided ---------------------------------------------------

    def check_credit_note_update(self, variant):
        notes = self.invoice(move_type="out_refund", lines=[("Returned goods", 1, 80.0, self.gst)]) | self.invoice(
            move_type="out_refund", lines=[("Damaged", 1, 40.0, self.gst)]
        )
        self.sent()
        ids = {n.name: n.xero_document_id.xero_id for n in notes}
        self.change_price(notes[0], 90.0)
        self.fault_then_retry(
            "POST",
            "/CreditNotes",
            variant,
            lambda: (self.change_price(notes[0], 95.0), self.change_price(notes[1], 45.0)),
        )
        held = self.xero_numbers("CreditNotes")
        for note in notes:
            self.assertEqual(held[note.name], 1)
            [xero] = self.xero_named(note.name, "CreditNotes")
            self.assertEqual((xero["CreditNoteID"], xero["Total"]), (ids[note.name], note.amount_total))
            self.assertEqual(note.xero_state, "sent")

    def test_credit_note_update_a_lost_answer(self):
        self.check_credit_note_update("a")

    def test_credit_note_update_b_lost_answer_changed_again(self):
        self.check_credit_note_update("b")

    def test_credit_note_update_c_lost_answer_key_forgotten(self):
        self.check_credit_note_update("c")

    def check_credit_note_void(self, variant):
        notes = self.invoice(move_type="out_refund", lines=[("Returned goods", 1, 80.0, self.gst)]) | self.invoice(
            move_type="out_refund", lines=[("Damaged", 1, 40.0, self.gst)]
        )
        self.sent()
        notes[0].button_cancel()
        self.fault_then_retry("POST", "/CreditNotes", variant, notes[1].button_cancel)
        held = self.xero_numbers("CreditNotes")
        for note in notes:
            self.assertEqual(held[note.name], 1)
            expected = ("VOIDED", "voided") if note.state == "cancel" else ("AUTHORISED", "sent")
            self.assertEqual((self.xero_named(note.name, "CreditNotes")[0]["Status"], note.xero_state), expected)
        self.assertEqual(notes[1].state == "cancel", variant != "a")

    def test_credit_note_void_a_lost_answer(self):
        self.check_credit_note_void("a")

    def test_credit_note_void_b_lost_answer_another_cancelled(self):
        self.check_credit_note_void("b")

    def test_credit_note_void_c_lost_answer_key_forgotten(self):
        self.check_credit_note_void("c")

    # -- allocations taken back ----------------------------------------------------------

    def check_allocation_delete(self, variant):
        moves = self.invoice(lines=[("Consulting", 2, 100.0, self.gst)]) | self.invoice(
            lines=[("Design", 2, 90.0, self.gst)]
        )
        self.sent()
        refunds = self.env["account.move"]
        for move, day in zip(moves, ("12", "13"), strict=True):
            refunds |= move._reverse_moves([{"invoice_date": f"2026-11-{day}", "ref": "Wrong hours"}], cancel=True)
        run_queue(self.env, passed=POSTING_DELAY)
        self.assert_done()
        allocations = moves.xero_document_id.payment_ids
        self.assertEqual((allocations.mapped("kind"), set(allocations.mapped("state"))), (["allocation"] * 2, {"sent"}))
        refunds[0].line_ids.remove_move_reconcile()  # the credit note no longer settles the invoice
        self.fault_then_retry("DELETE", "/Allocations/", variant, refunds[1].line_ids.remove_move_reconcile)
        undone = refunds if variant != "a" else refunds[0]
        for move, refund in zip(moves, refunds, strict=True):
            [xero] = self.xero_named(move.name)
            [note] = self.xero_named(refund.name, "CreditNotes")
            allocation = move.xero_document_id.payment_ids
            if refund in undone:
                self.assertEqual(allocation.state, "deleted")
                self.assertEqual((xero["AmountDue"], xero.get("CreditNotes") or []), (move.amount_total, []))
                self.assertEqual(note["RemainingCredit"], refund.amount_total)
            else:
                self.assertEqual(allocation.state, "sent")
                self.assertEqual(len(xero["CreditNotes"]), 1, "one Xero allocation per Odoo one")
                self.assertEqual(xero["AmountDue"], 0.0)

    def test_allocation_delete_b_lost_answer_another_undone(self):
        self.check_allocation_delete("b")

    def test_allocation_delete_c_lost_answer_key_forgotten(self):
        self.check_allocation_delete("c")

    # -- contacts pushed ---------------------------------------------------------------

    def customers(self, prefix, count=3, **values):
        return self.env["res.partner"].create(
            [
                dict({"name": f"{prefix} {n}", "customer_rank": 1, "company_id": self.company.id}, **values)
                for n in range(count)
            ]
        )

    def push_again(self):
        """The next push (the user's "Push", or Odoo as the master): it takes what came meanwhile."""
        self.connection._enqueue_contacts_push()
        run_queue(self.env)
        self.assert_done()

    def assert_one_contact_each(self, partners):
        xero = {c["Name"]: c for c in self.sandbox.contacts()}
        for partner in partners:
            self.assertEqual(self.sandbox.count_contacts_named(partner.name), 1, partner.name)
            binding = self.env["xero.contact"].search([("partner_id", "=", partner.id)])
            self.assertEqual(binding.xero_id, xero[partner.name]["ContactID"])
            self.assertFalse(partner.xero_push_error)

    def check_contact_push(self, variant):
        partners = self.customers("Lost Answer Customer")
        late = self.env["res.partner"]

        def change():
            nonlocal late
            late = self.customers("Late Customer", count=1)

        self.connection._enqueue_contacts_push()
        self.fault_then_retry("POST", "/Contacts", variant, change)
        self.assert_one_contact_each(partners)
        if late:
            self.assertFalse(late.xero_contact_ids, "the frozen batch went as it was planned")
            self.push_again()
            self.assert_one_contact_each(partners | late)

    def test_contact_push_a_lost_answer(self):
        self.check_contact_push("a")

    def test_contact_push_b_lost_answer_new_partner(self):
        self.check_contact_push("b")

    def test_contact_push_c_lost_answer_key_forgotten(self):
        self.check_contact_push("c")

    def test_contact_push_409_waits_and_writes_once(self):
        partners = self.customers("Busy Key Customer")
        # Xero still processes a request under this key: the gateway waits and asks again.
        self.sandbox.inject_fault("409", count=2, method="POST", path_contains="/Contacts")
        self.connection._enqueue_contacts_push()
        run_queue(self.env)
        self.assert_done()
        self.assert_one_contact_each(partners)
        log = self.sandbox.request_log
        posts = [r["status"] for r in log if r["method"] == "POST" and r["path"].endswith("/Contacts")]
        self.assertEqual(posts, [409, 409, 200])

    # -- the differences push and Odoo as the master: updates sent within the request ----

    def check_differences_push(self, variant):
        """A lost answer to the user's push (an update sent within the request) is an error in
        words and nothing recorded (the request is undone); the user's next push, after the
        changes grew (b) or Xero forgot the key (c), lands once: the same contact updated, no
        second one, nothing left to push."""
        partner, binding = self.bayside, self.bayside_contact
        partner.email = "accounts@bayside.example"
        self.lose_answers("POST", "/Contacts")
        with self.assertRaises(UserError) as refused:
            partner.action_xero_push_all()
        self.assertIn("Xero", str(refused.exception))
        self.assertEqual(self.xero_contact(binding)["EmailAddress"], "accounts@bayside.example", "Xero applied it")
        self.assertTrue(partner.xero_difference_ids, "nothing recorded: still to push")
        if variant in ("b", "c"):
            partner.city = "Devonport"  # the changes grew before the retry
        if variant == "c":
            self.sandbox.forget_idempotency_keys()
        partner.action_xero_push_all()
        self.assert_same_contact_updated(partner, binding, city=variant in ("b", "c"))

    def check_master_overwrite(self, variant):
        """Odoo is the master: a change made in Xero is overwritten by the read that finds it; its
        answer lost, the read's job tries again later and lands once."""
        partner, binding = self.bayside, self.bayside_contact
        partner.email = "accounts@bayside.example"
        partner.xero_difference_ids.filtered("can_push").action_push()
        self.connection.odoo_is_master = True
        self.sandbox.update_contact(binding.xero_id, EmailAddress="office@bayside.example")

        def change():
            if variant == "b":
                self.sandbox.update_contact(binding.xero_id, EmailAddress="front@bayside.example")

        self.connection._enqueue_contacts_fetch()
        self.fault_then_retry("POST", "/Contacts", variant, change)
        self.assert_same_contact_updated(partner, binding)

    def xero_contact(self, binding):
        return next(c for c in self.sandbox.contacts() if c["ContactID"] == binding.xero_id)

    def assert_same_contact_updated(self, partner, binding, city=False):
        self.assertEqual(self.sandbox.count_contacts_named(partner.name), 1)
        self.assertFalse(binding.sync_error)
        self.connection._enqueue_contacts_fetch()
        run_queue(self.env)
        self.assertFalse(partner.xero_difference_ids, "Xero holds what Odoo holds")
        xero = self.xero_contact(binding)
        self.assertEqual(xero["EmailAddress"], "accounts@bayside.example")
        if city:
            self.assertIn("Devonport", [a.get("City") for a in xero["Addresses"]])

    def test_differences_push_a_lost_answer(self):
        self.check_differences_push("a")

    def test_differences_push_b_lost_answer_more_changes(self):
        self.check_differences_push("b")

    def test_differences_push_c_lost_answer_key_forgotten(self):
        self.check_differences_push("c")

    def test_master_overwrite_a_lost_answer(self):
        self.check_master_overwrite("a")

    def test_master_overwrite_b_lost_answer_xero_changed_again(self):
        self.check_master_overwrite("b")

    def test_master_overwrite_c_lost_answer_key_forgotten(self):
        self.check_master_overwrite("c")

    # -- customers created for invoices ------------------------------------------------

    def check_invoice_customer(self, variant):
        customer = self.customers("Lost Answer Client", count=1)
        late = self.env["account.move"]

        def change():
            nonlocal late
            late = self.invoice(partner=self.customers("Late Client", count=1))

        moves = self.invoice(partner=customer)
        self.start()
        # The customer is created in a batch of its own, before its invoice.
        self.fault_then_retry("POST", "/Contacts", variant, change)
        for move in moves | late:
            [binding] = move.partner_id.xero_contact_ids
            self.assertEqual(self.sandbox.count_contacts_named(move.partner_id.name), 1)
            [xero] = self.xero_named(move.name)
            self.assertEqual(xero["Contact"]["ContactID"], binding.xero_id)
            self.assertEqual(move.xero_state, "sent")
        self.assertEqual(bool(late), variant != "a")

    def test_invoice_customer_a_lost_answer(self):
        self.check_invoice_customer("a")

    def test_invoice_customer_b_lost_answer_new_customer(self):
        self.check_invoice_customer("b")

    def test_invoice_customer_c_lost_answer_key_forgotten(self):
        self.check_invoice_customer("c")

    def test_invoice_customer_refused_holds_its_invoices_back(self):
        refused = self.customers("Refused Client", count=1, email="not an email")
        kept, sent = self.invoice(partner=refused), self.invoice()
        self.start()
        run_queue(self.env, passed=POSTING_DELAY)
        self.assert_done()
        self.assertEqual(kept.xero_document_id.state, "blocked")
        self.assertIn('The customer "Refused Client 0" could not be created in Xero', kept.xero_document_id.error)
        self.assertIn("EmailAddress", refused.xero_push_error)
        self.assertEqual(self.sandbox.count_contacts_named(refused.name), 0)
        self.assertEqual((sent.xero_state, len(self.xero_named(kept.name))), ("sent", 0))

    # -- contact groups ----------------------------------------------------------------

    def groups(self):
        """{group name: set of its members' ContactIDs}, as Xero lists them (a name held twice: a list)."""
        token = self.sandbox.issue_token()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "xero-tenant-id": self.sandbox.tenant_id}
        found = {}
        for group in self.xero("ContactGroups"):
            url = f"{self.sandbox.accounting_url}/ContactGroups/{group['ContactGroupID']}"
            [detail] = requests.get(url, headers=headers, timeout=10).json()["ContactGroups"]
            found.setdefault(group["Name"], []).append({c["ContactID"] for c in detail.get("Contacts") or []})
        return found

    def assert_groups(self, partners, customers_group="Lost Answer Customers"):
        groups = self.groups()
        self.assertEqual(len(groups[customers_group]), 1, "one Xero group")
        bindings = self.env["xero.contact"].search([("partner_id", "in", partners.ids)])
        self.assertEqual(len(bindings), len(partners))
        self.assertEqual(groups[customers_group][0], set(bindings.mapped("xero_id")))

    def check_group_create(self, variant):
        self.connection.write({"customers_group_name": "Lost Answer Customers", "suppliers_group_name": False})
        partners = self.customers("Grouped Customer")
        self.connection._enqueue_contacts_push()
        self.fault_then_retry("PUT", "/ContactGroups", variant)
        self.assert_groups(partners)

    def test_contact_group_create_a_lost_answer(self):
        self.check_group_create("a")

    def test_contact_group_create_c_lost_answer_key_forgotten(self):
        self.check_group_create("c")

    def test_contact_group_create_b_lost_answer_second_group_named(self):
        # Two groups in one batch (one call each): the first one's answer is lost; before the
        # retry a supplier comes. The customers' group is found again, the suppliers' created once.
        self.connection.write(
            {"customers_group_name": "Lost Answer Customers", "suppliers_group_name": "Lost Answer Suppliers"}
        )
        partners = self.customers("Grouped Customer")
        supplier = self.env["res.partner"]

        def change():
            nonlocal supplier
            supplier = self.customers("Grouped Supplier", count=1, customer_rank=0, supplier_rank=1)

        self.connection._enqueue_contacts_push()
        self.fault_then_retry("PUT", "/ContactGroups", "b", change)
        self.assert_groups(partners)
        self.push_again()
        self.assert_groups(partners)
        groups = self.groups()
        self.assertEqual(len(groups["Lost Answer Suppliers"]), 1)
        self.assertEqual(groups["Lost Answer Suppliers"][0], {supplier.xero_contact_ids.xero_id})

    def check_group_members(self, variant):
        self.connection.write({"customers_group_name": "Lost Answer Customers", "suppliers_group_name": False})
        partners = self.customers("Member Customer")
        late = self.env["res.partner"]

        def change():
            nonlocal late
            late = self.customers("Late Member", count=1)

        self.connection._enqueue_contacts_push()
        # Only the members' request is a PUT ending in /Contacts (contacts are saved by POST).
        self.fault_then_retry("PUT", "/Contacts", variant, change)
        self.assert_groups(partners)
        if late:
            self.push_again()
            self.assert_groups(partners | late)

    def test_contact_group_members_a_lost_answer(self):
        self.check_group_members("a")

    def test_contact_group_members_b_lost_answer_new_partner(self):
        self.check_group_members("b")

    def test_contact_group_members_c_lost_answer_key_forgotten(self):
        self.check_group_members("c")

    # -- answers in another order, races ------------------------------------------------

    def test_shuffled_answers_are_recorded_each_on_its_own_record(self):
        moves = (
            self.invoice()
            | self.invoice(lines=[("Design", 2, 90.0, self.gst)])
            | self.invoice(lines=[("Audit", 1, 500.0, self.gst)])
        )
        self.start()
        self.sandbox.shuffle_write_answers(count=10)
        for move in moves:
            self.pay(move, 50.0 + move.id % 7)
        run_queue(self.env, passed=POSTING_DELAY)
        self.assert_done()
        for move in moves:
            [xero] = self.xero_named(move.name)
            self.assertEqual((move.xero_document_id.xero_id, xero["Total"]), (xero["InvoiceID"], move.amount_total))
            [payment] = self.xero_payments(move)
            self.assertEqual(move.xero_document_id.payment_ids.xero_id, payment["PaymentID"])
            self.assertEqual(payment["Amount"], move.xero_document_id.payment_ids.amount)

    def test_payment_unreconciled_while_in_flight_is_taken_back_not_orphaned(self):
        move = self.invoice(lines=[("Consulting", 10, 100.0, self.gst)])
        self.sent()
        payment = self.pay(move, 100.0)
        self.lose_answers("PUT", "/Payments")
        run_queue(self.env, passed=POSTING_DELAY)
        self.assertEqual(len(self.xero_payments(move)), 1, "Xero took it, Odoo does not know")
        self.unreconcile(payment)
        binding = move.xero_document_id.payment_ids
        self.assertEqual(binding.state, "to_delete", "kept until its batch settles")
        run_queue(self.env, passed=True)  # time passes until the retry
        self.assert_done()
        self.assertEqual(self.xero_payments(move), [], "no orphan in Xero")
        self.assertEqual(binding.state, "deleted")
        theirs = [p for p in self.xero("Payments") if (p.get("Invoice") or {}).get("InvoiceNumber") == move.name]
        self.assertEqual(Counter(p["Status"] for p in theirs), Counter({"DELETED": 1}), "the one payment, taken back")
