from odoo import api, fields, models

from ..xero_connector import fieldmap
from ..xero_connector.messages import Message
from .access import XERO_USER, xero_check_access
from .xero_i18n import translate


class XeroDifference(models.Model):
    """One mapped field that differs between a synced partner and its Xero contact.

    The lines are derived: `xero.contact._refresh_differences()` rewrites
    them from the three-way comparison whenever either side changes.
    """

    _name = "xero.difference"
    _description = "Difference with Xero"
    _order = "sequence, id"
    _check_company_auto = True

    contact_id = fields.Many2one("xero.contact", required=True, ondelete="cascade", index=True)
    partner_id = fields.Many2one(related="contact_id.partner_id", store=True, index=True)
    company_id = fields.Many2one(related="contact_id.company_id", store=True)
    key = fields.Char(required=True)
    sequence = fields.Integer()
    # In the reader's language: computed from the key, not stored.
    label = fields.Char(string="Field", compute="_compute_label")
    local_value = fields.Char(string="In Odoo")
    remote_value = fields.Char(string="In Xero")
    kind = fields.Selection(
        [
            ("push", "Changed in Odoo"),
            ("pull", "Changed in Xero"),
            ("conflict", "Changed on both sides"),
            ("unsynced", "Differs since the link"),
        ],
        required=True,
    )
    can_push = fields.Boolean()
    can_pull = fields.Boolean()
    signature = fields.Char(required=True)

    @api.depends("key")
    @api.depends_context("lang")
    def _compute_label(self):
        for line in self:
            line.label = (
                translate(self.env, Message(fieldmap.label(line.key))) if line.key in fieldmap.KEYS else line.key
            )

    def action_push(self):
        xero_check_access(self, XERO_USER)
        return self.env["xero.contact"].sudo()._push_fields(self.sudo())

    def action_pull(self):
        xero_check_access(self, XERO_USER)
        # Pulling edits the partners: the caller must be allowed to.
        self.partner_id.check_access("write")
        self.env["xero.contact"].sudo()._pull_fields(self.sudo())
        return True

    def action_ignore(self):
        xero_check_access(self, XERO_USER)
        self.env["xero.contact"].sudo()._ignore_differences(self.sudo())
        return True
