from odoo import fields, models


class XeroConnection(models.Model):
    """How far the background read of the organisation's sales ledger got."""

    _inherit = "xero.connection"

    ledger_invoices_read_to = fields.Datetime(
        readonly=True, help="Xero's time of the newest sales invoice read: the next read asks only for newer changes."
    )
    ledger_credit_notes_read_to = fields.Datetime(
        readonly=True, help="Xero's time of the newest sales credit note read."
    )
    ledger_read_at = fields.Datetime(string="Sales ledger read", readonly=True)

    def _enqueue_ledger_fetch(self):
        return self._enqueue_once("ledger_fetch", self.env._("Read the sales ledger from Xero"), "xero.ledger.entry")
