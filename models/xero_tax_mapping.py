from odoo import fields, models


class XeroTaxMapping(models.Model):
    """The Xero tax rate an Odoo sales tax is sent as."""

    _name = "xero.tax.mapping"
    _inherit = ["xero.mapping.mixin"]
    _description = "Xero tax mapping"
    _order = "tax_id, id"
    _xero_user_fields = ("xero_tax_rate_id",)

    tax_id = fields.Many2one(
        "account.tax",
        check_company=True,
        string="Odoo tax",
        required=True,
        ondelete="cascade",
        domain="[('company_id', '=', company_id), ('type_tax_use', '=', 'sale')]",
    )
    tax_amount = fields.Float(related="tax_id.amount", string="Odoo rate")
    xero_tax_rate_id = fields.Many2one(
        "xero.tax.rate",
        check_company=True,
        string="Xero tax rate",
        ondelete="restrict",
        domain="[('connection_id', '=', connection_id), ('status', '=', 'ACTIVE')]",
    )

    _tax_uniq = models.UniqueIndex("(connection_id, tax_id)", "An Odoo tax is mapped once.")
