from odoo import fields, models


class XeroJournalMapping(models.Model):
    """The Xero bank account that payments of an Odoo bank or cash journal go into."""

    _name = "xero.journal.mapping"
    _inherit = ["xero.mapping.mixin"]
    _description = "Xero payment journal mapping"
    _order = "journal_id, id"
    _xero_user_fields = ("xero_account_id",)

    journal_id = fields.Many2one(
        "account.journal",
        check_company=True,
        string="Odoo journal",
        required=True,
        ondelete="cascade",
        domain="[('company_id', '=', company_id), ('type', 'in', ('bank', 'cash', 'credit'))]",
    )
    xero_account_id = fields.Many2one(
        "xero.account",
        check_company=True,
        string="Xero bank account",
        ondelete="restrict",
        domain="[('connection_id', '=', connection_id), ('status', '=', 'ACTIVE'), ('takes_payments', '=', True)]",
    )

    _journal_uniq = models.UniqueIndex("(connection_id, journal_id)", "An Odoo journal is mapped once.")
