from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import formatLang

from ..models.access import XERO_MANAGER, xero_check_access
from ..models.xero_i18n import translate
from ..synchronizers.contact_reader import ContactReader
from ..synchronizers.document_writer import DocumentWriter
from ..synchronizers.ledger_reader import LedgerReader
from ..synchronizers.reference_reader import ReferenceReader
from ..xero_connector import accounting

KIND_WORDS = {accounting.INVOICE: "Invoices", accounting.CREDIT_NOTE: "Credit notes"}
# A preview of more documents than this (ir.config_parameter xero_connector.preview_inline_limit)
# is built by a job: reading Xero first may take minutes, longer than an HTTP request may.
PREVIEW_INLINE_LIMIT = 200


class XeroAccountingPreview(models.TransientModel):
    """What sending from the start date would send, before anything is sent.

    Built from Xero as it is now (its accounts, tax rates, contacts and sales
    documents are read first): documents Xero already holds with the same
    number for the same customer are listed to be linked, not sent again;
    those a missing mapping holds back are listed with what is missing.
    """

    _name = "xero.accounting.preview"
    _description = "Preview of the accounting data sent to Xero"
    _check_company_auto = True

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade", check_company=True)
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    start_date = fields.Date(related="connection_id.accounting_start_date")
    future = fields.Boolean(readonly=True, help="The start date is still to come: nothing is sent before it.")
    invoice_count = fields.Integer(string="Invoices to send", readonly=True)
    credit_note_count = fields.Integer(string="Credit notes to send", readonly=True)
    payment_count = fields.Integer(string="Payments to send", readonly=True)
    allocation_count = fields.Integer(string="Credit note allocations", readonly=True)
    totals_text = fields.Text(string="Amounts", readonly=True)
    oldest_date = fields.Date(string="Oldest", readonly=True)
    newest_date = fields.Date(string="Newest", readonly=True)
    link_count = fields.Integer(string="Already in Xero", readonly=True)
    problem_count = fields.Integer(string="Cannot be sent yet", readonly=True)
    new_customer_count = fields.Integer(string="Customers to create in Xero", readonly=True)
    state = fields.Selection(
        [("building", "Being prepared"), ("ready", "Ready")],
        default="ready",
        readonly=True,
        help="A large preview is prepared in the background (Xero is read first): it opens when ready.",
    )
    job_id = fields.Many2one("xero.job", readonly=True, help="The background job preparing this preview.")
    job_state = fields.Selection(related="job_id.state", string="Preparation")
    job_progress = fields.Float(related="job_id.progress", string="Prepared (%)")
    job_error = fields.Text(related="job_id.error", string="Problem")
    line_ids = fields.One2many("xero.accounting.preview.line", "preview_id")
    send_line_ids = fields.One2many(
        "xero.accounting.preview.line", "preview_id", domain=[("category", "=", "send")], string="To send"
    )
    link_line_ids = fields.One2many(
        "xero.accounting.preview.line", "preview_id", domain=[("category", "=", "link")], string="To link"
    )
    problem_line_ids = fields.One2many(
        "xero.accounting.preview.line",
        "preview_id",
        domain=[("category", "in", ("blocked", "taken"))],
        string="Problems",
    )

    def _writer(self, connection):
        """The sender this preview is a dry run of, in the preview's environment."""
        return DocumentWriter(connection.with_env(self.env))

    def _in_scope(self, connection):
        """What sending covers (the sender's scope), not yet in Xero."""
        return self.env["account.move"].search(self._writer(connection).unsent_domain(), order="invoice_date, id")

    def _build(self):
        """Prepare the preview now, or, when it is large, queue the job that prepares it."""
        self.ensure_one()
        connection = self.connection_id.sudo()
        if connection.accounting_start_date > fields.Date.context_today(self):
            self.future = True
            return
        limit = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("xero_connector.preview_inline_limit", PREVIEW_INLINE_LIMIT)
        )
        if len(self._in_scope(connection)) > limit:
            self.state = "building"
            self.job_id = self.env["xero.job"]._enqueue(
                connection,
                "accounting_preview",
                self.env._("Prepare the preview of the accounting data sent to Xero"),
                records=self,
                identity_key=f"accounting_preview:{self.id}",
                payload={"phase": "reference"},
            )
            return
        # Xero as it is now: what it already holds is linked, not sent again.
        ReferenceReader(connection).read_reference()
        ContactReader(connection.with_env(self.env)).fetch_changes()
        LedgerReader(connection).read_changes()
        self._plan(connection)

    def _tell_ready(self):
        """The manager who asked is told in their browser (the preview itself opens from its button)."""
        self.ensure_one()
        self.env["bus.bus"]._sendone(
            self.create_uid.partner_id,
            "simple_notification",
            {
                "type": "success",
                "title": self.env._("Xero preview ready"),
                "message": self.env._(
                    "The preview of the accounting data sent to Xero is ready: open it from Settings > Xero "
                    "(Preview and start sending)."
                ),
            },
        )

    def _plan(self, connection):
        """What would be sent, linked or held back, from Xero as the bindings now mirror it."""
        moves = self._in_scope(connection)
        contacts = {
            c.partner_id.id: c.xero_id
            for c in self.env["xero.contact"]
            .sudo()
            .search([("connection_id", "=", connection.id), ("partner_id", "in", moves.commercial_partner_id.ids)])
        }
        maps = connection._accounting_mappings()
        docs, lines = [], []
        for move in moves:
            doc, problems = move._xero_document(
                maps, contacts.get(move.commercial_partner_id.id), connection.base_currency
            )
            if problems:
                reason = "\n".join(translate(self.env, problem) for problem in problems)
                lines.append({"move_id": move.id, "category": "blocked", "reason": reason})
            else:
                docs.append(doc)
        plan = self._writer(connection).in_xero(docs)
        linked_words = self.env._("Xero holds it with the same number for the same customer: linked, not sent again.")
        for doc, _xero_id in plan.already_in_xero:
            lines.append({"move_id": doc.key, "category": "link", "reason": linked_words})
        taken = dict((d.key, words) for d, words in plan.number_taken)
        for doc in plan.to_send:
            if doc.key in taken:
                lines.append({"move_id": doc.key, "category": "taken", "reason": taken[doc.key]})
            else:
                new = not doc.contact_id
                reason = self.env._("The customer is created in Xero first (or linked if it is there).") if new else ""
                lines.append({"move_id": doc.key, "category": "send", "reason": reason})
        sending = self.env["account.move"].browse([x["move_id"] for x in lines if x["category"] == "send"])
        partials = sending.line_ids.filtered(lambda line: line.account_type == "asset_receivable").matched_credit_ids
        allocations = partials.filtered(lambda p: p.credit_move_id.move_id.move_type == "out_refund")
        self.write(
            {
                "line_ids": [fields.Command.create(values) for values in lines],
                "invoice_count": len(sending.filtered(lambda m: m.move_type == "out_invoice")),
                "credit_note_count": len(sending.filtered(lambda m: m.move_type == "out_refund")),
                "payment_count": len(partials - allocations),
                "allocation_count": len(allocations),
                "totals_text": self._totals_text(sending),
                "oldest_date": min(sending.mapped("invoice_date"), default=False),
                "newest_date": max(sending.mapped("invoice_date"), default=False),
                "link_count": len(plan.already_in_xero),
                "problem_count": len([x for x in lines if x["category"] in ("blocked", "taken")]),
                "new_customer_count": len(sending.commercial_partner_id.filtered(lambda p: p.id not in contacts)),
                "state": "ready",
            }
        )

    def _totals_text(self, moves):
        totals = {}
        for move in moves:
            key = (
                KIND_WORDS[accounting.INVOICE if move.move_type == "out_invoice" else accounting.CREDIT_NOTE],
                move.currency_id,
            )
            totals[key] = totals.get(key, 0.0) + move.amount_total
        return "\n".join(
            f"{words}: {formatLang(self.env, amount, currency_obj=currency)}"
            for (words, currency), amount in sorted(totals.items(), key=lambda item: (item[0][0], item[0][1].name))
        )

    def action_refresh(self):
        """The preview again, as far as it is prepared (ready: the whole preview)."""
        self.ensure_one()
        xero_check_access(self, XERO_MANAGER)
        xero_check_access(self.connection_id, XERO_MANAGER)
        return self._open()

    @api.private
    def _open(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send accounting data to Xero"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_confirm(self):
        """Switch sending on: the back-sync starts now (or on the start date)."""
        self.ensure_one()
        xero_check_access(self, XERO_MANAGER, "write")
        if self.state != "ready":
            raise UserError(self.env._("The preview is still being prepared: confirm it once it is ready."))
        xero_check_access(self.connection_id, XERO_MANAGER, "write")
        connection = self.connection_id.sudo()
        connection.accounting_active = True
        if connection._accounting_due():
            connection._enqueue_accounting_push()
            message = self.env._("Sending to Xero has started in the background (Contacts > Xero > Jobs).")
        else:
            message = self.env._(
                "Sending to Xero starts on %s.", fields.Date.to_string(connection.accounting_start_date)
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": message, "type": "success", "next": {"type": "ir.actions.act_window_close"}},
        }
