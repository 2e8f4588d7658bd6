from odoo import fields, models


class XeroAccountingPreviewLine(models.TransientModel):
    """One document of the preview: to send, to link, or held back (and why)."""

    _name = "xero.accounting.preview.line"
    _description = "Document of the Xero accounting preview"
    _order = "category, date, id"

    preview_id = fields.Many2one("xero.accounting.preview", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="preview_id.company_id", store=True)
    move_id = fields.Many2one("account.move", string="Document", required=True)
    partner_id = fields.Many2one(related="move_id.commercial_partner_id", string="Customer")
    date = fields.Date(related="move_id.invoice_date", string="Date", store=True)
    amount_total = fields.Monetary(related="move_id.amount_total", string="Total")
    currency_id = fields.Many2one(related="move_id.currency_id")
    category = fields.Selection(
        [
            ("send", "To send"),
            ("link", "Already in Xero: linked"),
            ("taken", "Number used in Xero"),
            ("blocked", "Held back"),
        ],
        required=True,
    )
    reason = fields.Text()
