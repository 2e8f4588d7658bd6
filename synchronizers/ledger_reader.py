import logging

from odoo import fields, models

from ..models.access import XERO_MANAGER
from ..xero_connector import reading
from ..xero_connector.errors import XeroError
from ..xero_connector.gateway import parse_xero_datetime
from .base import SENT_STATES, Synchronizer
from .payment_reader import PaymentReader

_logger = logging.getLogger(__name__)

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


class LedgerReader(Synchronizer):
    """The organisation's sales ledger (sales invoices and credit notes, those created
    directly in Xero included) read from Xero into `xero.ledger.entry`, through the
    paged reader (xero_connector/reading.py)."""

    def fetch_step(self, job):
        """Read one page of the sales invoices, then of the credit notes, changed since
        the last read, then, when the connection takes them, of the payments made in
        Xero: each page a committed step, a stopped worker resumes at its page (the
        cursor is in the job's payload)."""
        connection = self.connection
        if not connection.short_code:
            connection._refresh_organisation()
        payload = dict(job.payload or {})
        if "payments" in payload:
            finished = PaymentReader(connection).read_step(job)
            if finished:
                self.notice_voided()
            return finished
        position = payload.get("ledger") or self.start()
        position, finished, read, left = self.read_page(position)
        job.progress_done += read
        job.progress_total = job.progress_done + (left or 0)
        if not finished:
            job.payload = dict(payload, ledger=position)
            return False
        if not connection.sudo().payments_from_xero:
            job.payload = dict(payload, ledger=None)
            return True
        # The payments' read starts at their own watermark (see PaymentReader.read_step).
        job.payload = dict(payload, ledger=None, payments={})
        return False

    def read_changes(self):
        """Read the sales invoices and credit notes changed since the last read, now
        (two calls when nothing changed); return how many Xero sent."""
        connection = self.connection
        if not connection.short_code:
            connection._refresh_organisation()
        position, finished, count = self.start(), False, 0
        while not finished:
            position, finished, read, _left = self.read_page(position)
            count += read
        return count

    def start(self, kind="invoices"):
        """The position at the start of one list of the ledger read."""
        # One watermark per list: the two are read at different moments.
        return {"list": kind, "cursor": reading.start(self.connection[LEDGER_LISTS[kind]["read_to"]])}

    def read_page(self, position):
        """One page of the ledger read at `position`: (next position, finished, documents stored, left in the list)."""
        connection = self.connection
        kind, cursor = position["list"], position["cursor"]
        spec = LEDGER_LISTS[kind]
        docs, cursor, done, left = reading.read_step(
            connection._gateway(), kind, cursor, FETCH_PAGE_SIZE, lambda d: d[spec["id"]], where=spec["where"]
        )
        # Xero's second of the last change is read again: documents stored exactly as
        # Xero sends them are skipped.
        docs = self._unknown(spec["type"], docs)
        self.store(docs if kind == "invoices" else [], docs if kind == "credit_notes" else [])
        if kind == "credit_notes":
            # Credit note allocations made in Xero come with the credit notes (when the setting is on).
            PaymentReader(connection).take_allocations(docs)
        values = {"ledger_read_at": fields.Datetime.now()}
        if done and cursor["latest"]:
            values[spec["read_to"]] = parse_xero_datetime(cursor["latest"]).replace(tzinfo=None)
        connection.sudo().write(values)
        if not done:
            return {"list": kind, "cursor": cursor}, False, len(docs), left
        if kind == "invoices":
            return self.start("credit_notes"), False, len(docs), left
        self._link_contacts()
        return None, True, len(docs), left

    def _unknown(self, doc_type, docs):
        """The documents not already stored with exactly these values."""
        ids = [d.get("InvoiceID") or d.get("CreditNoteID") for d in docs]
        entries = {
            e.xero_id: e
            for e in self.env["xero.ledger.entry"]
            .sudo()
            .search([("connection_id", "=", self.connection.id), ("xero_id", "in", ids)])
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

    def refresh_contact(self, binding):
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
        kept = self.store(invoices, notes)
        gone = (
            self.env["xero.ledger.entry"]
            .sudo()
            .search(
                [
                    ("connection_id", "=", connection.id),
                    ("contact_xero_id", "=", binding.xero_id),
                    ("id", "not in", kept.ids),
                ]
            )
        )
        gone.unlink()
        binding.write({"ledger_refreshed_at": fields.Datetime.now(), "ledger_error": False})
        return False

    def store(self, invoices, credit_notes):
        """Write the documents Xero sent; a DELETED one is removed. Returns the entries kept."""
        connection = self.connection
        Entry = self.env["xero.ledger.entry"].sudo()
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

    def _values_from_xero(self, doc_type, data, currencies):
        """Entry values of one Xero document; `currencies` caches code -> res.currency id."""
        sign = -1 if doc_type == "credit_note" else 1
        due = data.get("AmountDue") if doc_type == "invoice" else data.get("RemainingCredit")
        code = data.get("CurrencyCode") or False
        if code not in currencies:
            Currency = self.env["res.currency"].with_context(active_test=False)
            currencies[code] = Currency.search([("name", "=", code)], limit=1).id if code else False
        updated = parse_xero_datetime(data.get("UpdatedDateUTC"))
        statuses = dict(self.env["xero.ledger.entry"]._fields["status"].selection)
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
            "status": data.get("Status") if data.get("Status") in statuses else False,
            "xero_updated_at": updated.replace(tzinfo=None) if updated else False,
        }

    def _link_contacts(self):
        """Attach entries read before their Xero contact was known to its binding."""
        connection = self.connection
        orphans = (
            self.env["xero.ledger.entry"]
            .sudo()
            .search([("connection_id", "=", connection.id), ("contact_id", "=", False)])
        )
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

    def notice_voided(self):
        """Mark the documents sent from Odoo and voided in Xero (not from Odoo), as Xero's
        ledger now says, once each: shown on the Odoo invoice, and the accountant gets an
        activity. They are not cancelled in Odoo by themselves: the accountant decides (a
        credit note, a cancellation, or asking Xero's side)."""
        Document = self.env["xero.document"].sudo()
        env = Document.env
        docs = Document.search(
            [
                ("connection_id", "=", self.connection.id),
                ("state", "in", SENT_STATES),
                ("xero_status", "=", "VOIDED"),
                ("voided_in_xero", "=", False),
            ]
        )
        for doc in docs:
            doc.voided_in_xero = True
            move = doc.move_id
            user = move.invoice_user_id.filtered(lambda u: u.active and not u.share and u.has_group(XERO_MANAGER))
            if not user:
                managers = (
                    env.ref(XERO_MANAGER)
                    .sudo()
                    .all_user_ids.filtered(
                        lambda u, company=move.company_id: u.active and not u.share and company in u.company_ids
                    )
                )
                user = managers[:1] or env.ref("base.user_admin")
            move.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=user.id,
                summary=env._("%s was voided in Xero", move.name),
                note=env._(
                    "%s was voided in Xero. It is still posted in Odoo: cancel it, credit it, "
                    "or ask who voided it in Xero.",
                    move.name,
                ),
            )
            move._message_log(body=env._("Voided in Xero (not in Odoo): left as it is here."))


def _date(value):
    moment = parse_xero_datetime(value)
    return moment.date() if moment else False


# The job kinds this module runs: kind -> (synchronizer class, name of its step method).
JOBS = {"ledger_fetch": (LedgerReader, "fetch_step")}
# The outbox kinds whose answers this module records: kind -> synchronizer class.
WRITERS = {}
