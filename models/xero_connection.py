import logging
import time
from datetime import timedelta
from urllib.parse import urlsplit

from odoo import api, fields, http, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import misc

from ..synchronizers.reference_reader import ReferenceReader
from ..xero_connector import accounting, oauth, webhooks
from ..xero_connector.errors import XeroAuthError
from ..xero_connector.gateway import XeroGateway
from .access import XERO_MANAGER, check_technical_write, xero_check_access
from .xero_document import NEUTRALIZED_HOLD
from .xero_rate_budget import short_transaction

_logger = logging.getLogger(__name__)

# Refresh an access token this long before Xero says it expires.
TOKEN_MARGIN = 120
# What a Xero Manager sets; every other field is the connector's own state.
SETTING_FIELDS = (
    "enabled",
    "auth_flow",
    "odoo_is_master",
    "customers_group_name",
    "suppliers_group_name",
    "webhook_key",
    "legacy_scopes",
    "client_id",
    "client_secret",
    "service_url",
    "accounting_start_date",
    "no_tax_rate_id",
    "imported_partners_shared",
    "lock_date_shift",
    "attach_pdf",
    "attach_pdf_online",
    "show_online_invoice",
    "payments_from_xero",
)
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
OAUTH_STATE_SCOPE = "xero_connector.oauth_state"
# The consents under way in a browser session: {nonce: {"verifier": PKCE verifier, "ts": started}}.
OAUTH_SESSION_KEY = "xero_oauth_pending"
OAUTH_PENDING_MAX = 5


# What makes Odoo the master of an organisation's contacts.
MASTER_FIELDS = frozenset({"push_started", "odoo_is_master", "state", "enabled"})

