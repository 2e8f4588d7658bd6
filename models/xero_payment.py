from odoo import api, fields, models

from ..xero_connector import accounting
from .xero_document import STATES
from .xero_ledger_entry import XERO_APP_URL

XERO_DEEP_LINK = "https://go.xero.com/organisationlogin/default.aspx?shortcode={code}&redirecturl={path}"
# Where Xero shows a payment (a bank transaction of the bank account it went into).
XERO_PAYMENT_PATH = "/Bank/ViewTransaction.aspx?bankTransactionID={id}"


class XeroPayment(models.Model):
    """A payment of a sent invoice (or refund of a sent credit note), or a credit
    note's allocation to an invoice, and its Xero counterpart.

    One record per Odoo reconciliation (account.partial.reconcile) between a
    sent invoice or credit note and a bank or cash payment (a Xero payment into
    the mapped bank account), or between a sent invoice and a sent credit note
    (a Xero allocation). Sent by synchronizers/payment_writer.py.

    Those dated on or before Xero's lock date go dated the day after it when the
    connection says so (`lock_date_shift`), instead of being held back.
    """

    _name = "xero.payment"
    _description = "Xero payment or allocation"
    _order = "date desc, id desc"
    _check_company_auto = True

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    kind = fields.Selection(
        [("payment", "Payment"), ("allocation", "Credit note allocation")], required=True, readonly=True
    )
    partial_id = fields.Many2one(
        "account.partial.reconcile", string="Odoo reconciliation", ondelete="set null", index="btree_not_null"
    )
    document_id = fields.Many2one(
        "xero.document",
        required=True,
        check_company=True,
        ondelete="cascade",
        index=True,
        readonly=True,
        help="The invoice paid or credited, or the credit note refunded.",
    )
    credit_note_id = fields.Many2one(
        "xero.document", string="Credit note", ondelete="cascade", readonly=True, check_company=True
    )
    origin_move_id = fields.Many2one(
        "account.move",
        string="Payment entry",
        readonly=True,
        check_company=True,
        help="The Odoo entry that paid or credited the invoice.",
    )
    journal_id = fields.Many2one("account.journal", readonly=True, check_company=True)
    date = fields.Date(readonly=True)
    amount = fields.Monetary(readonly=True, help="In the invoice's currency.")
    currency_id = fields.Many2one("res.currency", readonly=True)
    currency_rate = fields.Float(digits=0, readonly=True, help="Units of the invoice currency for one company unit.")
    state = fields.Selection(
        [
            *STATES,
            ("to_delete", "Removed in Odoo, to delete in Xero"),
            ("deleted", "Deleted in Xero"),
            ("received", "Made in Xero, registered in Odoo"),
            ("held", "Made in Xero, held back"),
            ("removed", "Deleted in Xero, cancelled in Odoo"),
        ],
        default="to_send",
        required=True,
        index=True,
        readonly=True,
    )
    xero_id = fields.Char(string="Xero id", readonly=True)
    attempt = fields.Integer(readonly=True, help="Raised when sent again: Xero then takes it as a new write.")
    error = fields.Text(readonly=True)
    odoo_date = fields.Date(readonly=True, help="The Odoo date, when Xero's lock date made it go dated later.")

    _partial_uniq = models.UniqueIndex(
        "(connection_id, partial_id) WHERE partial_id IS NOT NULL", "A reconciliation is sent once per organisation."
    )

    # -- payments made in Xero, read back (synchronizers/payment_reader.py) ------------------------

    origin = fields.Selection(
        [("odoo", "Made in Odoo"), ("xero", "Made in Xero")], default="odoo", required=True, readonly=True
    )
    account_payment_id = fields.Many2one(
        "account.payment", string="Odoo payment", readonly=True, check_company=True, index="btree_not_null"
    )
    xero_account_id = fields.Char(string="Xero bank account id", readonly=True)
    xero_account_name = fields.Char(string="Xero bank account", readonly=True)
    reference = fields.Char(readonly=True)
    xero_url = fields.Char(string="Open in Xero", compute="_compute_xero_url")

    _xero_id_uniq = models.UniqueIndex(
        "(connection_id, kind, xero_id) WHERE xero_id IS NOT NULL",
        "A Xero payment or allocation is recorded once per organisation.",
    )

    @api.depends("connection_id.short_code", "xero_id", "kind")
    def _compute_xero_url(self):
        for payment in self:
            code = payment.connection_id.short_code
            if code and payment.xero_id and payment.kind == "payment":
                path = XERO_PAYMENT_PATH.format(id=payment.xero_id)
                payment.xero_url = XERO_DEEP_LINK.format(code=code, path=path)
            elif code and payment.kind == "allocation" and payment.credit_note_id.xero_id:
                payment.xero_url = f"{XERO_APP_URL}/{code}/invoicing/view/{payment.credit_note_id.xero_id}"
            else:
                payment.xero_url = False

    def _hold_locked(self, connection):
        """Hold back those dated on or before Xero's lock date (Xero would refuse the whole
        request for them), or dated the day after it when the connection says so; return the others."""
        for payment in self:
            shifted = connection._shifted_date(payment.date)
            if shifted:
                payment.write({"odoo_date": payment.odoo_date or payment.date, "date": shifted})
        held = self.browse()
        for payment in self:
            reason = accounting.locked(payment.display_name, payment.date, connection.lock_date)
            if reason:
                payment.write({"state": "blocked", "error": reason})
                held |= payment
        return self - held

    @api.depends("kind", "origin_move_id", "amount")
    def _compute_display_name(self):
        for payment in self:
            what = dict(self._fields["kind"].selection)[payment.kind]
            payment.display_name = f"{what} {payment.origin_move_id.name or ''}".strip()

    def _requeue(self, new_attempt=False):
        """Back in the queue: sent, or deleted in Xero when undone in Odoo meanwhile
        (a held-back deletion stays a deletion, never a second payment)."""
        for payment in self:
            undone = payment.xero_id and not payment.partial_id
            values = {"state": "to_delete" if undone else "to_send", "error": False}
            if new_attempt:
                values["attempt"] = payment.attempt + 1
            payment.write(values)
