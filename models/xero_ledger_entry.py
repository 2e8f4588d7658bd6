import logging

from odoo import api, fields, models
from odoo.tools.misc import formatLang

from ..xero_connector import reading
from ..xero_connector.errors import XeroError
from ..xero_connector.gateway import parse_xero_datetime

_logger = logging.getLogger(__name__)

XERO_APP_URL = "https://go.xero.com/app"
# Xero's largest page: the background read of a whole organisation costs fewest calls.
FETCH_PAGE_SIZE = 1000
SALES_INVOICE = 'Type=="ACCREC"'
SALES_CREDIT_NOTE = 'Type=="ACCRECCREDIT"'
# The two lists of the ledger read, in their order.
LEDGER_LISTS = {
    "invoices": {"where": SALES_INVOICE, "id": "InvoiceID", "type": "invoice", "read_to": "ledger_invoices_read_to"},
    "credit_notes": {
        "where": SALES_CREDIT_NOTE,
        "id": "CreditNoteID",
        "type": "credit_note",
        "read_to": "ledger_credit_notes_read_to",
    },
}
OPEN_STATES = ("AUTHORISED",)


class XeroLedgerEntry(models.Model):
    """One document of a Xero contact's sales ledger, as Xero last sent it.

    Sales invoices (ACCREC) and credit notes (ACCRECCREDIT) of the company's
    organisation, those created directly in Xero included. Amounts are signed
    from the customer's point of view: a credit note counts negative.
    """

    _name = "xero.ledger.entry"
    _check_company_auto = True
    _description = "Xero sales ledger entry"
    _order = "date desc, id desc"

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    contact_xero_id = fields.Char(string="Xero contact id", required=True, index=True)
    contact_id = fields.Many2one(
        "xero.contact", string="Xero contact", ondelete="set null", index="btree_not_null", check_company=True
    )
    xero_id = fields.Char(string="Xero document id", required=True)
    doc_type = fields.Selection([("invoice", "Invoice"), ("credit_note", "Credit note")], string="Type", required=True)
    name = fields.Char(string="Number")
    reference = fields.Char()
    date = fields.Date()
    due_date = fields.Date()
    currency_code = fields.Char(string="Currency")
    currency_id = fields.Many2one("res.currency", string="Odoo currency")
    total = fields.Monetary()
    amount_due = fields.Monetary()
    status = fields.Selection(
        [
            ("DRAFT", "Draft"),
            ("SUBMITTED", "Awaiting approval"),
            ("AUTHORISED", "Awaiting payment"),
            ("PAID", "Paid"),
            ("VOIDED", "Voided"),
        ]
    )
    xero_updated_at = fields.Datetime(string="Changed in Xero")
    is_overdue = fields.Boolean(string="Overdue", compute="_compute_is_overdue")
    xero_url = fields.Char(string="Open in Xero", compute="_compute_xero_url")

    _xero_id_uniq = models.UniqueIndex("(connection_id, xero_id)", "A Xero document is recorded once.")

    @api.depends("doc_type", "status", "due_date", "amount_due")
    def _compute_is_overdue(self):
        today = fields.Date.context_today(self)
        for entry in self:
            entry.is_overdue = (
                entry.doc_type == "invoice"
                and entry.status in OPEN_STATES
                and entry.amount_due > 0
                and bool(entry.due_date)
                and entry.due_date < today
            )

    @api.depends("connection_id.short_code", "xero_id")
    def _compute_xero_url(self):
        for entry in self:
            code = entry.connection_id.short_code
            # Credit notes open at the same address as invoices, with their own id.
            entry.xero_url = f"{XERO_APP_URL}/{code}/invoicing/view/{entry.xero_id}" if code else False

    # -- reading from Xero ------------------------------------------------------

    @api.model
    def _cron_fetch(self):
        """Queue an incremental read of every connected organisation's ledger."""
        for connection in (
            self.env["xero.connection"].sudo().search([("state", "=", "connected"), ("enabled", "=", True)])
        ):
            connection._enqueue_ledger_fetch()

    def _xero_job_ledger_fetch(self, job):
        """Read one page of the sales invoices, then of the credit notes, changed since
        the last read, then, when the connection takes them, of the payments made in
        Xero: each page a committed step, a stopped worker resumes at its page (the
        cursor is in the job's payload)."""
        connection = job.connection_id
        if not connection.short_code:
            connection._refresh_organisation()
        payload = dict(job.payload or {})
        if "payments" in payload:
            return self.env["xero.payment"]._xero_read_step(job)
        position = payload.get("ledger") or self._ledger_start(connection)
        position, finished, read, left = self._read_page(connection, position)
        job.progress_done += read
        job.progress_total = job.progress_done + (left or 0)
        if not finished:
            job.payload = dict(payload, ledger=position)
            return False
        if not connection.sudo().payments_from_xero:
            job.payload = dict(payload, ledger=None)
            return True
        # The payments' read starts at their own watermark (see xero.payment's _xero_read_step).
        job.payload = dict(payload, ledger=None, payments={})
        return False

    @api.model
    def _read_changes(self, connection):
        """Read the sales invoices and credit notes changed since the last read, now
        (two calls when nothing changed); return how many Xero sent."""
        if not connection.short_code:
            connection._refresh_organisation()
        position, finished, count = self._ledger_start(connection), False, 0
        while not finished:
            position, finished, read, _left = self._read_page(connection, position)
            count += read
        return count

    @api.model
    def _ledger_start(self, connection, kind="invoices"):
        # One watermark per list: the two are read at different moments.
        return {"list": kind, "cursor": reading.start(connection[LEDGER_LISTS[kind]["read_to"]])}

    @api.model
    def _read_page(self, connection, position):
        """One page of the ledger read at `position`: (next position, finished, documents stored, left in the list)."""
        kind, cursor = position["list"], position["cursor"]
        spec = LEDGER_LISTS[kind]
        asked = reading.request(cursor, FETCH_PAGE_SIZE)
        docs, left = connection._gateway().read_page(
            kind, asked[0], cursor["since"], page_size=asked[1], where=spec["where"]
        )
        docs, cursor, done = reading.advance(cursor, docs, asked, lambda d: d[spec["id"]], left)
        # Xero's second of the last change is read again: documents stored exactly as
        # Xero sends them are skipped.
        docs = self._unknown(connection, spec["type"], docs)
        self._store(connection, docs if kind == "invoices" else [], docs if kind == "credit_notes" else [])
        if kind == "credit_notes":
            # Credit note allocations made in Xero come with the credit notes (when the setting is on).
            self.env["xero.payment"]._take_allocations_from_xero(connection, docs)
        values = {"ledger_read_at": fields.Datetime.now()}
        if done and cursor["latest"]:
            values[spec["read_to"]] = parse_xero_datetime(cursor["latest"]).replace(tzinfo=None)
        connection.sudo().write(values)
        if not done:
            return {"list": kind, "cursor": cursor}, False, len(docs), left
        if kind == "invoices":
            return self._ledger_start(connection, "credit_notes"), False, len(docs), left
        self._link_contacts(connection)
        return None, True, len(docs), left

    @api.model
    def _unknown(self, connection, doc_type, docs):
        """The documents not already stored with exactly these values."""
        ids = [d.get("InvoiceID") or d.get("CreditNoteID") for d in docs]
        entries = {
            e.xero_id: e for e in self.sudo().search([("connection_id", "=", connection.id), ("xero_id", "in", ids)])
        }
        currencies, fresh = {}, []
        for data, xero_id in zip(docs, ids, strict=True):
            entry = entries.get(xero_id)
            if entry and data.get("Status") != "DELETED":
                values = self._values_from_xero(doc_type, data, currencies)
                stored = {k: entry[k].id if isinstance(entry[k], models.BaseModel) else entry[k] for k in values}
                if all((stored[k] or False) == (v or False) for k, v in values.items()):
                    continue
            fresh.append(data)
        return fresh

    @api.model
    def _refresh_contact(self, binding):
        """Read one contact's whole sales ledger now; return the error message, if any.

        The whole list is read (one call per page of invoices, one per page of
        credit notes), so it also drops documents Xero no longer lists. On any
        Xero error the stored ledger stays as it was.
        """
        binding = binding.sudo()
        connection = binding.connection_id
        try:
            gateway = connection._gateway()
            if not connection.short_code:
                connection._refresh_organisation()
            invoices = gateway.get_invoices(contact_ids=[binding.xero_id], where=SALES_INVOICE)
            notes = gateway.get_credit_notes(
                where=f'{SALES_CREDIT_NOTE} AND Contact.ContactID==guid("{binding.xero_id}")'
            )
        except XeroError as exc:
            _logger.info("Xero ledger refresh of contact %s failed: %s", binding.xero_id, exc)
            binding.write({"ledger_error": str(exc)})
            return str(exc)
        kept = self._store(connection, invoices, notes)
        gone = self.sudo().search(
            [
                ("connection_id", "=", connection.id),
                ("contact_xero_id", "=", binding.xero_id),
                ("id", "not in", kept.ids),
            ]
        )
        gone.unlink()
        binding.write({"ledger_refreshed_at": fields.Datetime.now(), "ledger_error": False})
        return False

    @api.model
    def _store(self, connection, invoices, credit_notes):
        """Write the documents Xero sent; a DELETED one is removed. Returns the entries kept."""
        Entry = self.sudo()
        docs = [("invoice", d) for d in invoices if d.get("Type") == "ACCREC"]
        docs += [("credit_note", d) for d in credit_notes if d.get("Type") == "ACCRECCREDIT"]
        ids = [d.get("InvoiceID") or d.get("CreditNoteID") for _kind, d in docs]
        existing = {e.xero_id: e for e in Entry.search([("connection_id", "=", connection.id), ("xero_id", "in", ids)])}
        contacts = {
            c.xero_id: c.id
            for c in self.env["xero.contact"]
            .sudo()
            .search(
                [
                    ("connection_id", "=", connection.id),
                    ("xero_id", "in", [(d.get("Contact") or {}).get("ContactID") for _kind, d in docs]),
                ]
            )
        }
        currencies = {}
        kept_ids, to_create, deleted_ids = [], [], []
        for doc_type, data in docs:
            entry = existing.get(data.get("InvoiceID") or data.get("CreditNoteID"))
            if data.get("Status") == "DELETED":
                deleted_ids += entry.ids if entry else []
                continue
            values = self._values_from_xero(doc_type, data, currencies)
            values["contact_id"] = contacts.get(values["contact_xero_id"], False)
            if entry:
                entry.write(values)
                kept_ids.append(entry.id)
            else:
                to_create.append(dict(values, connection_id=connection.id))
        Entry.browse(deleted_ids).unlink()
        entries = Entry.browse(kept_ids) | Entry.create(to_create)
        self.env["xero.document"]._update_from_ledger(connection, entries)
        return entries

    @api.model
    def _values_from_xero(self, doc_type, data, currencies):
        """Entry values of one Xero document; `currencies` caches code -> res.currency id."""
        sign = -1 if doc_type == "credit_note" else 1
        due = data.get("AmountDue") if doc_type == "invoice" else data.get("RemainingCredit")
        code = data.get("CurrencyCode") or False
        if code not in currencies:
            Currency = self.env["res.currency"].with_context(active_test=False)
            currencies[code] = Currency.search([("name", "=", code)], limit=1).id if code else False
        updated = parse_xero_datetime(data.get("UpdatedDateUTC"))
        return {
            "xero_id": data.get("InvoiceID") or data.get("CreditNoteID"),
            "doc_type": doc_type,
            "contact_xero_id": (data.get("Contact") or {}).get("ContactID"),
            "name": data.get("InvoiceNumber") or data.get("CreditNoteNumber") or False,
            "reference": data.get("Reference") or False,
            "date": _date(data.get("Date")),
            "due_date": _date(data.get("DueDate")),
            "currency_code": code,
            "currency_id": currencies[code],
            "total": sign * float(data.get("Total") or 0),
            "amount_due": sign * float(due or 0),
            "status": data.get("Status") if data.get("Status") in dict(self._fields["status"].selection) else False,
            "xero_updated_at": updated.replace(tzinfo=None) if updated else False,
        }

    @api.model
    def _link_contacts(self, connection):
        """Attach entries read before their Xero contact was known to its binding."""
        orphans = self.sudo().search([("connection_id", "=", connection.id), ("contact_id", "=", False)])
        if not orphans:
            return
        bindings = {
            c.xero_id: c
            for c in self.env["xero.contact"]
            .sudo()
            .search([("connection_id", "=", connection.id), ("xero_id", "in", orphans.mapped("contact_xero_id"))])
        }
        for entry in orphans:
            if entry.contact_xero_id in bindings:
                entry.contact_id = bindings[entry.contact_xero_id]

    @api.model
    def _as_xero_records(self, connection, numbers):
        """The entries with these numbers, shaped as Xero lists them (for `accounting.preview`)."""
        entries = self.sudo().search([("connection_id", "=", connection.id), ("name", "in", list(set(numbers)))])
        records = []
        for entry in entries:
            invoice = entry.doc_type == "invoice"
            records.append(
                {
                    "Type": "ACCREC" if invoice else "ACCRECCREDIT",
                    "InvoiceNumber" if invoice else "CreditNoteNumber": entry.name,
                    "InvoiceID" if invoice else "CreditNoteID": entry.xero_id,
                    "Contact": {"ContactID": entry.contact_xero_id, "Name": entry.contact_id.name or None},
                    "Status": entry.status,
                }
            )
        return records

    # -- totals shown on the partner -----------------------------------------------

    def _totals_text(self, overdue=False):
        """Open amounts per currency, e.g. "1,380.00 NZD, 200.00 USD"."""
        amounts = {}
        for entry in self:
            if entry.status not in OPEN_STATES or (overdue and not entry.is_overdue):
                continue
            amounts[entry.currency_code] = amounts.get(entry.currency_code, 0.0) + entry.amount_due
        parts = [
            f"{formatLang(self.env, amount)} {code or ''}".strip()
            for code, amount in sorted(amounts.items(), key=lambda item: item[0] or "")
            if round(amount, 2)
        ]
        return ", ".join(parts) or self.env._("None")


def _date(value):
    moment = parse_xero_datetime(value)
    return moment.date() if moment else False
