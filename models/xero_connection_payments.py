from odoo import fields, models
from odoo.exceptions import UserError

from .access import XERO_MANAGER, xero_check_access


class XeroConnection(models.Model):
    """Payments made in Xero, read back into Odoo: the setting and how far the read got."""

    _inherit = "xero.connection"

    payments_from_xero = fields.Boolean(
        string="Payments made in Xero come back",
        help="Payments recorded in Xero (e.g. reconciling the bank feed there) on invoices and credit notes "
        "sent from Odoo are registered and reconciled in Odoo, in the journal mapped to the Xero bank account.",
    )
    payments_read_to = fields.Datetime(
        readonly=True, help="Xero's time of the newest payment read: the next read asks only for newer changes."
    )
    payments_read_at = fields.Datetime(string="Payments read", readonly=True)

    def action_read_payments_from_xero(self):
        """Read the payments made in Xero now (with the sales ledger), not at the next periodic read."""
        self.ensure_one()
        xero_check_access(self, XERO_MANAGER, "write")
        if self.state != "connected":
            raise UserError(self.env._("Connect the company to Xero first."))
        if not self.payments_from_xero:
            raise UserError(self.env._('Switch on "Payments made in Xero come back" first.'))
        self.sudo()._enqueue_ledger_fetch()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._("The payments made in Xero will be read in the background."),
                "type": "info",
            },
        }
