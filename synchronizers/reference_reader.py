from odoo import fields

from ..xero_connector import matching
from .base import Synchronizer

INCOME_TYPES = ("income", "income_other")
PAYMENT_JOURNAL_TYPES = ("bank", "cash", "credit")


class ReferenceReader(Synchronizer):
    """The organisation, its accounts and tax rates read from Xero into `xero.account` and
    `xero.tax.rate`, and a mapping row for each Odoo income account, sales tax and
    payment journal (the obvious Xero counterpart filled in)."""

    def read_reference(self, max_age=None):
        """Read the organisation, its accounts and tax rates (3 calls) into Odoo; nothing
        when they were read less than `max_age` ago."""
        self.connection.ensure_one()
        conn = self.connection.sudo()
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
        self.ensure_mapping_rows()

    def ensure_mapping_rows(self):
        """A mapping row for every income account, sales tax and payment journal,
        with the obvious Xero counterpart filled in (same code, same bank account)."""
        conn = self.connection.sudo()
        conn.ensure_one()
        env = conn.env
        company = conn.company_id
        accounts = conn.xero_account_ids.filtered(lambda a: a.status == "ACTIVE")
        by_code = {a.code: a for a in accounts if a.code}
        by_number = {
            matching.bank_account_key(a.bank_account_number): a
            for a in accounts
            if a.takes_payments and a.bank_account_number
        }
        Account = env["account.account"].with_company(company)
        mapped = set(conn.account_mapping_ids.account_id.ids)
        income = Account.search([("company_ids", "in", company.id), ("account_type", "in", INCOME_TYPES)])
        env["xero.account.mapping"].sudo().create(
            [
                {"connection_id": conn.id, "account_id": a.id, "xero_account_id": by_code.get(a.code, accounts[:0]).id}
                for a in income
                if a.id not in mapped
            ]
        )
        mapped = set(conn.tax_mapping_ids.tax_id.ids)
        taxes = env["account.tax"].search([("company_id", "=", company.id), ("type_tax_use", "=", "sale")])
        env["xero.tax.mapping"].sudo().create(
            [{"connection_id": conn.id, "tax_id": t.id} for t in taxes if t.id not in mapped]
        )
        mapped = set(conn.journal_mapping_ids.journal_id.ids)
        journals = env["account.journal"].search(
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
                    "connection_id": conn.id,
                    "journal_id": journal.id,
                    "xero_account_id": match.id if match and match.takes_payments else False,
                }
            )
        env["xero.journal.mapping"].sudo().create(rows)
        if not conn.no_tax_rate_id:
            none = conn.xero_tax_rate_ids.filtered(lambda r: r.tax_type == "NONE" and r.status == "ACTIVE")
            conn.no_tax_rate_id = none[:1]


# The job kinds this module runs: kind -> (synchronizer class, name of its step method).
JOBS = {}
# The outbox kinds whose answers this module records: kind -> synchronizer class.
WRITERS = {}