# Postings wait this long before being sent, so that those of the next
# moments go in the same requests (Xero's budget is per call, not per record).
POSTING_DELAY = timedelta(minutes=1)
# A large preview prepared in the background opens again from its button this long (Odoo keeps
# such transient records about an hour).
PREVIEW_KEPT = timedelta(minutes=30)
# What sending accounting data records per organisation (in deletion order).
ACCOUNTING_MODELS = (
    "xero.payment",
    "xero.document",
    "xero.account.mapping",
    "xero.tax.mapping",
    "xero.journal.mapping",
)

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
    """The link between one Odoo company and one Xero organisation: its settings (sending
    accounting data, reading payments made in Xero back), how far each read from Xero got,
    and telling people: the connection's problems become one activity each for the Xero
    Managers (updated, not repeated), and a notification for whoever started the work."""

    _name = "xero.connection"
    _description = "Xero connection"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _rec_name = "company_id"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, ondelete="cascade", default=lambda self: self.env.company
    )
    enabled = fields.Boolean(string="Xero integration active", default=True, tracking=True)
    auth_flow = fields.Selection(
        [("code", "Xero app (OAuth2, consent screen)"), ("client_credentials", "Custom Connection")],
        string="Kind of connection",
        default="code",
        required=True,
    )
    odoo_is_master = fields.Boolean(
        string="Odoo is the master",
        help="Changes made in Xero to synced contacts are overwritten with Odoo's values instead of offered.",
    )
    customers_group_name = fields.Char(default="Odoo Customers", help="The Xero contact group of pushed customers.")
    suppliers_group_name = fields.Char(default="Odoo Suppliers", help="The Xero contact group of pushed suppliers.")
    push_started = fields.Boolean(readonly=True, help="Customers and suppliers are pushed to Xero.")
    contacts_pushed_at = fields.Datetime(readonly=True)
    imported_partners_shared = fields.Boolean(
        string="Imported partners shared between companies",
        help="Partners imported from Xero get no company (every company sees them) instead of this company.",
    )
    webhook_key = fields.Char(groups=XERO_MANAGER, help="The webhook key of your Xero app (Webhooks tab).")
    legacy_scopes = fields.Boolean(help="For Xero apps created before March 2026 (accounting.transactions scope).")
    client_id = fields.Char(groups=XERO_MANAGER)
    client_secret = fields.Char(groups=XERO_MANAGER)
    service_url = fields.Char(
        string="Xero service URL",
        groups=XERO_MANAGER,
        help="Leave empty for Xero. The project's Xero sandbox is served at another address.",
    )
    state = fields.Selection(
        [
            ("disconnected", "Not connected"),
            ("choose_tenant", "Choose the organisation"),
            ("connected", "Connected"),
            ("reconnect", "Reconnect needed"),
        ],
        default="disconnected",
        required=True,
        tracking=True,
    )
    tenant_id = fields.Char(string="Organisation id", readonly=True)
    bound_tenant_id = fields.Char(
        readonly=True, help="The organisation the recorded Xero contacts belong to (kept across a disconnection)."
    )
    tenant_name = fields.Char(string="Organisation", readonly=True)
    short_code = fields.Char(readonly=True)
    base_currency = fields.Char(readonly=True, help="The organisation's own currency in Xero.")
    lock_date = fields.Date(
        string="Xero lock date",
        readonly=True,
        help="The later of the organisation's period and end-of-year lock dates: Xero refuses documents and "
        "payments dated on or before it, so they are held back in Odoo.",
    )
    available_tenants = fields.Json(groups=XERO_MANAGER, readonly=True)
    xero_connection_ref = fields.Char(groups=XERO_MANAGER, readonly=True)
    last_error = fields.Text(readonly=True)
    last_sync_at = fields.Datetime(string="Last sync", readonly=True)
    contacts_fetched_at = fields.Datetime(
        readonly=True,
        help="Xero's time up to which every contact change has been read: the next read asks only for later changes.",
    )
    day_remaining = fields.Integer(string="API calls left today", compute="_compute_budget")
    budget_text = fields.Char(string="API budget", compute="_compute_budget")
    paused_until = fields.Datetime(compute="_compute_budget", help="Xero asked to wait: no call before this time.")
    health = fields.Char(compute="_compute_health", string="Connection health")
    refresh_token_idle_days = fields.Integer(
        compute="_compute_refresh_token_idle_days",
        string="Refresh token unused for (days)",
        help="Xero drops a refresh token left unused for 60 days: the organisation must then be reconnected.",
    )
    webhook_seen_events = fields.Json(
        groups="xero_connector.group_xero_manager",
        readonly=True,
        copy=False,
        help="Digests of the latest webhook events received: a replayed delivery queues no new work.",
    )

    # Sending accounting data: the start date, its lock, and the mappings.
    accounting_start_date = fields.Date(
        string="Send accounting data from",
        tracking=True,
        help="Posted customer invoices and credit notes dated from this day on, and their payments, are sent to "
        "Xero. A past date sends older ones too (after a preview); a future date starts sending on that day.",
    )
    accounting_active = fields.Boolean(
        string="Sending accounting data", readonly=True, tracking=True, help="Switched on by confirming the preview."
    )
    accounting_locked = fields.Boolean(compute="_compute_accounting_lock", string="Start date locked")
    accounting_lock_reason = fields.Char(compute="_compute_accounting_lock")
    no_tax_rate_id = fields.Many2one(
        "xero.tax.rate",
        string="Xero tax rate for lines without tax",
        domain="[('connection_id', '=', id), ('status', '=', 'ACTIVE')]",
        check_company=True,
        help="Xero needs a tax rate on every line: lines without an Odoo tax take this one.",
    )
    accounting_reference_read_at = fields.Datetime(string="Accounts and tax rates read", readonly=True)
    xero_account_ids = fields.One2many("xero.account", "connection_id", string="Xero accounts")
    xero_tax_rate_ids = fields.One2many("xero.tax.rate", "connection_id", string="Xero tax rates")
    account_mapping_ids = fields.One2many("xero.account.mapping", "connection_id")
    tax_mapping_ids = fields.One2many("xero.tax.mapping", "connection_id")
    journal_mapping_ids = fields.One2many("xero.journal.mapping", "connection_id")
    document_ids = fields.One2many("xero.document", "connection_id", string="Documents in Xero")
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

    # What was read from Xero: how far the background read of the sales ledger and of the
    # payments made in Xero got (synchronizers/ledger_reader.py, payment_reader.py).
    ledger_invoices_read_to = fields.Datetime(
        readonly=True,
        help="Xero's time up to which every sales invoice change has been read: the next read asks for later ones.",
    )
    ledger_credit_notes_read_to = fields.Datetime(
        readonly=True, help="Xero's time up to which every sales credit note change has been read."
    )
    ledger_read_at = fields.Datetime(string="Sales ledger read", readonly=True)
    payments_from_xero = fields.Boolean(
        string="Payments made in Xero come back",
        help="Payments recorded in Xero (e.g. reconciling the bank feed there) on invoices and credit notes "
        "sent from Odoo are registered and reconciled in Odoo, in the journal mapped to the Xero bank account.",
    )
    payments_read_to = fields.Datetime(
        readonly=True,
        help="Xero's time up to which every payment change has been read: the next read asks only for later ones.",
    )
    payments_read_at = fields.Datetime(string="Payments read", readonly=True)

    _company_uniq = models.Constraint("UNIQUE(company_id)", "A company has one Xero connection.")

    def _compute_budget(self):
        budgets = self.env["xero.rate.budget"].sudo().search([("tenant_id", "in", self.mapped("tenant_id"))])
        by_tenant = {b.tenant_id: b for b in budgets}
        today = fields.Date.context_today(self)
        for conn in self:
            budget = by_tenant.get(conn.tenant_id)
            known = bool(budget and budget.day_date == today)
            conn.day_remaining = budget.day_remaining if known else 0
            conn.budget_text = (
                self.env._("%s calls left today", budget.day_remaining)
                if known
                else self.env._("not known yet today (read from Xero's answers)")
            )
            conn.paused_until = budget.paused_until if budget else False

    @api.depends("state", "enabled", "last_error")
    def _compute_health(self):
        now = fields.Datetime.now()
        for conn in self:
            if conn.state != "connected":
                conn.health = dict(self._fields["state"].selection)[conn.state]
            elif not conn.enabled:
                conn.health = self.env._("Connected, integration switched off")
            elif conn.paused_until and conn.paused_until > now:
                conn.health = self.env._("Waiting for Xero's rate limit until %s", conn.paused_until)
            else:
                conn.health = self.env._("Healthy")
        for conn in self.filtered(lambda c: c.state == "connected"):
            idle = conn.refresh_token_idle_days
            conn.health = self.env._(
                "%(health)s; refresh token unused for %(days)s days (Xero drops it after %(limit)s)",
                health=conn.health,
                days=idle,
                limit=REFRESH_TOKEN_LIFETIME_DAYS,
            )

    def _compute_refresh_token_idle_days(self):
        tokens = self.env["xero.token"].sudo().search([("connection_id", "in", self.ids)])
        used = {t.connection_id.id: t.write_date for t in tokens}
        now = fields.Datetime.now()
        for conn in self:
            last = used.get(conn.id)
            conn.refresh_token_idle_days = (now - last).days if last and conn.state == "connected" else 0

    @api.depends("document_ids.sent_at")
    def _compute_accounting_lock(self):
        for conn in self:
            reason = conn._lock_reason()
            conn.accounting_locked = bool(reason)
            conn.accounting_lock_reason = reason

    def _lock_reason(self):
        """Why the start date can no longer change (a document was sent), or False."""
        first = (
            self.env["xero.document"]
            .sudo()
            .search([("connection_id", "=", self.id), ("sent_at", "!=", False)], order="sent_at, id", limit=1)
        )
        if not first:
            return False
        return self.env._(
            "Locked: %(doc)s was sent to Xero on %(when)s. Another start date now could leave documents "
            "out of Xero or send them twice.",
            doc=first.move_id.name,
            when=fields.Date.to_string(first.sent_at.date()),
        )

    @api.constrains("service_url")
    def _check_service_url(self):
        for conn in self.sudo():
            url = urlsplit(conn.service_url or "")
            if conn.service_url and not (
                url.scheme == "https" or (url.scheme == "http" and url.hostname in LOCAL_HOSTS)
            ):
                raise ValidationError(
                    self.env._("The Xero service URL must start with https:// (plain http only for this machine).")
                )

    def write(self, vals):
        if "accounting_start_date" in vals:
            new = fields.Date.to_date(vals["accounting_start_date"])
            for conn in self.filtered(lambda c: c.accounting_start_date != new):
                reason = conn._lock_reason()
                if reason:
                    raise UserError(reason)
        check_technical_write(self, vals, SETTING_FIELDS)
        result = super().write(vals)
        if MASTER_FIELDS.intersection(vals):
            # Partners' writes ask a cached "Odoo is the master somewhere?" (res.partner).
            self.env.registry.clear_cache()
        return result

    @api.model_create_multi
    def create(self, vals_list):
        connections = super().create(vals_list)
        if any(MASTER_FIELDS.intersection(vals) for vals in vals_list):
            self.env.registry.clear_cache()
        return connections

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    @api.model
    def _for_company(self, company=None):
        """The company's connection as the caller may act on it (record rules apply).

        Made on first use by whoever may configure it; others get an empty
        recordset (and the actions then say the company is not connected).
        """
        company = company or self.env.company
        conn = self.search([("company_id", "=", company.id)], limit=1)
        may_create = self.env.su or (self.env.user.has_group(XERO_MANAGER) and company in self.env.companies)
        if not conn and may_create:
            conn = self.sudo().create({"company_id": company.id}).sudo(self.env.su)
        return conn

    def _endpoints(self):
        self.ensure_one()
        url = self.sudo().service_url
        return oauth.Endpoints.at(url) if url else oauth.Endpoints.xero()

    def _scope(self):
        return oauth.scopes(self.legacy_scopes, attachments=self.attach_pdf)

    def _check_credentials(self):
        conn = self.sudo()
        if not (conn.client_id and conn.client_secret):
            raise UserError(self.env._("Enter the Xero app's client id and secret first."))

    # -- connecting ---------------------------------------------------------

    def _redirect_uri(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        return f"{base}/xero/oauth/callback"

    def _sign_state(self, raw):
        # Odoo's keyed HMAC, scoped: a signature made for another purpose never passes here.
        return misc.hmac(self.env(su=True), OAUTH_STATE_SCOPE, raw)

    def action_connect(self, session=None):
        """Open Xero's consent page (or connect at once for a Custom Connection).

        `session` is where the single-use part of the request is kept for the
        callback: the browser's HTTP session (the default when called from the
        web client), or a dict given by code running outside a request.
        """
        self.ensure_one()
        xero_check_access(self, XERO_MANAGER, "write")
        self._check_credentials()
        conn = self.sudo()
        if conn.auth_flow == "client_credentials":
            token = oauth.client_credentials(conn._endpoints(), conn.client_id, conn.client_secret, conn._scope())
            conn._store_token(token)
            tenants = oauth.get_connections(conn._endpoints(), token.access_token)
            return conn._set_tenants(tenants)
        if session is None:
            if not http.request:
                raise UserError(self.env._("Connect to Xero from Settings > Xero in the browser."))
            session = http.request.session
        nonce = oauth.new_nonce()
        verifier, challenge = oauth.pkce_pair()
        pending = dict(session.get(OAUTH_SESSION_KEY) or {})
        pending[nonce] = {"verifier": verifier, "ts": int(time.time())}
        # A few tabs at once at most: the oldest requests are forgotten.
        keep = sorted(pending, key=lambda n: pending[n]["ts"])[-OAUTH_PENDING_MAX:]
        session[OAUTH_SESSION_KEY] = {n: pending[n] for n in keep}
        payload = {"db": self.env.cr.dbname, "conn": conn.id, "uid": self.env.uid, "nonce": nonce}
        state = oauth.sign_state(self._sign_state, payload)
        url = oauth.authorize_url(
            conn._endpoints(), conn.client_id, self._redirect_uri(), conn._scope(), state, code_challenge=challenge
        )
        return {"type": "ir.actions.act_url", "url": url, "target": "self"}

    @api.model
    def _oauth_callback(self, code, state, session):
        """Finish the consent: check `state`, exchange the code, list tenants.

        The state is single-use and only good in the browser session that
        asked for it: its nonce is taken out of `session` here, whatever follows.
        """
        payload = oauth.verify_state(self._sign_state, state)
        if payload.get("db") != self.env.cr.dbname or payload.get("uid") != self.env.uid:
            raise XeroAuthError(
                self.env._("The answer from Xero was for another database or user: nothing was stored.")
            )
        pending = dict(session.get(OAUTH_SESSION_KEY) or {})
        request_data = pending.pop(payload.get("nonce"), None)
        session[OAUTH_SESSION_KEY] = pending
        if not request_data:
            raise XeroAuthError(
                self.env._(
                    "This answer from Xero was already used, or the connection was started in another "
                    "browser session: nothing was stored. Start again from Settings > Xero."
                )
            )
        conn = self.sudo().browse(payload.get("conn")).exists()
        if not conn:
            raise XeroAuthError(self.env._("The Xero connection being set up no longer exists."))
        token = oauth.exchange_code(
            conn._endpoints(),
            conn.client_id,
            conn.client_secret,
            code,
            self._redirect_uri(),
            code_verifier=request_data["verifier"],
        )
        conn._store_token(token)
        conn._set_tenants(oauth.get_connections(conn._endpoints(), token.access_token))
        return conn

    def _token(self):
        return self.env["xero.token"].sudo().search([("connection_id", "=", self.id)], limit=1)

    def _store_token(self, token):
        values = {
            "access_token": token.access_token,
            "refresh_token": token.refresh_token or False,
            "expires_at": token.expires_at,
        }
        record = self._token()
        if record:
            record.write(values)
        else:
            record.create(dict(values, connection_id=self.id))
        if self.last_error:
            self.last_error = False

    def _set_tenants(self, tenants):
        tenants = [
            {"id": t["id"], "tenantId": t["tenantId"], "tenantName": t.get("tenantName")}
            for t in tenants
            if t.get("tenantType", "ORGANISATION") == "ORGANISATION"
        ]
        if not tenants:
            raise UserError(self.env._("The consent given at Xero covers no organisation."))
        self.available_tenants = tenants
        if len(tenants) == 1:
            self._choose_tenant(tenants[0]["tenantId"])
        else:
            self.state = "choose_tenant"
        return True

    def _choose_tenant(self, tenant_id):
        self.ensure_one()
        conn = self.sudo()
        chosen = next((t for t in conn.available_tenants or [] if t["tenantId"] == tenant_id), None)
        if not chosen:
            raise UserError(self.env._("That organisation is not among those the consent covers."))
        if conn.bound_tenant_id and conn.bound_tenant_id != chosen["tenantId"]:
            conn._forget_organisation()
        conn.write(
            {
                "tenant_id": chosen["tenantId"],
                "bound_tenant_id": chosen["tenantId"],
                "tenant_name": chosen["tenantName"],
                "xero_connection_ref": chosen["id"],
                "state": "connected",
                "contacts_fetched_at": False,
            }
        )
        conn._problem_settled("reconnect")
        conn._refresh_organisation()
        conn._enqueue_contacts_fetch()

    def _forget_organisation(self):
        """Another organisation now: the links to the previous one's contacts mean nothing there."""
        self.env["xero.job"].search([("connection_id", "=", self.id), ("state", "in", ("pending", "failed"))]).write(
            {"state": "cancelled"}
        )
        self.env["xero.contact"].search([("connection_id", "=", self.id)]).unlink()
        self._forget_accounting()
        self.write({"ledger_invoices_read_to": False, "ledger_credit_notes_read_to": False, "push_started": False})
        self.message_post(
            body=self.env._(
                "Connected to another Xero organisation: the links to the contacts of the previous one were removed."
            )
        )

    def action_disconnect(self):
        """Revoke the consent at Xero and forget every token."""
        xero_check_access(self, XERO_MANAGER, "write")
        for conn in self.sudo():
            token = conn._token()
            if token.refresh_token and conn.auth_flow == "code":
                try:
                    oauth.revoke(conn._endpoints(), conn.client_id, conn.client_secret, token.refresh_token)
                except XeroAuthError as exc:
                    _logger.info("Xero revocation refused for connection %s: %s", conn.id, exc)
            elif token.access_token and conn.xero_connection_ref:
                oauth.delete_connection(conn._endpoints(), token.access_token, conn.xero_connection_ref)
            token.unlink()
            conn.write(
                {
                    "state": "disconnected",
                    "tenant_id": False,
                    "tenant_name": False,
                    "short_code": False,
                    "available_tenants": False,
                    "xero_connection_ref": False,
                }
            )
            conn.message_post(body=self.env._("Disconnected from Xero by %s.", self.env.user.name))
        return True

    # -- tokens ---------------------------------------------------------------

    def _get_access_token(self):
        token = self._token()
        if token.access_token and token.expires_at > time.time() + TOKEN_MARGIN:
            return token.access_token
        return self._refresh_tokens()

    def _refresh_tokens(self, force=False):
        """Get a fresh access token, safely across workers and rollbacks.

        The refresh runs in its own transaction, committed at once: Xero has
        already forgotten the old refresh token, so the new one must survive
        whatever happens to the caller's transaction. The token row is
        locked, so a second worker waits and then reuses the first one's
        token instead of spending the (now dead) old refresh token.
        """
        self.ensure_one()
        self.env.flush_all()
        with short_transaction(self.env.registry) as cr:
            conn = self.env(cr=cr, su=True)["xero.connection"].browse(self.id)
            # Bounded wait: a caller that itself holds the row must not hang.
            cr.execute("SET LOCAL lock_timeout = '20s'")
            cr.execute("SELECT id FROM xero_token WHERE connection_id = %s FOR UPDATE", [self.id])
            token = conn._token()
            if not force and token.access_token and token.expires_at > time.time() + TOKEN_MARGIN:
                return token.access_token
            try:
                if conn.auth_flow == "client_credentials":
                    new = oauth.client_credentials(conn._endpoints(), conn.client_id, conn.client_secret, conn._scope())
                elif token.refresh_token:
                    new = oauth.refresh(conn._endpoints(), conn.client_id, conn.client_secret, token.refresh_token)
                else:
                    raise XeroAuthError(self.env._("This company is not connected to Xero."), reconnect_needed=True)
            except XeroAuthError as exc:
                if exc.reconnect_needed:
                    conn._mark_reconnect(str(exc))
                    cr.commit()  # pylint: disable=invalid-commit
                raise
            conn._store_token(new)
        self.env["xero.token"].invalidate_model()
        return new.access_token

    def _mark_reconnect(self, message):
        """Stop the organisation's jobs and tell the managers (one activity, however often it happens)."""
        self.write({"state": "reconnect", "last_error": message})
        self._tell_managers("reconnect", self.env._("Reconnect %s to Xero", self.company_id.name), message)

    # -- calling Xero ------------------------------------------------------------

    def _gateway(self):
        """The gateway for this company's organisation, with the shared budget."""
        self.ensure_one()
        if self.state != "connected":
            raise XeroAuthError(self.env._("%s is not connected to Xero.", self.company_id.name))
        limiter = self.env["xero.rate.budget"]._limiter(self)
        # The limiter's bound and waits serve the gateway's own waits too (429s, back-off).
        return XeroGateway(
            self.tenant_id,
            _TokenSource(self),
            base_url=self._endpoints().api_url,
            limiter=limiter,
            max_wait=limiter.max_wait,
            sleep=limiter.wait,
        )

    def _enqueue_once(self, kind, name, model):
        """Queue this organisation's `kind` job unless one is already to do."""
        self.ensure_one()
        return self.env["xero.job"]._enqueue(
            self, kind, name, records=self.env[model], identity_key=f"{kind}:{self.id}"
        )

    def _enqueue_contacts_fetch(self):
        return self._enqueue_once("contacts_fetch", self.env._("Read contacts from Xero"), "xero.contact")

    def _push_domain(self):
        """The partners that belong in this organisation: the company's own customers and
        suppliers, and shared partners (no company) this company has invoiced or billed.

        A shared partner's customer rank is global: without the invoices, one
        company's customers would land in every company's Xero organisation.
        In a database of one company, every shared partner is that company's.
        """
        own = [("company_id", "in", [self.company_id.id, False])]
        if self.env["res.company"].sudo().search_count([]) > 1:
            own = self._shared_partners_dealt_with()
        return [
            ("parent_id", "=", False),
            ("xero_do_not_sync", "=", False),
            *own,
            "|",
            ("customer_rank", ">", 0),
            ("supplier_rank", ">", 0),
        ]

    def _shared_partners_dealt_with(self):
        """This company's partners, and the shared ones it has invoiced or billed (a domain)."""
        self.env["account.move"].flush_model(["company_id", "commercial_partner_id", "move_type", "state"])
        self.env.cr.execute(
            """
            SELECT DISTINCT commercial_partner_id FROM account_move
             WHERE company_id = %s AND state = 'posted' AND commercial_partner_id IS NOT NULL
               AND move_type IN ('out_invoice', 'out_refund', 'in_invoice', 'in_refund')
            """,
            [self.company_id.id],
        )
        dealt_with = [row[0] for row in self.env.cr.fetchall()]
        return ["|", ("company_id", "=", self.company_id.id), "&", ("company_id", "=", False), ("id", "in", dealt_with)]

    def action_start_push(self):
        """Push every customer and supplier not yet in Xero, in the background."""
        self.ensure_one()
        xero_check_access(self, XERO_MANAGER, "write")
        if self.state != "connected":
            raise UserError(self.env._("Connect the company to Xero first."))
        self.sudo().push_started = True
        self._enqueue_contacts_push()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._(
                    "Customers and suppliers are being pushed to Xero in the background (Contacts > Xero > Jobs)."
                ),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _enqueue_contacts_push(self):
        # One push at a time per organisation: later changes join the queued one.
        return self._enqueue_once("contacts_push", self.env._("Push customers and suppliers to Xero"), "xero.contact")

    def _refresh_organisation(self):
        org = self._gateway().get_organisation()
        values = {
            "tenant_name": org.get("Name"),
            "short_code": org.get("ShortCode"),
            "base_currency": org.get("BaseCurrency") or False,
            "lock_date": accounting.lock_date(org) or False,
        }
        # Write only on change: jobs of several workers read the organisation.
        if any(self[name] != value for name, value in values.items()):
            moved = self.lock_date != values["lock_date"]
            self.sudo().write(values)
            if moved:
                self._requeue_blocked()  # what the old lock date held back may go now
        return org

    # -- sending accounting data ----------------------------------------------------------

    def _accounting_due(self):
        """Sending is on and its start date has come."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        return bool(
            self.accounting_active
            and self.accounting_start_date
            and self.accounting_start_date <= today
            and self.state == "connected"
            and self.enabled
        )

    def _check_ready_for_accounting(self):
        self.ensure_one()
        if self.state != "connected":
            raise UserError(self.env._("Connect the company to Xero first."))
        if not self.accounting_start_date:
            raise UserError(self.env._("Choose the date from which accounting data is sent to Xero first."))

    # -- Xero's accounts and tax rates ----------------------------------------------

    def action_read_accounting_reference(self):
        self.ensure_one()
        xero_check_access(self, XERO_MANAGER, "write")
        if self.state != "connected":
            raise UserError(self.env._("Connect the company to Xero first."))
        ReferenceReader(self).read_reference()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._(
                    "Read %(accounts)s accounts and %(rates)s tax rates from Xero.",
                    accounts=len(self.xero_account_ids),
                    rates=len(self.xero_tax_rate_ids),
                ),
                "type": "success",
            },
        }

    def _forget_accounting(self):
        """Another organisation: what was sent to the previous one, and its accounts, mean nothing there."""
        self.ensure_one()
        conn = self.sudo()
        domain = [("connection_id", "=", conn.id)]
        for model in ACCOUNTING_MODELS:
            self.env[model].sudo().search(domain).unlink()
        conn.write({"accounting_active": False, "no_tax_rate_id": False, "accounting_reference_read_at": False})
        conn.xero_account_ids.unlink()
        conn.xero_tax_rate_ids.unlink()

    def _accounting_mappings(self):
        """The mappings and Xero's active codes, as the engine takes them."""
        self.ensure_one()
        conn = self.sudo()
        active_accounts = conn.xero_account_ids.filtered(lambda a: a.status == "ACTIVE")
        active_rates = conn.xero_tax_rate_ids.filtered(lambda r: r.status == "ACTIVE")
        return accounting.Mappings(
            accounts={m.account_id.id: m.xero_account_id.code for m in conn.account_mapping_ids if m.xero_account_id},
            taxes={m.tax_id.id: m.xero_tax_rate_id.tax_type for m in conn.tax_mapping_ids if m.xero_tax_rate_id},
            journals={
                m.journal_id.id: m.xero_account_id.xero_id for m in conn.journal_mapping_ids if m.xero_account_id
            },
            no_tax=conn.no_tax_rate_id.tax_type or None,
            xero_account_codes={a.code for a in active_accounts if a.code},
            tax_rates={r.tax_type: r.rate for r in active_rates},
        )

    # -- the preview, the switch, the queue ------------------------------------------------

    def action_accounting_preview(self):
        """What a back-sync would send, before anything is sent."""
        self.ensure_one()
        xero_check_access(self, XERO_MANAGER, "write")
        self._check_ready_for_accounting()
        Preview = self.env["xero.accounting.preview"]
        # A large preview this manager asked for opens again: its progress while it is prepared,
        # the preview once ready (for a while: then it is prepared again, from Xero as it is then).
        preview = Preview.search(
            [
                ("connection_id", "=", self.id),
                ("connection_id.accounting_active", "=", False),
                ("create_uid", "=", self.env.uid),
                ("job_id.state", "in", ("pending", "running", "done")),
                ("create_date", ">=", fields.Datetime.now() - PREVIEW_KEPT),
            ],
            order="id desc",
            limit=1,
        )
        if not preview:
            preview = Preview.create({"connection_id": self.id})
            preview.sudo()._build()
        return preview._open()

    def action_accounting_stop(self):
        xero_check_access(self, XERO_MANAGER, "write")
        self.sudo().accounting_active = False
        return True

    def _enqueue_accounting_push(self, delay=None):
        """Queue the organisation's sending once; `delay` gathers postings made meanwhile into it."""
        self.ensure_one()
        return self.env["xero.job"]._enqueue(
            self,
            "accounting_push",
            self.env._("Send invoices, credit notes and payments to Xero"),
            records=self.env["xero.document"],
            identity_key=f"accounting_push:{self.id}",
            **({"next_try": fields.Datetime.now() + delay} if delay else {}),
        )

    def _enqueue_accounting_if_due(self, delay=POSTING_DELAY):
        for conn in self.sudo():
            if conn._accounting_due():
                conn._enqueue_accounting_push(delay=delay)

    def _requeue_blocked(self):
        """A mapping changed: what waited for one is tried again.

        Not what a neutralized copy holds back: that waits for a deliberate Send again.
        """
        for conn in self.sudo():
            domain = [("connection_id", "=", conn.id), ("state", "=", "blocked")]
            domain.append(("error", "not like", NEUTRALIZED_HOLD))
            docs = self.env["xero.document"].sudo().search(domain)
            docs._requeue()  # no call was made for them: the same attempt
            payments = self.env["xero.payment"].sudo().search(domain)
            payments._requeue()
            if docs or payments:
                conn._enqueue_accounting_if_due()

    @api.model
    def _accounting_connection(self, company):
        """The connection of `company` when it sends accounting data, else an empty recordset."""
        return self.sudo().search([("company_id", "=", company.id), ("accounting_active", "=", True)], limit=1)

    # -- reading the sales ledger and the payments made in Xero -------------------------------

    def _enqueue_ledger_fetch(self):
        return self._enqueue_once("ledger_fetch", self.env._("Read the sales ledger from Xero"), "xero.ledger.entry")

    def action_read_payments_from_xero(self):
        """Read the payments made in Xero now (with the sales ledger), not at the next periodic read."""
        self.ensure_one()
        xero_check_access(self, XERO_MANAGER, "write")
        if self.state != "connected":
            raise UserError(self.env._("Connect the company to Xero first."))
        if not self.payments_from_xero:
            raise UserError(self.env._('Switch on "Payments made in Xero come back" first.'))
        self.sudo()._enqueue_ledger_fetch()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._("The payments made in Xero will be read in the background."),
                "type": "info",
            },
        }

    # -- Xero's webhooks ------------------------------------------------------------------

    def _webhook_receive(self, events):
        """Queue a contacts read for each connection (already verified) whose organisation has new events.

        Xero resends a delivery it thinks failed, and anyone who captured a
        signed delivery can replay it: events already seen queue nothing.
        """
        for conn in self.sudo().filtered(lambda c: c.state == "connected" and c.tenant_id):
            digests = webhooks.contact_change_digests(events, conn.tenant_id)
            seen = conn.webhook_seen_events or []
            if not digests or set(digests) <= set(seen):
                continue
            conn.webhook_seen_events = webhooks.remember(seen, digests)
            conn._enqueue_contacts_fetch()

    # -- the lock-date shift, follow-ups ---------------------------------------------------

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


class _TokenSource:
    """What the gateway asks for tokens: the connection's own, refreshed safely."""

    def __init__(self, connection):
        self.connection = connection

    def access_token(self):
        return self.connection._get_access_token()

    def refresh(self):
        return self.connection._refresh_tokens(force=True)
