from odoo import api, fields, models


class XeroTaxRate(models.Model):
    """A tax rate of the organisation, as Xero last sent it."""

    _name = "xero.tax.rate"
    _description = "Xero tax rate"
    _order = "name, id"
    _rec_names_search = ["name", "tax_type"]

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    tax_type = fields.Char(string="Xero tax type", required=True, readonly=True, help="Xero's code, e.g. OUTPUT.")
    name = fields.Char(readonly=True)
    rate = fields.Float(string="Rate (%)", readonly=True, digits=(16, 4))
    status = fields.Selection(
        [("ACTIVE", "Active"), ("DELETED", "Deleted"), ("ARCHIVED", "Archived")], readonly=True, default="ACTIVE"
    )
    for_sales = fields.Boolean(string="Applies to revenue", readonly=True)

    _tax_type_uniq = models.UniqueIndex("(connection_id, tax_type)", "A Xero tax rate is recorded once.")

    @api.depends("name", "tax_type", "rate")
    def _compute_display_name(self):
        for rate in self:
            rate.display_name = f"{rate.name or rate.tax_type} ({rate.rate:g}%)"

    @api.model
    def _values_from_xero(self, data):
        status = data.get("Status") or "ACTIVE"
        return {
            "tax_type": data["TaxType"],
            "name": data.get("Name") or data["TaxType"],
            "rate": float(data.get("EffectiveRate") or 0.0),
            "status": status if status in ("ACTIVE", "DELETED", "ARCHIVED") else "ARCHIVED",
            "for_sales": bool(data.get("CanApplyToRevenue")),
        }
