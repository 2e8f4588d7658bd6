from odoo import api, fields, models
from odoo.exceptions import UserError

from ..synchronizers.document_writer import DocumentWriter
from ..xero_connector import accounting
from .access import XERO_USER, xero_check_access
from .xero_ledger_entry import XERO_APP_URL

# Where a document, a payment or an allocation stands with Xero.
STATES = [
    ("to_send", "Waiting to be sent"),
    ("blocked", "Held back"),
    ("error", "Refused by Xero"),
    ("sent", "In Xero"),
    ("linked", "Already in Xero"),
]
# The words data/neutralize.sql puts on what a copied database holds back.
NEUTRALIZED_HOLD = "this database is a neutralized copy"


class XeroDocument(models.Model):
    """One Odoo customer invoice or credit note and its Xero counterpart (the binding).

    One record per posted document and Xero organisation, made when the
    document comes in the scope of sending (posted, dated from the start
    date on). It says where the document stands: waiting, held back by a
    missing mapping, refused by Xero (with Xero's words), in Xero, voided.
    The sending itself is synchronizers/document_writer.py's.

    What follows a send, update or void (a History note in Xero, the invoice
    PDF attached, its online link read back) is planned when the send is
    recorded (the same transaction: see `write`), as a list of numbered steps
    on the binding, then done by the `accounting_followup` job
    (synchronizers/followup_writer.py). The binding's change of state is the
    signal: the sending code itself is not touched.
    """

    _name = "xero.document"
    _description = "Xero invoice or credit note"
    _order = "date desc, id desc"
    _rec_name = "name"
    _check_company_auto = True

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    move_id = fields.Many2one(
        "account.move", string="Odoo document", required=True, ondelete="cascade", index=True, check_company=True
    )
    kind = fields.Selection([("invoice", "Invoice"), ("credit_note", "Credit note")], required=True, readonly=True)
    name = fields.Char(related="move_id.name", string="Number")
    partner_id = fields.Many2one(related="move_id.commercial_partner_id", string="Customer")
    date = fields.Date(related="move_id.invoice_date", store=True)
    amount_total = fields.Monetary(related="move_id.amount_total", string="Total")
    currency_id = fields.Many2one(related="move_id.currency_id")
    state = fields.Selection(
        [
            *STATES,
            ("to_update", "Changed, to update in Xero"),
            ("to_void", "Cancelled, to void in Xero"),
            ("voided", "Voided in Xero"),
        ],
        default="to_send",
        required=True,
        index=True,
        readonly=True,
    )
    xero_id = fields.Char(string="Xero id", readonly=True, index="btree_not_null")
    xero_number = fields.Char(string="Number in Xero", readonly=True)
    xero_status = fields.Char(string="Status in Xero", readonly=True, help="As Xero last said: AUTHORISED, PAID...")
    # Voided in Xero, not from Odoo: shown on the Odoo invoice, left for the accountant to settle
    # (see LedgerReader.notice_voided).
    voided_in_xero = fields.Boolean(string="Voided in Xero", readonly=True)
    sent_at = fields.Datetime(string="Sent", readonly=True)
    attempt = fields.Integer(
        readonly=True, help="Raised when the user sends it again: Xero then takes it as a new write, not a retry."
    )
    revision = fields.Integer(
        readonly=True, help="Raised each time it goes to be updated: each update is a write of its own for Xero."
    )
    signature = fields.Char(readonly=True, help="A fingerprint of what was last sent: a change in Odoo alters it.")
    # Translated: a held-back reason is written in every installed language (refusals are Xero's English words).
    error = fields.Text(
        readonly=True, translate=True, help="Why the document is held back or was refused, in plain words."
    )
    totals_problem = fields.Text(string="Totals differ", readonly=True)
    xero_url = fields.Char(string="Open in Xero", compute="_compute_xero_url")
    payment_ids = fields.One2many("xero.payment", "document_id", string="Payments and credits")
    followups = fields.Json(readonly=True, copy=False, help="Still to tell Xero: history notes, the PDF, the link.")
    followup_seq = fields.Integer(readonly=True, copy=False)
    followup_pending = fields.Boolean(readonly=True, copy=False, index=True)
    followup_error = fields.Text(string="Follow-up problem", readonly=True)
    online_url = fields.Char(string="Online invoice", readonly=True, help="Where the customer sees it in Xero.")

    _move_uniq = models.UniqueIndex("(connection_id, move_id)", "An Odoo document is sent once per organisation.")

    def write(self, vals):
        events = self._followup_events(vals) if "state" in vals else {}
        if vals.get("error"):
            # `error` is translated: a new text (Xero's words, in one language) replaces every
            # language's, so no user keeps reading an earlier held-back reason in theirs.
            changed = self.filtered(lambda doc: doc.error != vals["error"])
            super(XeroDocument, changed).write({"error": False})
        result = super().write(vals)
        if events:
            self._plan_followups(events)
        return result

    @api.depends("connection_id.short_code", "xero_id")
    def _compute_xero_url(self):
        for doc in self:
            code = doc.connection_id.short_code
            doc.xero_url = f"{XERO_APP_URL}/{code}/invoicing/view/{doc.xero_id}" if code and doc.xero_id else False

    # -- user actions -----------------------------------------------------------------

    def action_send_again(self):
        """Send documents again once what held them back or made Xero refuse them is fixed."""
        xero_check_access(self, XERO_USER)
        todo = self.sudo().filtered(lambda d: d.state in ("error", "blocked"))
        # A document in Xero may have a payment held back (e.g. by a database copy) or refused.
        payments = self.sudo().payment_ids.filtered(lambda p: p.state in ("error", "blocked"))
        if not (todo or payments):
            raise UserError(self.env._("Only documents held back or refused by Xero can be sent again."))
        todo._requeue(new_attempt=True)
        payments._requeue(new_attempt=True)
        todo |= payments.document_id
        todo.connection_id._enqueue_accounting_if_due()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._("%s document(s) will be sent to Xero again.", len(todo)),
                "type": "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _requeue(self, new_attempt=False):
        """Back in the queue: created if Xero does not have it yet, else updated
        (voided when cancelled in Odoo meanwhile: a held-back void stays a void).

        A new attempt (the user sends it again, after fixing what Xero
        refused) is a new write for Xero, not the replay of its refusal.
        """
        for doc in self:
            if not doc.xero_id:
                state = "to_send"
            else:
                state = "to_void" if doc.move_id.state == "cancel" else "to_update"
            values = {"state": state, "error": False}
            if state == "to_update":
                values["revision"] = doc.revision + 1
            if new_attempt:
                values["attempt"] = doc.attempt + 1
            doc.write(values)

    # -- what happens in Odoo -------------------------------------------------------

    @api.model
    def _on_posted(self, moves):
        """Posted (again): new documents are picked up by the job; sent ones may have changed."""
        moves = moves.filtered(lambda m: m.move_type in ("out_invoice", "out_refund"))
        if not moves:
            return
        bindings = self.sudo().search([("move_id", "in", moves.ids)])
        # A document still to update (maybe in a batch in flight) gets a newer revision too.
        for binding in bindings.filtered(lambda b: b.state in ("sent", "linked", "to_update")):
            binding.write({"state": "to_update", "revision": binding.revision + 1})
        bindings.filtered(lambda b: b.state in ("error", "blocked"))._requeue(new_attempt=True)
        for company in moves.company_id:
            self.env["xero.connection"]._accounting_connection(company)._enqueue_accounting_if_due()

    @api.model
    def _on_cancelled(self, moves):
        """Cancelled in Odoo: voided in Xero; never sent, simply forgotten."""
        bindings = self.sudo().search([("move_id", "in", moves.ids)])
        bindings.filtered(lambda b: b.xero_id and b.state != "voided").write({"state": "to_void", "error": False})
        # In a batch in flight, Xero may have it already: the batch settles it once Xero's id is known.
        in_flight = self.env["xero.outbox"]._in_flight(bindings.filtered(lambda b: not b.xero_id))
        (bindings.filtered(lambda b: not b.xero_id) - in_flight).unlink()
        bindings.exists().connection_id._enqueue_accounting_if_due()

    @api.model
    def _update_from_ledger(self, connection, entries):
        """Xero's status of sent documents, as the sales ledger read it."""
        by_id = {e.xero_id: e for e in entries}
        for doc in self.sudo().search([("connection_id", "=", connection.id), ("xero_id", "in", list(by_id))]):
            status = by_id[doc.xero_id].status
            if status and doc.xero_status != status:
                doc.xero_status = status

    @api.model
    def _cron_send(self):
        """Start sending where the start date has come (a future date waits for it), and catch up."""
        for conn in self.env["xero.connection"].sudo().search([("accounting_active", "=", True)]):
            if conn._accounting_due() and DocumentWriter(conn).work_pending():
                conn._enqueue_accounting_push()

    # -- what follows a send -------------------------------------------------------------

    def _followup_events(self, vals):
        """{binding id: "sent", "updated" or "voided"} for the bindings this write records as such."""
        events = {}
        for doc in self:
            if vals["state"] == "voided" and doc.state != "voided":
                events[doc.id] = "voided"
            elif vals["state"] == "sent" and "signature" in vals:  # what Xero answered to a send
                events[doc.id] = "updated" if doc.xero_id else "sent"
        return events

    def _plan_followups(self, events):
        """Number and store the steps that follow these events, and queue the job doing them."""
        by_connection = {}
        for doc in self.browse(list(events)):
            conn = doc.connection_id.sudo()
            event = events[doc.id]
            steps = [{"do": "note", "text": doc._history_note(event)}]
            invoice = doc.kind == accounting.INVOICE
            if event == "sent" and invoice and conn.attach_pdf:
                steps.append({"do": "pdf"})
            if event != "voided" and invoice and conn.show_online_invoice and not doc.online_url:
                steps.append({"do": "online_link"})
            planned = list(doc.followups or [])
            for number, step in enumerate(steps, start=doc.followup_seq + 1):
                planned.append(dict(step, n=number))
            doc.sudo().write(
                {"followups": planned, "followup_seq": doc.followup_seq + len(steps), "followup_pending": True}
            )
            by_connection[conn.id] = conn
        for conn in by_connection.values():
            conn._enqueue_followups()

    def _history_note(self, event):
        """The note Xero's History shows (at most 250 characters)."""
        self.ensure_one()
        conn = self.connection_id.sudo()
        name = self.move_id.name
        if event == "voided":
            return self.env._("Voided from Odoo: %s was cancelled there.", name)
        if event == "updated":
            text = self.env._("Updated from Odoo: %s was changed there.", name)
        else:
            text = self.env._("Sent from Odoo as %s.", name)
        shifted = conn._shifted_date(self.move_id.invoice_date)
        if shifted:
            text += " " + self.env._(
                "Dated %(odoo)s in Odoo; Xero's lock date is %(lock)s, so it is dated %(xero)s here.",
                odoo=self.move_id.invoice_date.isoformat(),
                lock=conn.lock_date.isoformat(),
                xero=shifted.isoformat(),
            )
        return text
