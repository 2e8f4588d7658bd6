from markupsafe import Markup, escape

from odoo import api, fields, models

from ..models.access import XERO_USER, xero_check_access


class XeroContactLink(models.TransientModel):
    """Pick the Odoo partner a Xero contact is; suggestions come first."""

    _name = "xero.contact.link"
    _description = "Link a Xero contact to an Odoo partner"

    contact_id = fields.Many2one("xero.contact", required=True, readonly=True)
    partner_id = fields.Many2one(
        "res.partner", string="Odoo partner", required=True, domain="[('parent_id', '=', False)]"
    )
    suggestions = fields.Html(compute="_compute_suggestions", sanitize=False)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        contact = self.env["xero.contact"].browse(values.get("contact_id"))
        if contact:
            xero_check_access(contact, XERO_USER)
        if contact and "partner_id" in fields_list:
            ranked = contact._ranked_suggestions()
            values["partner_id"] = ranked[0][0] if ranked else False
        return values

    @api.depends("contact_id")
    def _compute_suggestions(self):
        for wizard in self:
            ranked = wizard.contact_id._ranked_suggestions() if wizard.contact_id else []
            partners = self.env["res.partner"].browse([pid for pid, _reason in ranked])
            rows = [
                Markup("<li>%s <span class='text-muted'>(%s)</span></li>") % (partner.display_name, reason)
                for partner, (_pid, reason) in zip(partners, ranked, strict=True)
            ]
            wizard.suggestions = (
                Markup("<ul class='mb-0'>%s</ul>") % Markup("").join(rows)
                if rows
                else escape(self.env._("No partner looks like this contact: choose one, or import it instead."))
            )

    def action_link(self):
        xero_check_access(self.contact_id, XERO_USER)
        self.contact_id._link(self.partner_id)
        return {"type": "ir.actions.client", "tag": "soft_reload"}
