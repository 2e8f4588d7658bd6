from odoo import fields, models


class XeroPayment(models.Model):
    """Payments dated on or before Xero's lock date go dated the day after it when the
    connection says so (`lock_date_shift`), instead of being held back."""

    _inherit = "xero.payment"

    odoo_date = fields.Date(readonly=True, help="The Odoo date, when Xero's lock date made it go dated later.")

    def _hold_locked(self, connection):
        for payment in self:
            shifted = connection._shifted_date(payment.date)
            if shifted:
                payment.write({"odoo_date": payment.odoo_date or payment.date, "date": shifted})
        return super()._hold_locked(connection)
