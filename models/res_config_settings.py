from odoo import api, fields, models

from .access import XERO_MANAGER, xero_check_access


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    xero_connection_id = fields.Many2one(
        "xero.connection", default=lambda self: self.env["xero.connection"]._for_company(), check_company=True
    )
    xero_enabled = fields.Boolean(related="xero_connection_id.enabled", readonly=False)
    xero_auth_flow = fields.Selection(related="xero_connection_id.auth_flow", readonly=False)
    xero_legacy_scopes = fields.Boolean(related="xero_connection_id.legacy_scopes", readonly=False)
    xero_client_id = fields.Char(related="xero_connection_id.client_id", readonly=False)
    xero_client_secret = fields.Char(related="xero_connection_id.client_secret", readonly=False)
    xero_service_url = fields.Char(related="xero_connection_id.service_url", readonly=False)
    xero_customers_group_name = fields.Char(related="xero_connection_id.customers_group_name", readonly=False)
    xero_suppliers_group_name = fields.Char(related="xero_connection_id.suppliers_group_name", readonly=False)
    xero_push_started = fields.Boolean(related="xero_connection_id.push_started")
    xero_odoo_is_master = fields.Boolean(related="xero_connection_id.odoo_is_master", readonly=False)
    xero_imported_partners_shared = fields.Boolean(
        related="xero_connection_id.imported_partners_shared", readonly=False
    )
    xero_webhook_key = fields.Char(related="xero_connection_id.webhook_key", readonly=False)
    xero_state = fields.Selection(related="xero_connection_id.state")
    xero_tenant_name = fields.Char(related="xero_connection_id.tenant_name")
    xero_health = fields.Char(related="xero_connection_id.health")
    xero_last_sync_at = fields.Datetime(related="xero_connection_id.last_sync_at")
    xero_day_remaining = fields.Integer(related="xero_connection_id.day_remaining")
    xero_budget_text = fields.Char(related="xero_connection_id.budget_text")
    xero_last_error = fields.Text(related="xero_connection_id.last_error")
    xero_lock_date = fields.Date(related="xero_connection_id.lock_date")
    xero_lock_date_shift = fields.Boolean(related="xero_connection_id.lock_date_shift", readonly=False)
    xero_attach_pdf = fields.Boolean(related="xero_connection_id.attach_pdf", readonly=False)
    xero_attach_pdf_online = fields.Boolean(related="xero_connection_id.attach_pdf_online", readonly=False)
    xero_show_online_invoice = fields.Boolean(related="xero_connection_id.show_online_invoice", readonly=False)
    xero_refresh_token_idle_days = fields.Integer(related="xero_connection_id.refresh_token_idle_days")
    xero_accounting_start_date = fields.Date(related="xero_connection_id.accounting_start_date", readonly=False)
    xero_accounting_active = fields.Boolean(related="xero_connection_id.accounting_active")
    xero_accounting_locked = fields.Boolean(related="xero_connection_id.accounting_locked")
    xero_accounting_lock_reason = fields.Char(related="xero_connection_id.accounting_lock_reason")
    xero_payments_from_xero = fields.Boolean(related="xero_connection_id.payments_from_xero", readonly=False)
    xero_payments_read_at = fields.Datetime(related="xero_connection_id.payments_read_at")
    xero_no_tax_rate_id = fields.Many2one(related="xero_connection_id.no_tax_rate_id", readonly=False)
    xero_accounting_reference_read_at = fields.Datetime(related="xero_connection_id.accounting_reference_read_at")
    xero_tenant_choice = fields.Selection(selection="_selection_xero_tenants", string="Organisation to use")
    xero_job_runners = fields.Integer(
        string="Job runners",
        default=lambda self: len(self.env["xero.job"]._runners()),
        help="How many Odoo cron workers may run Xero jobs at once: different organisations then progress at "
        "the same time, each within its own API budget.",
    )
    xero_job_retention_days = fields.Integer(
        string="Keep finished jobs (days)",
        config_parameter="xero_connector.job_retention_days",
        default=30,
    )

    def set_values(self):
        result = super().set_values()
        if self.env.user.has_group(XERO_MANAGER) and self.xero_job_runners != len(self.env["xero.job"]._runners()):
            self.env["xero.job"]._set_runner_count(self.xero_job_runners)
        return result

    @api.model
    def _selection_xero_tenants(self):
        conn = self.env["xero.connection"].sudo().search([("company_id", "=", self.env.company.id)], limit=1)
        return [(t["tenantId"], t["tenantName"]) for t in (conn.available_tenants or [])]

    # Each action checks the caller on the connection itself.
    def action_xero_connect(self):
        return self.xero_connection_id.action_connect()

    def action_xero_start_push(self):
        return self.xero_connection_id.action_start_push()

    def action_xero_disconnect(self):
        return self.xero_connection_id.action_disconnect()

    def action_xero_read_accounting_reference(self):
        return self.xero_connection_id.action_read_accounting_reference()

    def action_xero_accounting_preview(self):
        return self.xero_connection_id.action_accounting_preview()

    def action_xero_accounting_stop(self):
        self.xero_connection_id.action_accounting_stop()
        return {"type": "ir.actions.client", "tag": "reload"}

    def action_xero_choose_tenant(self):
        xero_check_access(self.xero_connection_id, XERO_MANAGER, "write")
        if self.xero_tenant_choice:
            self.xero_connection_id._choose_tenant(self.xero_tenant_choice)
        return {"type": "ir.actions.client", "tag": "reload"}
