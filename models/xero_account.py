from odoo import api, fields, models


class XeroAccount(models.Model):
    """An account of the organisation's chart of accounts, as Xero last sent it.

    Read from Xero (Settings > Xero > Read accounts and tax rates, and before
    every sending), so the mappings offer Xero's own accounts to choose from.
    """

    _name = "xero.account"
    _description = "Xero account"
    _order = "code, name, id"
    _rec_names_search = ["code", "name"]

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    xero_id = fields.Char(string="Xero account id", required=True, readonly=True)
    code = fields.Char(readonly=True)
    name = fields.Char(readonly=True)
    account_type = fields.Char(string="Xero type", readonly=True, help="Xero's type: REVENUE, BANK, EXPENSE, ...")
    status = fields.Selection([("ACTIVE", "Active"), ("ARCHIVED", "Archived")], readonly=True, default="ACTIVE")
    currency_code = fields.Char(string="Currency", readonly=True)
    bank_account_number = fields.Char(readonly=True)
    takes_payments = fields.Boolean(
        readonly=True, help="A bank account, or an account Xero allows payments to: invoices can be paid into it."
    )

    _xero_id_uniq = models.UniqueIndex("(connection_id, xero_id)", "A Xero account is recorded once.")

    @api.depends("code", "name")
    def _compute_display_name(self):
        for account in self:
            account.display_name = " ".join(filter(None, [account.code, account.name]))

    @api.model
    def _values_from_xero(self, data):
        return {
            "xero_id": data["AccountID"],
            "code": data.get("Code") or False,
            "name": data.get("Name") or False,
            "account_type": data.get("Type") or False,
            "status": "ACTIVE" if data.get("Status", "ACTIVE") == "ACTIVE" else "ARCHIVED",
            "currency_code": data.get("CurrencyCode") or False,
            "bank_account_number": data.get("BankAccountNumber") or False,
            "takes_payments": data.get("Type") == "BANK" or bool(data.get("EnablePaymentsToAccount")),
        }
