from odoo import fields
from odoo.tools import float_compare

from ..xero_connector import reading
from ..xero_connector.gateway import parse_xero_datetime
from .base import SENT_STATES, Synchronizer

# Payments of sales invoices and refunds of sales credit notes (not bills).
SALES_PAYMENTS = 'PaymentType=="ACCRECPAYMENT" OR PaymentType=="ARCREDITPAYMENT"'
READ_PAGE_SIZE = 100


class PaymentReader(Synchronizer):
    """Payments made in Xero itself (the accountant reconciling the bank feed there),
    and allocations of credit notes made there, read back and registered in Odoo.

    Read page by page with If-Modified-Since, as a step of the periodic read of
    the sales ledger (see LedgerReader), when the connection's `payments_from_xero`
    is on. Only payments of documents sent from Odoo are taken; one binding
    (`xero.payment`) per Xero PaymentID, so a payment is never registered twice
    and Odoo's own payments (their bindings hold their PaymentID) are never read
    back as new ones.
    """

    # -- the read, one page a step ---------------------------------------------------

    def read_step(self, job):
        """Read one page of the payments changed in Xero since the last read and register
        them; True when the last page is done (the watermark then moves).

        The same resumable reading as the ledger's (xero_connector/reading.py): one
        `since` for the whole read, none skipped; a payment changed while the read
        goes on is taken by this read or the next."""
        connection = job.connection_id.sudo()
        payload = dict(job.payload or {})
        cursor = (payload.get("payments") or {}).get("cursor") or reading.start(connection.payments_read_to)
        if not connection.short_code:
            connection._refresh_organisation()
        records, cursor, finished, left = reading.read_step(
            connection._gateway(),
            "payments",
            cursor,
            READ_PAGE_SIZE,
            lambda r: r.get("PaymentID"),
            where=SALES_PAYMENTS,
        )
        self.take_payments(records)
        job.write(
            {
                "payload": dict(payload, payments={"cursor": cursor}),
                "progress_done": job.progress_done + len(records),
                "progress_total": job.progress_done + len(records) + (left or 0),
            }
        )
        if not finished:
            return False
        values = {"payments_read_at": fields.Datetime.now()}
        if cursor["latest"]:
            values["payments_read_to"] = parse_xero_datetime(cursor["latest"]).replace(tzinfo=None)
        connection.write(values)
        job.progress_total = job.progress_done
        # What a missing journal mapping held back goes once it is mapped.
        self.register_in_odoo(
            self.env["xero.payment"].sudo().search([("connection_id", "=", connection.id), ("state", "=", "held")])
        )
        return True

    def take_payments(self, records):
        """Bind and register the payments of documents sent from Odoo; cancel those Xero deleted."""
        connection = self.connection
        Payment = self.env["xero.payment"].sudo()
        ids = [r["PaymentID"] for r in records if r.get("PaymentID")]
        known = {
            p.xero_id: p
            for p in Payment.search(
                [("connection_id", "=", connection.id), ("kind", "=", "payment"), ("xero_id", "in", ids)]
            )
        }
        doc_ids = [
            (r.get("Invoice") or {}).get("InvoiceID") or (r.get("CreditNote") or {}).get("CreditNoteID")
            for r in records
        ]
        docs = self._documents(doc_ids)
        new = Payment.browse()
        for data, doc_xero_id in zip(records, doc_ids, strict=True):
            binding = known.get(data.get("PaymentID"))
            deleted = data.get("Status") == "DELETED"
            if binding:
                if deleted and binding.origin == "xero" and binding.state in ("received", "held"):
                    self.cancel_deleted(binding)
                continue  # Odoo's own payment, or one registered already
            doc = docs.get(doc_xero_id)
            if deleted or not doc or doc.state not in SENT_STATES or self._is_echo(doc, data):
                continue
            if doc.state == "linked" and self._before_linked(doc, data):
                # Found in Xero by the preview: its earlier payments are those Odoo already has.
                continue
            account = data.get("Account") or {}
            new |= Payment.create(
                {
                    "connection_id": connection.id,
                    "origin": "xero",
                    "kind": "payment",
                    "state": "held",
                    "xero_id": data["PaymentID"],
                    "document_id": doc.id,
                    "date": _date(data.get("Date")),
                    "amount": float(data.get("Amount") or 0),
                    "currency_id": doc.move_id.currency_id.id,
                    "currency_rate": float(data.get("CurrencyRate") or 0),
                    "xero_account_id": account.get("AccountID"),
                    "xero_account_name": " ".join(filter(None, [account.get("Code"), account.get("Name")])),
                    "reference": data.get("Reference") or False,
                }
            )
        self.register_in_odoo(new)

    def _documents(self, xero_ids):
        """The organisation's document bindings of these Xero ids, by Xero id."""
        found = (
            self.env["xero.document"]
            .sudo()
            .search([("connection_id", "=", self.connection.id), ("xero_id", "in", [i for i in xero_ids if i])])
        )
        return {d.xero_id: d for d in found}

    def _is_echo(self, doc, data):
        """Odoo's own payment sent a moment ago, its answer not yet recorded: it carries the
        Odoo entry's name as its reference (see the sending job)."""
        reference = data.get("Reference")
        return bool(reference) and any(
            p.origin == "odoo" and not p.xero_id and p.origin_move_id.name == reference for p in doc.payment_ids
        )

    def _before_linked(self, doc, data):
        updated = parse_xero_datetime(data.get("UpdatedDateUTC"))
        return bool(updated) and updated.replace(tzinfo=None) <= doc.create_date

    # -- in Odoo -------------------------------------------------------------------------

    def _hold(self, binding, reason):
        binding.write({"state": "held", "error": reason})

    def register_in_odoo(self, bindings):
        """An Odoo payment in the journal mapped to the Xero bank account, at Xero's date,
        amount and rate, reconciled with the document; held back with the reason otherwise."""
        env = bindings.env
        for binding in bindings:
            if binding.kind == "allocation":
                self._register_allocation(binding)
                continue
            connection = binding.connection_id
            mapping = (
                env["xero.journal.mapping"]
                .sudo()
                .search(
                    [
                        ("connection_id", "=", connection.id),
                        ("xero_account_id.xero_id", "=", binding.xero_account_id),
                        ("journal_id", "!=", False),
                    ],
                    limit=1,
                )
            )
            move = binding.document_id.move_id
            if not mapping:
                self._hold(
                    binding,
                    env._(
                        'The Xero bank account "%s" is not mapped to an Odoo journal '
                        "(Settings > Xero > Payment journals): the payment waits for it.",
                        binding.xero_account_name or binding.xero_account_id,
                    ),
                )
                continue
            if move.state != "posted":
                self._hold(binding, env._("%s is not posted in Odoo: the payment made in Xero waits.", move.name))
                continue
            if float_compare(binding.amount, move.amount_residual, precision_rounding=move.currency_id.rounding) > 0:
                self._hold(
                    binding,
                    env._(
                        "The payment made in Xero (%(amount)s) is more than what is due on %(name)s in Odoo "
                        "(%(due)s): register the difference in Odoo first.",
                        amount=binding.amount,
                        name=move.name,
                        due=move.amount_residual,
                    ),
                )
                continue
            self._register_payment(binding, mapping.journal_id, move)

    def _register_payment(self, binding, journal, move):
        binding.ensure_one()
        env = binding.env
        inbound = move.move_type == "out_invoice"
        receivable = move.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable" and not line.reconciled
        )
        values = {
            "payment_type": "inbound" if inbound else "outbound",
            "partner_type": "customer",
            "partner_id": move.commercial_partner_id.id,
            "journal_id": journal.id,
            "company_id": move.company_id.id,
            "date": binding.date,
            "amount": binding.amount,
            "currency_id": move.currency_id.id,
            "memo": binding.reference or env._("Paid in Xero"),
            "destination_account_id": receivable[:1].account_id.id,
            # Makes Odoo write the payment's journal entry (see account.payment's create).
            "write_off_line_vals": [],
        }
        if move.currency_id != move.company_currency_id and binding.currency_rate:
            # Xero's rate (units of the currency for one of the company's), not Odoo's of the day.
            values.pop("write_off_line_vals")
            values["force_balance"] = move.company_currency_id.round(binding.amount / binding.currency_rate)
        payment = env["account.payment"].sudo().with_context(skip_invoice_sync=True).create(values)
        payment.action_post()
        lines = payment.move_id.line_ids.filtered(
            lambda line: line.account_id in receivable.account_id and not line.reconciled
        )
        before = receivable.matched_credit_ids | receivable.matched_debit_ids
        # Bound before the reconciliation: the sending job never takes it for Odoo's own.
        binding.write({"state": "received", "error": False, "account_payment_id": payment.id})
        (lines | receivable).reconcile()
        move.matched_payment_ids += payment
        partials = (receivable.matched_credit_ids | receivable.matched_debit_ids) - before
        partials = partials.filtered(lambda p: payment.move_id in (p.debit_move_id | p.credit_move_id).move_id)
        binding.write({"partial_id": partials[:1].id, "origin_move_id": payment.move_id.id, "journal_id": journal.id})
        # Installments: the other reconciliations of the same Xero payment are bound without its id.
        for partial in partials[1:]:
            binding.copy({"partial_id": partial.id, "xero_id": False, "amount": 0.0})
        move._message_log(
            body=env._(
                "Payment made in Xero registered: %(amount)s on %(date)s into %(journal)s.",
                amount=binding.amount,
                date=binding.date,
                journal=journal.name,
            )
        )

    # -- credit note allocations, read with the credit notes ---------------------------------

    def take_allocations(self, notes):
        """The allocations of sent credit notes to sent invoices made in Xero, as the sales
        ledger read the credit notes: reconciled in Odoo; those taken back in Xero undone."""
        connection = self.connection
        if not connection.sudo().payments_from_xero:
            return
        Payment = self.env["xero.payment"].sudo()
        notes = [n for n in notes if n.get("Type") == "ACCRECCREDIT" and n.get("CreditNoteID")]
        ids = [n["CreditNoteID"] for n in notes]
        ids += [(a.get("Invoice") or {}).get("InvoiceID") for n in notes for a in n.get("Allocations") or []]
        docs = self._documents(ids)
        new = Payment.browse()
        for data in notes:
            note = docs.get(data["CreditNoteID"])
            if not note or note.kind != "credit_note":
                continue
            live = {
                a["AllocationID"]: a
                for a in data.get("Allocations") or []
                if a.get("AllocationID") and not a.get("IsDeleted")
            }
            bound = Payment.search(
                [("connection_id", "=", connection.id), ("kind", "=", "allocation"), ("credit_note_id", "=", note.id)]
            )
            gone = bound.filtered(lambda b, live=live: b.origin == "xero" and b.xero_id and b.xero_id not in live)
            self.undo_allocations(gone.filtered(lambda b: b.state in ("received", "held")))
            known = set(bound.mapped("xero_id"))
            for allocation_id, allocation in live.items():
                invoice = docs.get((allocation.get("Invoice") or {}).get("InvoiceID"))
                if allocation_id in known or not invoice or invoice.kind != "invoice":
                    continue
                if invoice.state not in SENT_STATES or note.state not in SENT_STATES:
                    continue
                if any(p.origin == "odoo" and not p.xero_id and p.document_id == invoice for p in bound):
                    continue  # Odoo's own allocation, sent a moment ago
                new |= Payment.create(
                    {
                        "connection_id": connection.id,
                        "origin": "xero",
                        "kind": "allocation",
                        "state": "held",
                        "xero_id": allocation_id,
                        "document_id": invoice.id,
                        "credit_note_id": note.id,
                        "date": _date(allocation.get("Date")),
                        "amount": float(allocation.get("Amount") or 0),
                        "currency_id": invoice.move_id.currency_id.id,
                    }
                )
        self.register_in_odoo(new)

    def _register_allocation(self, binding):
        """The credit note reconciled with the invoice in Odoo, as Xero allocated it."""
        binding.ensure_one()
        env = binding.env
        invoice, note = binding.document_id.move_id, binding.credit_note_id.move_id
        if invoice.state != "posted" or note.state != "posted":
            self._hold(
                binding,
                env._(
                    "%(invoice)s or %(note)s is not posted in Odoo: the allocation waits.",
                    invoice=invoice.name,
                    note=note.name,
                ),
            )
            return
        open_lines = (invoice.line_ids | note.line_ids).filtered(
            lambda line: line.account_type == "asset_receivable" and not line.reconciled
        )
        smaller = min(invoice.amount_residual, note.amount_residual)
        rounding = invoice.currency_id.rounding
        if len(open_lines.move_id) < 2 or float_compare(binding.amount, smaller, precision_rounding=rounding):
            # Odoo reconciles a credit note with an invoice for the whole amount open on either.
            self._hold(
                binding,
                env._(
                    "Xero allocated %(amount)s of %(note)s to %(invoice)s, but %(open)s is open on one of them in "
                    "Odoo: reconcile them in Odoo by hand.",
                    amount=binding.amount,
                    note=note.name,
                    invoice=invoice.name,
                    open=smaller,
                ),
            )
            return
        before = open_lines.matched_credit_ids | open_lines.matched_debit_ids
        # Bound before the reconciliation: the sending job never takes it for Odoo's own.
        binding.write({"state": "received", "error": False, "origin_move_id": note.id})
        open_lines.reconcile()
        partials = (open_lines.matched_credit_ids | open_lines.matched_debit_ids) - before
        binding.partial_id = partials[:1]
        invoice._message_log(body=env._("Credit note %s allocated to it in Xero: reconciled.", note.name))

    def undo_allocations(self, bindings):
        """Taken back in Xero: unreconciled in Odoo."""
        for binding in bindings:
            partial = binding.partial_id
            # Marked first: unreconciling then asks nothing of Xero.
            binding.write({"state": "removed", "error": False})
            if partial:
                partial.unlink()
                binding.document_id.move_id._message_log(
                    body=bindings.env._(
                        "Allocation of %s taken back in Xero: unreconciled.", binding.credit_note_id.move_id.name
                    )
                )

    def cancel_deleted(self, bindings):
        """Deleted in Xero: the Odoo payment is unreconciled and cancelled (kept, not deleted)."""
        for binding in bindings:
            payment = binding.account_payment_id
            # Marked first: unreconciling then asks nothing of Xero (see account.partial.reconcile).
            binding.write({"state": "removed", "error": False})
            if not payment or payment.state == "canceled":
                continue
            payment.move_id.line_ids.remove_move_reconcile()
            payment.action_draft()
            payment.action_cancel()
            binding.document_id.move_id._message_log(
                body=bindings.env._("Payment %s deleted in Xero: unreconciled and cancelled in Odoo.", payment.name)
            )


def _date(value):
    moment = parse_xero_datetime(value)
    return moment.date() if moment else False


# The job kinds this module runs: kind -> (synchronizer class, name of its step method).
JOBS = {}
# The outbox kinds whose answers this module records: kind -> synchronizer class.
WRITERS = {}
