from odoo import api, fields, models

from .xero_ledger_entry import XERO_APP_URL


class XeroContact(models.Model):
    """The sales ledger of a Xero contact, and how its last refresh went."""

    _inherit = "xero.contact"

    ledger_entry_ids = fields.One2many("xero.ledger.entry", "contact_id", string="Sales ledger")
    ledger_refreshed_at = fields.Datetime(string="Ledger refreshed", readonly=True)
    ledger_error = fields.Text(readonly=True, help="Why the last refresh of the ledger failed, in plain words.")
    xero_contact_url = fields.Char(string="Contact in Xero", compute="_compute_xero_contact_url")

    @api.depends("connection_id.short_code", "xero_id")
    def _compute_xero_contact_url(self):
        for contact in self:
            code = contact.connection_id.short_code
            contact.xero_contact_url = f"{XERO_APP_URL}/{code}/contacts/contact/{contact.xero_id}" if code else False
