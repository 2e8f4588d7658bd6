from odoo import models
from odoo.tools import SQL

# Xero's ContactNumber: at most 50 characters, unique across the organisation's contacts.
CONTACT_NUMBER_MAX = 50


class XeroContact(models.Model):
    _inherit = "xero.contact"

    def _contact_number(self, partner):
        """The partner's reference as the new Xero contact's `ContactNumber`, or None.

        Xero takes a ContactNumber it already knows as "update that contact": a
        reference another Xero contact (or another partner) has is left out, so a
        push never overwrites someone else.
        """
        ref = (partner.ref or "").strip()
        if not ref or len(ref) > CONTACT_NUMBER_MAX:
            return None
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        if Partner.search_count([("ref", "=", ref), ("parent_id", "=", False)], limit=2) > 1:
            return None
        self.env["xero.contact"].flush_model(["xero_data"])
        taken = self.env.execute_query(
            SQL("SELECT 1 FROM xero_contact WHERE xero_data->>'ContactNumber' = %s LIMIT 1", ref)
        )
        return None if taken else ref
