from odoo import api, fields, models


class XeroMappingMixin(models.AbstractModel):
    """What the account, tax and journal mappings share: their connection,
    and that changing one lets the documents it held back be sent."""

    _name = "xero.mapping.mixin"
    _description = "Xero mapping"

    connection_id = fields.Many2one(
        "xero.connection",
        required=True,
        ondelete="cascade",
        index=True,
        default=lambda self: self.env["xero.connection"]._for_company(),
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records.connection_id._requeue_blocked()
        return records

    def write(self, vals):
        result = super().write(vals)
        self.connection_id._requeue_blocked()
        return result
