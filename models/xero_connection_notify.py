from datetime import timedelta

from odoo import api, fields, models

from ..xero_connector import accounting
from .access import XERO_MANAGER

# Xero drops a refresh token left unused this many days (the organisation must then be reconnected).
REFRESH_TOKEN_LIFETIME_DAYS = 60
# Below this share of the day's calls left, the managers are told.
LOW_BUDGET_SHARE = 0.10
# Xero's daily calls per organisation (the smallest tier has 1,000: ir.config_parameter
# xero_connector.day_limit says so).
DAY_LIMIT = 5000
# One activity type per problem: a second occurrence updates the open activity of its type.
PROBLEM_TYPES = {
    "job_failed": "xero_connector.mail_activity_type_xero_job_failed",
    "held_back": "xero_connector.mail_activity_type_xero_held_back",
    "reconnect": "xero_connector.mail_activity_type_xero_reconnect",
    "budget": "xero_connector.mail_activity_type_xero_budget",
}


class XeroConnection(models.Model):
    """Telling people: the connection's problems become one activity each for the Xero
    Managers (updated, not repeated), and a notification for whoever started the work."""

    _inherit = "xero.connection"

    lock_date_shift = fields.Boolean(
        string="Send locked-period documents after the lock date",
        help="Documents and payments dated on or before Xero's lock date are sent dated the day after it "
        "(the Odoo date is kept in the reference and in Xero's history note) instead of being held back.",
    )
    attach_pdf = fields.Boolean(
        string="Attach the invoice PDF in Xero",
        help="Each invoice sent is attached to its Xero invoice as a PDF. Needs Xero's permission for "
        "attachments: reconnect after switching it on.",
    )
    attach_pdf_online = fields.Boolean(
        string="Show the PDF on Xero's online invoice", help="The attached PDF is shown to the customer online."
    )
    show_online_invoice = fields.Boolean(
        string="Show Xero's online invoice link",
        help="Approved invoices sent to Xero show, in Odoo, the link at which the customer sees them in Xero.",
    )
    refresh_token_idle_days = fields.Integer(
        compute="_compute_refresh_token_idle_days",
        string="Refresh token unused for (days)",
        help="Xero drops a refresh token left unused for 60 days: the organisation must then be reconnected.",
    )

    def _compute_refresh_token_idle_days(self):
        tokens = self.env["xero.token"].sudo().search([("connection_id", "in", self.ids)])
        used = {t.connection_id.id: t.write_date for t in tokens}
        now = fields.Datetime.now()
        for conn in self:
            last = used.get(conn.id)
            conn.refresh_token_idle_days = (now - last).days if last and conn.state == "connected" else 0

    @api.depends("state", "enabled", "last_error")
    def _compute_health(self):
        result = super()._compute_health()
        for conn in self.filtered(lambda c: c.state == "connected"):
            idle = conn.refresh_token_idle_days
            conn.health = self.env._(
                "%(health)s; refresh token unused for %(days)s days (Xero drops it after %(limit)s)",
                health=conn.health,
                days=idle,
                limit=REFRESH_TOKEN_LIFETIME_DAYS,
            )
        return result

    def _shifted_date(self, when):
        """The day after Xero's lock date, for a date on or before it when the connection sends such
        documents after the lock date (`lock_date_shift`); else None."""
        when = accounting.as_date(when or None)
        if self.lock_date_shift and self.lock_date and when and when <= self.lock_date:
            return self.lock_date + timedelta(days=1)
        return None

    def _enqueue_followups(self):
        return self._enqueue_once(
            "accounting_followup", self.env._("Notes, PDFs and online links of sent documents"), "xero.document"
        )

    # -- telling the managers ------------------------------------------------------

    def _xero_managers(self):
        users = self.env.ref(XERO_MANAGER).sudo().all_user_ids
        return users.filtered(lambda u: u.active and not u.share and not u._is_superuser()).sorted("id")

    def _tell_managers(self, problem, summary, note, starter=None):
        """One open activity per `problem` (a key of PROBLEM_TYPES) on this connection, for the
        Xero Managers: an open one is updated, not repeated. `starter`, the user who started
        the work, gets a notification in the browser."""
        self.ensure_one()
        conn = self.sudo()
        activity_type = self.env.ref(PROBLEM_TYPES[problem])
        managers = self._xero_managers()
        existing = conn.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)[:1]
        changed = existing.summary != summary
        if existing:
            existing.write({"summary": summary, "note": note, "date_deadline": fields.Date.context_today(self)})
        elif managers:
            conn.activity_schedule(
                activity_type_id=activity_type.id, summary=summary, note=note, user_id=managers[0].id
            )
        if changed and starter and starter.active and not starter._is_superuser():
            starter.partner_id._bus_send(
                "simple_notification",
                {"type": "warning", "title": self.env._("Xero"), "message": summary, "sticky": False},
            )

    def _problem_settled(self, problem):
        """The problem is gone: its open activity is marked done."""
        activity_type = self.env.ref(PROBLEM_TYPES[problem])
        settled = self.sudo().activity_ids.filtered(lambda a: a.activity_type_id == activity_type)
        if settled:
            settled.action_feedback(feedback=self.env._("Settled."))

    def _tell_low_budget(self, starter=None):
        """Tell the managers when less than a tenth of the day's calls is left."""
        self.ensure_one()
        budget = self.env["xero.rate.budget"].sudo().search([("tenant_id", "=", self.tenant_id)], limit=1)
        if not budget or budget.day_date != fields.Date.context_today(self):
            return
        limit = int(self.env["ir.config_parameter"].sudo().get_param("xero_connector.day_limit", DAY_LIMIT))
        if budget.day_remaining < limit * LOW_BUDGET_SHARE:
            self._tell_managers(
                "budget",
                self.env._("Xero's API budget for today is almost used up (%s calls left)", budget.day_remaining),
                self.env._(
                    "Less than a tenth of today's %(limit)s calls to Xero is left for %(org)s: work waits for "
                    "tomorrow once it is used up.",
                    limit=limit,
                    org=self.tenant_name or self.company_id.name,
                ),
                starter=starter,
            )
        else:
            self._problem_settled("budget")
