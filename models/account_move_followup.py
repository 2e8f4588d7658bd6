import dataclasses

from odoo import fields, models

from ..xero_connector import accounting
from .account_move import XERO_GROUPS


class AccountMove(models.Model):
    """An invoice's date as Xero may take it (after the lock date), its PDF for Xero, and
    the link at which the customer sees it in Xero."""

    _inherit = "account.move"

    xero_online_url = fields.Char(
        string="Xero online invoice",
        related="xero_document_ids.online_url",
        groups=XERO_GROUPS,
        help="Where the customer sees this invoice in Xero.",
    )

    def _xero_document(self, maps, contact_id, base_currency=None):
        doc, problems = super()._xero_document(maps, contact_id, base_currency)
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
