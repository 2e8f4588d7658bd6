from odoo import api, fields, models

from .access import check_technical_write


class XeroMappingMixin(models.AbstractModel):
    """What the account, tax and journal mappings share: their connection,
    and that changing one lets the documents it held back be sent."""

    _name = "xero.mapping.mixin"
    _description = "Xero mapping"
    _check_company_auto = True

    connection_id = fields.Many2one(
        "xero.connection",
        required=True,
        ondelete="cascade",
        index=True,
        default=lambda self: self.env["xero.connection"]._for_company(),
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)

    # What a Xero Manager chooses; the rows themselves are made by the addon.
    _xero_user_fields = ()

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records.connection_id._requeue_blocked()
        return records

    def write(self, vals):
        check_technical_write(self, vals, self._xero_user_fields)
        result = super().write(vals)
        self.connection_id._requeue_blocked()
        return result
