from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..xero_connector import accounting, matching
from .access import XERO_MANAGER, xero_check_access
from .xero_document import NEUTRALIZED_HOLD

# What was read from Xero this recently (accounts, tax rates, contacts, sales
# documents) is not read again before a sending: a preview just read it. What
# changed in Xero meanwhile is refused by Xero (an archived account) or found
# when Xero refuses a number it already has, never written twice.
READ_MAX_AGE = timedelta(minutes=5)
INCOME_TYPES = ("income", "income_other")
PAYMENT_JOURNAL_TYPES = ("bank", "cash", "credit")
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


class XeroConnection(models.Model):
    """Sending accounting data: the start date, its lock, and the mappings."""

    _inherit = "xero.connection"

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

    def write(self, vals):
        if "accounting_start_date" in vals:
            new = fields.Date.to_date(vals["accounting_start_date"])
            for conn in self.filtered(lambda c: c.accounting_start_date != new):
                reason = conn._lock_reason()
                if reason:
                    raise UserError(reason)
        return super().write(vals)

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
        self._read_accounting_reference()
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

    def _read_accounting_reference(self, max_age=None):
        """Read the organisation, its accounts and tax rates (3 calls) into Odoo."""
        self.ensure_one()
        conn = self.sudo()
        if max_age and conn.accounting_reference_read_at and conn.base_currency:
            if fields.Datetime.now() - conn.accounting_reference_read_at < max_age:
                return
        gateway = conn._gateway()
        conn._refresh_organisation()
        for model, records, key in (
            ("xero.account", gateway.get_accounts(), "xero_id"),
            ("xero.tax.rate", gateway.get_tax_rates(), "tax_type"),
        ):
            Model = self.env[model].sudo()
            existing = {r[key]: r for r in Model.search([("connection_id", "=", conn.id)])}
            to_create = []
            for data in records:
                values = Model._values_from_xero(data)
                record = existing.pop(values[key], None)
                if record:
                    record.write(values)
                else:
                    to_create.append(dict(values, connection_id=conn.id))
            Model.create(to_create)
            # Gone from Xero: kept (mappings may name it) but no longer offered.
            Model.browse([r.id for r in existing.values() if r.status != "ARCHIVED"]).status = "ARCHIVED"
        conn.accounting_reference_read_at = fields.Datetime.now()
        conn._ensure_mapping_rows()

    def _ensure_mapping_rows(self):
        """A mapping row for every income account, sales tax and payment journal,
        with the obvious Xero counterpart filled in (same code, same bank account)."""
        self.ensure_one()
        company = self.company_id
        accounts = self.xero_account_ids.filtered(lambda a: a.status == "ACTIVE")
        by_code = {a.code: a for a in accounts if a.code}
        by_number = {
            matching.bank_account_key(a.bank_account_number): a
            for a in accounts
            if a.takes_payments and a.bank_account_number
        }
        Account = self.env["account.account"].with_company(company)
        mapped = set(self.account_mapping_ids.account_id.ids)
        income = Account.search([("company_ids", "in", company.id), ("account_type", "in", INCOME_TYPES)])
        self.env["xero.account.mapping"].sudo().create(
            [
                {"connection_id": self.id, "account_id": a.id, "xero_account_id": by_code.get(a.code, accounts[:0]).id}
                for a in income
                if a.id not in mapped
            ]
        )
        mapped = set(self.tax_mapping_ids.tax_id.ids)
        taxes = self.env["account.tax"].search([("company_id", "=", company.id), ("type_tax_use", "=", "sale")])
        self.env["xero.tax.mapping"].sudo().create(
            [{"connection_id": self.id, "tax_id": t.id} for t in taxes if t.id not in mapped]
        )
        mapped = set(self.journal_mapping_ids.journal_id.ids)
        journals = self.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "in", PAYMENT_JOURNAL_TYPES)]
        )
        rows = []
        for journal in journals.filtered(lambda j: j.id not in mapped):
            number = journal.bank_account_id.acc_number
            match = (number and by_number.get(matching.bank_account_key(number))) or by_code.get(
                journal.default_account_id.code
            )
            rows.append(
                {
                    "connection_id": self.id,
                    "journal_id": journal.id,
                    "xero_account_id": match.id if match and match.takes_payments else False,
                }
            )
        self.env["xero.journal.mapping"].sudo().create(rows)
        if not self.no_tax_rate_id:
            none = self.xero_tax_rate_ids.filtered(lambda r: r.tax_type == "NONE" and r.status == "ACTIVE")
            self.no_tax_rate_id = none[:1]

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
