import dataclasses

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..xero_connector import accounting
from ..xero_connector.messages import Message, _lt
from .access import XERO_USER, xero_check_access

XERO_MOVE_TYPES = {"out_invoice": accounting.INVOICE, "out_refund": accounting.CREDIT_NOTE}
# Who sees where an invoice stands in Xero: users with accounting rights.
XERO_GROUPS = f"account.group_account_invoice,account.group_account_readonly,{XERO_USER}"


class AccountMove(models.Model):
    """Where an invoice stands in Xero, the document as Xero takes it (dated after Xero's
    lock date when it must be), its PDF for Xero, and the link at which the customer sees
    it in Xero."""

    _inherit = "account.move"

    xero_document_ids = fields.One2many("xero.document", "move_id", string="In Xero")
    xero_document_id = fields.Many2one(
        "xero.document", compute="_compute_xero", string="Xero", compute_sudo=True, groups=XERO_GROUPS
    )
    xero_state = fields.Selection(
        selection=lambda self: self.env["xero.document"]._fields["state"].selection,
        compute="_compute_xero",
        compute_sudo=True,
        string="Xero status",
        groups=XERO_GROUPS,
    )
    xero_error = fields.Text(compute="_compute_xero", compute_sudo=True, string="Xero problem", groups=XERO_GROUPS)
    xero_totals_problem = fields.Text(compute="_compute_xero", compute_sudo=True, groups=XERO_GROUPS)
    xero_url = fields.Char(compute="_compute_xero", compute_sudo=True, groups=XERO_GROUPS)
    xero_number = fields.Char(compute="_compute_xero", compute_sudo=True, string="Number in Xero", groups=XERO_GROUPS)
    xero_voided_in_xero = fields.Boolean(
        compute="_compute_xero", compute_sudo=True, string="Voided in Xero", groups=XERO_GROUPS
    )
    xero_paid_in_xero_url = fields.Char(
        compute="_compute_xero",
        compute_sudo=True,
        string="Payment made in Xero",
        groups=XERO_GROUPS,
        help="The latest payment made in Xero and registered here, in Xero.",
    )
    xero_online_url = fields.Char(
        string="Xero online invoice",
        related="xero_document_ids.online_url",
        groups=XERO_GROUPS,
        help="Where the customer sees this invoice in Xero.",
    )

    @api.depends(
        "xero_document_ids.state",
        "xero_document_ids.error",
        "xero_document_ids.totals_problem",
        "xero_document_ids.xero_id",
        "xero_document_ids.xero_number",
        "xero_document_ids.voided_in_xero",
        "xero_document_ids.payment_ids.state",
    )
    @api.depends_context("lang")  # the held-back reason is translated
    def _compute_xero(self):
        # A company sends to one organisation: a document has one binding at most.
        for move in self:
            doc = move.xero_document_ids[:1]
            move.xero_document_id = doc
            move.xero_state = doc.state
            move.xero_error = doc.error
            move.xero_totals_problem = doc.totals_problem
            move.xero_url = doc.xero_url
            move.xero_number = doc.xero_number
            move.xero_voided_in_xero = doc.voided_in_xero
            received = doc.payment_ids.filtered(lambda p: p.state == "received" and p.xero_id)
            move.xero_paid_in_xero_url = received.sorted(lambda p: (p.date, p.id))[-1:].xero_url

    # -- what Xero hears of -------------------------------------------------------------

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        self.env["xero.document"]._on_posted(posted)
        return posted

    def button_cancel(self):
        result = super().button_cancel()
        self.env["xero.document"]._on_cancelled(self.filtered(lambda m: m.state == "cancel"))
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_xero(self):
        sent = (
            self.env["xero.document"]
            .sudo()
            .search([("move_id", "in", self.ids), ("xero_id", "!=", False), ("state", "!=", "voided")], limit=1)
        )
        if sent:
            raise UserError(
                self.env._(
                    "%s is in Xero: cancel it instead of deleting it, so that Xero voids it too.", sent.move_id.name
                )
            )

    def action_xero_send_again(self):
        xero_check_access(self, XERO_USER)
        return self.xero_document_id.action_send_again()

    # -- the document as Xero takes it ---------------------------------------------------

    def _xero_document(self, maps, contact_id, base_currency=None):
        """This customer invoice or credit note for Xero: (accounting.Document, problems).

        Amounts are Odoo's own, line by line (rounded as Odoo rounded them), so
        Xero's totals equal Odoo's. `problems` says in plain words what keeps
        it from being sent (a missing mapping, a tax Xero cannot take).
        """
        self.ensure_one()
        problems = []
        company_currency = self.company_id.currency_id
        if base_currency and base_currency != company_currency.name:
            # Messages, not text: the reason is written in every installed language (see xero_i18n).
            problems.append(
                Message(
                    _lt(
                        "The company's currency is %(ours)s but the Xero organisation's is %(theirs)s: Xero would "
                        "convert every amount. Connect a Xero organisation kept in %(ours)s."
                    ),
                    ours=company_currency.name,
                    theirs=base_currency,
                )
            )
        base_lines, _tax_lines = self._get_rounded_base_and_tax_lines()
        taxed = [line for line in base_lines if line["tax_ids"]]
        # Xero takes "tax included" for a whole document: only when every taxed line is.
        inclusive = bool(taxed) and all(any(t.price_include for t in line["tax_ids"]) for line in taxed)
        lines = []
        for base in base_lines:
            record, details, taxes = base["record"], base["tax_details"], base["tax_ids"]
            description = (record.name if record else None) or base.get("name") or record.product_id.display_name or "-"
            if len(taxes) > 1:
                problems.append(
                    Message(
                        _lt(
                            'Line "%(line)s" has several taxes (%(taxes)s): Xero takes one tax rate a line. Use one '
                            "Odoo tax for them (a group of taxes) and map it."
                        ),
                        line=description,
                        taxes=", ".join(taxes.mapped("name")),
                    )
                )
            subtotal = details["total_excluded_currency"] + details["delta_total_excluded_currency"]
            tax = sum(t["tax_amount_currency"] for t in details["taxes_data"])
            account = base["account_id"] or record.account_id
            lines.append(
                accounting.odoo_line(
                    description,
                    base["quantity"],
                    base["price_unit"],
                    base["discount"],
                    subtotal + tax if inclusive else subtotal,
                    account_code=maps.account_code(account.id, account.code),
                    tax_type=maps.tax_type(taxes.ids),
                    tax_amount=tax,
                    odoo_account_label=accounting.odoo_label(account.code, account.name),
                    odoo_tax_label=accounting.odoo_label(None, taxes[0].name) if taxes else None,
                )
            )
        if not lines:
            problems.append(
                Message(_lt("%(number)s has no lines with an amount: Xero needs at least one."), number=self.name)
            )
        kind = XERO_MOVE_TYPES[self.move_type]
        doc = accounting.Document(
            key=self.id,
            kind=kind,
            number=self.name,
            contact_id=contact_id or "",
            date=self.invoice_date,
            due_date=self.invoice_date_due if kind == accounting.INVOICE else None,
            currency=self.currency_id.name,
            currency_rate=self.invoice_currency_rate if self.currency_id != company_currency else None,
            reference=self.ref or None,
            lines=tuple(lines),
            amount_untaxed=self.amount_untaxed,
            amount_tax=self.amount_tax,
            amount_total=self.amount_total,
            tax_included=inclusive,
            url=f"{self.get_base_url()}/odoo/account.move/{self.id}",
        )
        missing = accounting.missing_mappings(doc, maps.xero_account_codes, set(maps.tax_rates))
        problems += missing or accounting.tax_mismatches(doc, maps.tax_rates)
        conn = self.env["xero.connection"].sudo().search([("company_id", "=", self.company_id.id)], limit=1)
        shifted = conn._shifted_date(doc.date)
        if shifted:
            # Xero refuses it on or before its lock date: it goes dated the day after, the
            # Odoo date kept in the reference (and in the history note).
            odoo_date = self.env._("Odoo date %s", accounting.as_date(doc.date).isoformat())
            due = accounting.as_date(doc.due_date)
            doc = dataclasses.replace(
                doc,
                date=shifted,
                due_date=max(due, shifted) if due else None,
                reference=f"{doc.reference} ({odoo_date})" if doc.reference else odoo_date,
            )
        return doc, problems

    def _xero_pdf(self):
        """(content, file name) of the invoice's PDF: the one sent to the customer, else Odoo's report."""
        self.ensure_one()
        document = self._get_invoice_legal_documents("pdf")
        if document:
            return document["content"], document["filename"]
        report = self.env.ref("account.account_invoices")
        content, _kind = self.env["ir.actions.report"].sudo()._render_qweb_pdf(report, self.ids)
        return content, self._get_invoice_report_filename(report=report)
