from odoo import fields, models


class XeroAccountMapping(models.Model):
    """The Xero account an Odoo income account is sent to."""

    _name = "xero.account.mapping"
    _inherit = ["xero.mapping.mixin"]
    _description = "Xero account mapping"
    _order = "id"
    _xero_user_fields = ("xero_account_id",)

    account_id = fields.Many2one(
        "account.account",
        check_company=True,
        string="Odoo account",
        required=True,
        ondelete="cascade",
        domain="[('company_ids', 'in', company_id)]",
    )
    xero_account_id = fields.Many2one(
        "xero.account",
        check_company=True,
        string="Xero account",
        ondelete="restrict",
        domain="[('connection_id', '=', connection_id), ('status', '=', 'ACTIVE')]",
        help="Empty: the Xero account with the same code, when Xero has one.",
    )

    _account_uniq = models.UniqueIndex("(connection_id, account_id)", "An Odoo account is mapped once.")
