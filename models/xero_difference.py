from odoo import api, fields, models
from odoo.exceptions import UserError

from ..synchronizers.contact_writer import ContactWriter
from ..xero_connector import fieldmap
from ..xero_connector.errors import XeroError
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
        """Send Odoo's values to Xero, for these lines (one call per 50 contacts)."""
        xero_check_access(self, XERO_USER)
        lines = self.sudo()
        work = []
        for contact in lines.contact_id:
            keys = lines.filtered(lambda d, contact=contact: d.contact_id == contact and d.can_push).mapped("key")
            if keys:
                work.append((contact, keys))
        refused = []
        try:
            for connection in lines.contact_id.connection_id:
                mine = [(contact, keys) for contact, keys in work if contact.connection_id == connection]
                refused += ContactWriter(connection).push_to_xero(mine, lines.env._("Pushed to Xero"))
        except XeroError as exc:
            # The request is undone, nothing recorded: Xero's words, and pushing again is safe
            # (an update lands the same however often it is sent).
            raise UserError(translate(lines.env, exc.message)) from exc
        if refused:
            # Nothing changed on either side: say so where the user looks.
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {"message": "\n".join(refused), "type": "danger", "sticky": True},
            }
        return True

    def action_pull(self):
        """Write Xero's values into the partners, for these lines."""
        xero_check_access(self, XERO_USER)
        # Pulling edits the partners: the caller must be allowed to.
        self.partner_id.check_access("write")
        lines = self.sudo()
        Contact = lines.env["xero.contact"]
        # Read everything first: writing the partner rewrites the difference lines.
        todo = [
            (contact, lines.filtered(lambda d, c=contact: d.contact_id == c and d.can_pull).mapped("key"))
            for contact in lines.contact_id
        ]
        for contact, keys in todo:
            if not keys:
                continue
            remote = contact.remote_values or {}
            before = contact._local_values()
            contact.partner_id._xero_write_values({k: remote.get(k) for k in keys})
            contact.synced_values = dict(contact.synced_values or {}, **{k: remote.get(k) for k in keys})
            contact.sync_error = False
            contact.partner_id.message_post(
                body=Contact._changes_message(lines.env._("Pulled from Xero"), keys, before, remote)
            )
        Contact.browse([contact.id for contact, _keys in todo])._refresh_differences()
        return True

    def action_ignore(self):
        """Ignore these lines until a value changes on either side."""
        xero_check_access(self, XERO_USER)
        lines = self.sudo()
        # Read everything first: refreshing rewrites the difference lines.
        contacts = lines.contact_id
        for contact in contacts:
            mine = lines.filtered(lambda d, contact=contact: d.contact_id == contact)
            contact.ignored_signatures = sorted(set(contact.ignored_signatures or []) | set(mine.mapped("signature")))
            contact.partner_id.message_post(
                body=lines.env._("Difference with Xero ignored: %s.", ", ".join(mine.mapped("label")))
            )
        contacts._refresh_differences()
        return True
