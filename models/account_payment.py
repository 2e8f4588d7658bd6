from odoo import api, fields, models

from .account_move import XERO_GROUPS


class AccountPayment(models.Model):
    """A payment registered from Xero leads back to it."""

    _inherit = "account.payment"

    xero_payment_ids = fields.One2many("xero.payment", "account_payment_id", string="From Xero")
    xero_url = fields.Char(string="Payment in Xero", compute="_compute_xero_url", compute_sudo=True, groups=XERO_GROUPS)

    @api.depends("xero_payment_ids.xero_url")
    def _compute_xero_url(self):
        for payment in self:
            payment.xero_url = payment.xero_payment_ids.filtered("xero_id")[:1].xero_url
