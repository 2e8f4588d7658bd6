from odoo import api, fields, models

from .access import XERO_MANAGER
from .xero_document import SENT_STATES


class XeroDocument(models.Model):
    """A document sent from Odoo and voided in Xero (not from Odoo): shown on the Odoo
    invoice, and the accountant gets an activity. It is not cancelled in Odoo by itself:
    the accountant decides (a credit note, a cancellation, or asking Xero's side)."""

    _inherit = "xero.document"

    voided_in_xero = fields.Boolean(string="Voided in Xero", readonly=True)

    @api.model
    def _notice_voided_in_xero(self, connection):
        """Mark the sent documents Xero's ledger now says VOIDED, once each, with an activity."""
        docs = self.sudo().search(
            [
                ("connection_id", "=", connection.id),
                ("state", "in", SENT_STATES),
                ("xero_status", "=", "VOIDED"),
                ("voided_in_xero", "=", False),
            ]
        )
        for doc in docs:
            doc.voided_in_xero = True
            move = doc.move_id
            user = move.invoice_user_id.filtered(lambda u: u.active and not u.share and u.has_group(XERO_MANAGER))
            if not user:
                managers = (
                    self.env.ref(XERO_MANAGER)
                    .sudo()
                    .all_user_ids.filtered(
                        lambda u, company=move.company_id: u.active and not u.share and company in u.company_ids
                    )
                )
                user = managers[:1] or self.env.ref("base.user_admin")
            move.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=user.id,
                summary=self.env._("%s was voided in Xero", move.name),
                note=self.env._(
                    "%s was voided in Xero. It is still posted in Odoo: cancel it, credit it, "
                    "or ask who voided it in Xero.",
                    move.name,
                ),
            )
            move._message_log(body=self.env._("Voided in Xero (not in Odoo): left as it is here."))
