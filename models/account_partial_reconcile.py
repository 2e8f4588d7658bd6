from odoo import api, models


class AccountPartialReconcile(models.Model):
    """Payments and credit notes matched with invoices: what Xero must hear of."""

    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        # Created with the caller's own rights (the ORM checks them): only then does the sudo()
        # below read which documents Xero holds, to queue their sending; nothing else is written.
        partials = super().create(vals_list)
        moves = (partials.debit_move_id | partials.credit_move_id).move_id
        sent = self.env["xero.document"].sudo().search([("move_id", "in", moves.ids), ("xero_id", "!=", False)])
        sent.connection_id._enqueue_accounting_if_due()
        return partials

    def unlink(self):
        # The caller's own rights first (the reconciliation, and the journal items it unmatches,
        # whose company rules apply): the sudo() below must not act for a refused one.
        self.check_access("unlink")
        (self.debit_move_id | self.credit_move_id).check_access("write")
        # Unmatched in Odoo: what Xero has is taken back; what it has not is forgotten.
        bindings = self.env["xero.payment"].sudo().search([("partial_id", "in", self.ids)])
        bindings.filtered(lambda p: p.state in ("sent", "error") and p.xero_id).write(
            {"state": "to_delete", "error": False}
        )
        # In a batch in flight, Xero may have it already: the batch settles it once Xero's id is known.
        unsent = bindings.filtered(lambda p: not p.xero_id)
        in_flight = self.env["xero.outbox"]._in_flight(unsent)
        in_flight.write({"state": "to_delete", "error": False})
        (unsent - in_flight).unlink()
        connections = bindings.exists().connection_id
        result = super().unlink()
        connections._enqueue_accounting_if_due()
        return result
