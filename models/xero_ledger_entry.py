from odoo import api, fields, models
from odoo.tools.misc import formatLang

XERO_APP_URL = "https://go.xero.com/app"
OPEN_STATES = ("AUTHORISED",)


class XeroLedgerEntry(models.Model):
    """One document of a Xero contact's sales ledger, as Xero last sent it.

    Sales invoices (ACCREC) and credit notes (ACCRECCREDIT) of the company's
    organisation, those created directly in Xero included. Amounts are signed
    from the customer's point of view: a credit note counts negative.
    """

    _name = "xero.ledger.entry"
    _check_company_auto = True
    _description = "Xero sales ledger entry"
    _order = "date desc, id desc"

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    contact_xero_id = fields.Char(string="Xero contact id", required=True, index=True)
    contact_id = fields.Many2one(
        "xero.contact", string="Xero contact", ondelete="set null", index="btree_not_null", check_company=True
    )
    xero_id = fields.Char(string="Xero document id", required=True)
    doc_type = fields.Selection([("invoice", "Invoice"), ("credit_note", "Credit note")], string="Type", required=True)
    name = fields.Char(string="Number")
    reference = fields.Char()
    date = fields.Date()
    due_date = fields.Date()
    currency_code = fields.Char(string="Currency")
    currency_id = fields.Many2one("res.currency", string="Odoo currency")
    total = fields.Monetary()
    amount_due = fields.Monetary()
    status = fields.Selection(
        [
            ("DRAFT", "Draft"),
            ("SUBMITTED", "Awaiting approval"),
            ("AUTHORISED", "Awaiting payment"),
            ("PAID", "Paid"),
            ("VOIDED", "Voided"),
        ]
    )
    xero_updated_at = fields.Datetime(string="Changed in Xero")
    is_overdue = fields.Boolean(string="Overdue", compute="_compute_is_overdue")
    xero_url = fields.Char(string="Open in Xero", compute="_compute_xero_url")

    _xero_id_uniq = models.UniqueIndex("(connection_id, xero_id)", "A Xero document is recorded once.")

    @api.depends("doc_type", "status", "due_date", "amount_due")
    def _compute_is_overdue(self):
        today = fields.Date.context_today(self)
        for entry in self:
            entry.is_overdue = (
                entry.doc_type == "invoice"
                and entry.status in OPEN_STATES
                and entry.amount_due > 0
                and bool(entry.due_date)
                and entry.due_date < today
            )

    @api.depends("connection_id.short_code", "xero_id")
    def _compute_xero_url(self):
        for entry in self:
            code = entry.connection_id.short_code
            # Credit notes open at the same address as invoices, with their own id.
            entry.xero_url = f"{XERO_APP_URL}/{code}/invoicing/view/{entry.xero_id}" if code else False

    # -- reading from Xero (synchronizers/ledger_reader.py) --------------------------

    @api.model
    def _cron_fetch(self):
        """Queue an incremental read of every connected organisation's ledger."""
        for connection in (
            self.env["xero.connection"].sudo().search([("state", "=", "connected"), ("enabled", "=", True)])
        ):
            connection._enqueue_ledger_fetch()

    @api.model
    def _as_xero_records(self, connection, numbers):
        """The entries with these numbers, shaped as Xero lists them (for `accounting.preview`)."""
        entries = self.sudo().search([("connection_id", "=", connection.id), ("name", "in", list(set(numbers)))])
        records = []
        for entry in entries:
            invoice = entry.doc_type == "invoice"
            records.append(
                {
                    "Type": "ACCREC" if invoice else "ACCRECCREDIT",
                    "InvoiceNumber" if invoice else "CreditNoteNumber": entry.name,
                    "InvoiceID" if invoice else "CreditNoteID": entry.xero_id,
                    "Contact": {"ContactID": entry.contact_xero_id, "Name": entry.contact_id.name or None},
                    "Status": entry.status,
                }
            )
        return records

    # -- totals shown on the partner -----------------------------------------------

    def _totals_text(self, overdue=False):
        """Open amounts per currency, e.g. "1,380.00 NZD, 200.00 USD"."""
        amounts = {}
        for entry in self:
            if entry.status not in OPEN_STATES or (overdue and not entry.is_overdue):
                continue
            amounts[entry.currency_code] = amounts.get(entry.currency_code, 0.0) + entry.amount_due
        parts = [
            f"{formatLang(self.env, amount)} {code or ''}".strip()
            for code, amount in sorted(amounts.items(), key=lambda item: item[0] or "")
            if round(amount, 2)
        ]
        return ", ".join(parts) or self.env._("None")
