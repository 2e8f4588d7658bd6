from odoo import fields, models

from ..xero_connector import webhooks


class XeroConnection(models.Model):
    """What Xero's webhooks have already told each organisation."""

    _inherit = "xero.connection"

    webhook_seen_events = fields.Json(
        groups="xero_connector.group_xero_manager",
        readonly=True,
        copy=False,
        help="Digests of the latest webhook events received: a replayed delivery queues no new work.",
    )

    def _webhook_receive(self, events):
        """Queue a contacts read for each connection (already verified) whose organisation has new events.

        Xero resends a delivery it thinks failed, and anyone who captured a
        signed delivery can replay it: events already seen queue nothing.
        """
        for conn in self.sudo().filtered(lambda c: c.state == "connected" and c.tenant_id):
            digests = webhooks.contact_change_digests(events, conn.tenant_id)
            seen = conn.webhook_seen_events or []
            if not digests or set(digests) <= set(seen):
                continue
            conn.webhook_seen_events = webhooks.remember(seen, digests)
            conn._enqueue_contacts_fetch()
