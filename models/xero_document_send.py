import functools
import logging

from odoo import api, fields, models
from odoo.tools import SQL

from ..xero_connector import accounting
from ..xero_connector.errors import XeroNotFoundError, XeroRequestError, XeroValidationError
from .xero_connection_accounting import READ_MAX_AGE
from .xero_document import SENT_STATES
from .xero_i18n import write_translated

_logger = logging.getLogger(__name__)

SEND_BATCH = 50  # Xero's recommended records per request
DELETE_BATCH = 10  # deletions are one call each
# Xero refuses these for the batch's content, not for a passing reason: the
# documents concerned are marked refused and the job goes on.
REFUSALS = (XeroValidationError, XeroRequestError)
# Xero's words when a paid or credited document is edited.
PAID_LOCK = "has a payment or credit note allocated to it"


def _keys(records):
    """What names a write of these records: a retry of the same step names it the same, a
    new attempt (the user sent them again) differently, so Xero does not replay its old answer."""
    return ",".join(f"{r.id}.{r.attempt}" for r in records)


def _answer(records, write, payloads, operation):
    """Xero's per-record answer to one write, or None when Xero refused the whole
    request (its words are then put on every record, and the job goes on)."""
    try:
        return write(payloads, operation=operation).items
    except REFUSALS as exc:
        records.write({"state": "error", "error": str(exc)})
        return None


class XeroDocument(models.Model):
    """The job that sends invoices, credit notes and payments to Xero.

    Each step does one kind of work, in this order, and commits: payments and
    allocations removed in Odoo are deleted in Xero, cancelled documents
    voided, changed ones updated, new invoices then new credit notes created
    (50 a request, their customers first), then payments (50 a request) and
    allocations (one request a credit note). What is left to do is read from
    the bindings at every step, so a job stopped halfway resumes where it
    stopped; every write carries an idempotency key made of its records and
    content, and documents are created with Xero's create-only call, so a
    retried step never writes twice.
    """

    _inherit = "xero.document"

    def _xero_job_accounting_push(self, job):
        connection = job.connection_id.sudo()
        if not connection._accounting_due():
            return True  # switched off (or not yet started) meanwhile
        payload = dict(job.payload or {})
        if not payload.get("prepared"):
            if not self._work_pending(connection):
                return True
            # Fresh knowledge of Xero first: what it holds is linked, not sent again.
            connection._read_accounting_reference(max_age=READ_MAX_AGE)
            recent = fields.Datetime.now() - READ_MAX_AGE
            if not connection.last_sync_at or connection.last_sync_at < recent:
                self.env["xero.contact"]._fetch_changes(connection)
            if not connection.ledger_read_at or connection.ledger_read_at < recent:
                self.env["xero.ledger.entry"]._read_changes(connection)
            self._discover(connection)
            job.write(
                {
                    "payload": dict(payload, prepared=True),
                    "progress_total": self._count_to_do(connection),
                    "progress_done": 0,
                }
            )
            return False
        steps = (
            self._send_deletions,
            self._send_voids,
            self._send_updates,
            lambda conn: self._send_new(conn, accounting.INVOICE),
            lambda conn: self._send_new(conn, accounting.CREDIT_NOTE),
            self._send_payments,
            self._send_allocations,
        )
        for step in steps:
            handled = step(connection)
            if handled:
                job.progress_done += handled
                job.progress_total = max(job.progress_total, job.progress_done)
                return False
        # Documents posted while the job ran are sent by it too.
        return not self._discover(connection)

    # -- what there is to do ----------------------------------------------------------

    def _scope_query(self, connection, select):
        """Posted customer invoices and credit notes from the start date on, not yet bound."""
        return SQL(
            """
            SELECT %(select)s FROM account_move m
             WHERE m.company_id = %(company)s AND m.state = 'posted'
               AND m.move_type IN ('out_invoice', 'out_refund')
               AND m.invoice_date >= %(start)s
               AND NOT EXISTS (SELECT 1 FROM xero_document d WHERE d.move_id = m.id AND d.connection_id = %(conn)s)
            """,
            select=select,
            company=connection.company_id.id,
            start=connection.accounting_start_date,
            conn=connection.id,
        )

    @api.model
    def _discover(self, connection):
        """Bind the documents that came into scope; how many there were."""
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL("%s ORDER BY m.invoice_date, m.id", self._scope_query(connection, SQL("m.id, m.move_type")))
        )
        kinds = {"out_invoice": accounting.INVOICE, "out_refund": accounting.CREDIT_NOTE}
        self.sudo().create([{"connection_id": connection.id, "move_id": mid, "kind": kinds[mt]} for mid, mt in rows])
        return len(rows)

    @api.model
    def _work_pending(self, connection):
        self.env.flush_all()
        if self.env.execute_query(SQL("%s LIMIT 1", self._scope_query(connection, SQL("1")))):
            return True
        if self.sudo().search_count(self._to_do_domain(connection), limit=1):
            return True
        Payment = self.env["xero.payment"].sudo()
        pending = [("connection_id", "=", connection.id), ("state", "in", ("to_send", "to_delete"))]
        return bool(Payment.search_count(pending, limit=1) or self._payment_candidates(connection, limit=1))

    def _to_do_domain(self, connection):
        return [
            ("connection_id", "=", connection.id),
            "|",
            ("state", "=", "to_void"),
            "&",
            ("state", "in", ("to_send", "to_update")),
            ("move_id.state", "=", "posted"),
        ]

    @api.model
    def _count_to_do(self, connection):
        payments = (
            self.env["xero.payment"]
            .sudo()
            .search_count([("connection_id", "=", connection.id), ("state", "in", ("to_send", "to_delete"))])
        )
        return self.sudo().search_count(self._to_do_domain(connection)) + payments

    # -- Xero's customers -----------------------------------------------------------------

    def _contacts_for(self, connection, docs):
        """({partner id: Xero ContactID}, {partner id: why it has none}); missing customers
        are created in Xero or linked to the Xero contact they match, never duplicated."""
        Contact = self.env["xero.contact"].sudo()
        partners = docs.partner_id
        wanted = partners.filtered(lambda p: not p.xero_do_not_sync)

        def linked():
            domain = [("connection_id", "=", connection.id), ("partner_id", "in", wanted.ids)]
            return {c.partner_id.id: c.xero_id for c in Contact.search(domain)}

        found = linked()
        missing = wanted.filtered(lambda p: p.id not in found)
        if missing:
            # Named by the partners and the documents' attempts: sent again, it is a new write.
            ids = ",".join(str(i) for i in missing.ids)
            operation = f"accounting-contacts:{connection.id}:{ids}:{_keys(docs)}"
            Contact._push_partners(connection, missing, operation=operation)
            found = linked()
        reasons = {}
        for partner in partners.filtered(lambda p: p.id not in found):
            if partner.xero_do_not_sync:
                reasons[partner.id] = self.env._(
                    'The customer "%s" is marked "Do not sync to Xero": its documents cannot be sent.', partner.name
                )
            else:
                reasons[partner.id] = self.env._(
                    'The customer "%(name)s" could not be created in Xero: %(why)s',
                    name=partner.name,
                    why=partner.xero_push_error or self.env._("Xero gave no answer."),
                )
        return found, reasons

    # -- documents --------------------------------------------------------------------------

    def _build(self, connection):
        """{binding: Document} of these bindings; those that cannot go are held back with why."""
        contacts, reasons = self._contacts_for(connection, self)
        maps = connection._accounting_mappings()
        built = {}
        for binding in self:
            if binding.partner_id.id in reasons:
                binding.write({"state": "blocked", "error": reasons[binding.partner_id.id]})
                continue
            contact_id = contacts[binding.partner_id.id]
            doc, problems = binding.move_id._xero_document(maps, contact_id, connection.base_currency)
            locked = accounting.locked(binding.move_id.name, doc.date, connection.lock_date)
            problems += [locked] if locked else []
            if problems:
                binding.write({"state": "blocked"})
                write_translated(binding, "error", problems)
            else:
                built[binding] = doc
        return built

    def _send_new(self, connection, kind):
        todo = self.sudo().search(
            [
                ("connection_id", "=", connection.id),
                ("state", "=", "to_send"),
                ("kind", "=", kind),
                ("move_id.state", "=", "posted"),
            ],
            order="date, id",
            limit=SEND_BATCH,
        )
        if not todo:
            return 0
        built = todo._build(connection)
        existing = self.env["xero.ledger.entry"]._as_xero_records(connection, [d.number for d in built.values()])
        plan = accounting.preview(list(built.values()), existing)
        by_move = {b.move_id.id: b for b in built}
        self._link_found(connection, [(by_move[d.key], d, xero_id) for d, xero_id in plan.already_in_xero])
        for doc, words in plan.number_taken:
            by_move[doc.key].write({"state": "error", "error": words})
        taken = {doc.key for doc, _words in plan.number_taken}
        sending = [(by_move[d.key], d) for d in plan.to_send if d.key not in taken]
        if sending:
            payloads = [accounting.document_payload(doc) for _b, doc in sending]
            gateway = connection._gateway()
            write = gateway.create_invoices if kind == accounting.INVOICE else gateway.create_credit_notes
            bindings = self.browse([b.id for b, _d in sending])
            results = _answer(bindings, write, payloads, f"accounting-{kind}:{connection.id}:{_keys(bindings)}")
            clashes = self._record_sent(connection, sending, payloads, results) if results else []
            if clashes:
                self._settle_clashes(connection, clashes)
        return len(todo)

    def _record_sent(self, connection, sending, payloads, results):
        """Keep what Xero answered; return the (binding, doc) whose number Xero already had."""
        _type, number_field, id_field, _words = accounting.KINDS[sending[0][1].kind]
        now, logs, clashes = fields.Datetime.now(), {}, []
        for (binding, doc), payload, item in zip(sending, payloads, results, strict=True):
            if not item.ok:
                if any("must be unique" in p.xero_message for p in item.problems):
                    clashes.append((binding, doc))
                    continue
                binding.write({"state": "error", "error": "\n".join(p.message for p in item.problems)})
                continue
            record = item.record
            problems = accounting.check_totals(doc, record)
            binding.write(
                {
                    "state": "sent",
                    "xero_id": record[id_field],
                    "xero_number": record.get(number_field) or doc.number,
                    "xero_status": record.get("Status"),
                    "sent_at": binding.sent_at or now,
                    "signature": accounting.signature(payload),
                    "error": False,
                    "totals_problem": "\n".join(problems) or False,
                }
            )
            logs[binding.move_id.id] = self._sent_message(binding, problems)
        self.env["account.move"].browse(list(logs))._message_log_batch(bodies=logs)
        return clashes

    def _sent_message(self, binding, problems, words=None):
        text = words or self.env._("Sent to Xero as %s.", binding.xero_number)
        if problems:
            text += " " + self.env._("The totals differ: %s", " ".join(problems))
        return text

    def _settle_clashes(self, connection, clashes):
        """Xero already had these numbers: read what changed in Xero, link ours, name the others."""
        self.env["xero.ledger.entry"]._read_changes(connection)
        docs = [doc for _b, doc in clashes]
        existing = self.env["xero.ledger.entry"]._as_xero_records(connection, [d.number for d in docs])
        plan = accounting.preview(docs, existing)
        by_move = {b.move_id.id: b for b, _d in clashes}
        self._link_found(connection, [(by_move[d.key], d, xero_id) for d, xero_id in plan.already_in_xero])
        taken = dict((d.key, words) for d, words in plan.number_taken)
        for doc in plan.to_send:
            by_move[doc.key].write(
                {
                    "state": "error",
                    "error": taken.get(doc.key) or self.env._("Xero already has a document numbered %s.", doc.number),
                }
            )

    def _link_found(self, connection, found):
        """Documents Xero already holds (same number, customer and type): linked, not sent.

        `found`: (binding, Document, Xero id) triples. The ledger keeps Xero's
        total only (credit notes negative): that is what is compared.
        """
        if not found:
            return
        entries = {
            e.xero_id: e
            for e in self.env["xero.ledger.entry"]
            .sudo()
            .search([("connection_id", "=", connection.id), ("xero_id", "in", [x for _b, _d, x in found])])
        }
        logs = {}
        for binding, doc, xero_id in found:
            entry = entries.get(xero_id)
            xero_total = {"Total": abs(entry.total), "CurrencyCode": entry.currency_code} if entry else {}
            problems = accounting.check_totals(doc, xero_total, only=("Total",)) if entry else []
            binding.write(
                {
                    "state": "linked",
                    "xero_id": xero_id,
                    "xero_number": entry.name if entry else doc.number,
                    "xero_status": entry.status if entry else False,
                    "error": False,
                    "totals_problem": "\n".join(problems) or False,
                }
            )
            logs[binding.move_id.id] = self._sent_message(
                binding, problems, self.env._("Already in Xero as %s: linked, not sent again.", binding.xero_number)
            )
        self.env["account.move"].browse(list(logs))._message_log_batch(bodies=logs)

    def _send_updates(self, connection):
        todo = self.sudo().search(
            [("connection_id", "=", connection.id), ("state", "=", "to_update"), ("move_id.state", "=", "posted")],
            order="kind, date, id",
            limit=SEND_BATCH,
        )
        todo = todo.filtered(lambda b: b.kind == todo[:1].kind)
        if not todo:
            return 0
        built = todo._build(connection)
        _type, _number, id_field, _words = accounting.KINDS[todo[:1].kind]
        sending, payloads = [], []
        for binding, doc in built.items():
            payload = dict(accounting.document_payload(doc), **{id_field: binding.xero_id})
            if accounting.signature(payload) == binding.signature:
                binding.state = "sent"  # posted again unchanged: nothing to tell Xero
                continue
            sending.append((binding, doc))
            payloads.append(payload)
        if sending:
            gateway = connection._gateway()
            write = gateway.save_invoices if todo[:1].kind == accounting.INVOICE else gateway.save_credit_notes
            bindings = self.browse([b.id for b, _d in sending])
            results = _answer(bindings, write, payloads, f"accounting-update:{connection.id}:{_keys(bindings)}")
            if results:
                sending, payloads, results = self._keep_paid(connection, sending, payloads, results)
            clashes = self._record_sent(connection, sending, payloads, results) if results else []
            for binding, _doc in clashes:  # an update names its document by id: a clash is another's number
                binding.write({"state": "error", "error": self.env._("Xero gives this number to another document.")})
        return len(todo)

    def _keep_paid(self, connection, sending, payloads, results):
        """Documents Xero has paid or credited are not changed there (Xero refuses it): they
        stay as Xero has them, the difference shown on the document. The rest is returned."""
        kept, rest = [], ([], [], [])
        for (binding, doc), payload, item in zip(sending, payloads, results, strict=True):
            if not item.ok and any(PAID_LOCK in p.xero_message for p in item.problems):
                kept.append((binding, doc))
                continue
            for bucket, value in zip(rest, ((binding, doc), payload, item), strict=True):
                bucket.append(value)
        if kept:
            self.env["xero.ledger.entry"]._read_changes(connection)  # Xero's total and status as they are now
            entries = {
                e.xero_id: e
                for e in self.env["xero.ledger.entry"]
                .sudo()
                .search([("connection_id", "=", connection.id), ("xero_id", "in", [b.xero_id for b, _d in kept])])
            }
            logs = {}
            for binding, doc in kept:
                entry = entries.get(binding.xero_id)
                xero_total = {"Total": abs(entry.total), "CurrencyCode": entry.currency_code} if entry else {}
                problems = [
                    self.env._(
                        "Xero has this document paid or credited, so it cannot be changed there: "
                        "the change made in Odoo was not sent."
                    ),
                    *(accounting.check_totals(doc, xero_total, only=("Total",)) if entry else []),
                ]
                binding.write({"state": "sent", "error": False, "totals_problem": "\n".join(problems)})
                logs[binding.move_id.id] = " ".join(problems)
            self.env["account.move"].browse(list(logs))._message_log_batch(bodies=logs)
        return rest

    def _send_voids(self, connection):
        todo = self.sudo().search(
            [("connection_id", "=", connection.id), ("state", "=", "to_void")], order="kind, id", limit=SEND_BATCH
        )
        todo = todo.filtered(lambda b: b.kind == todo[:1].kind)
        if not todo:
            return 0
        kind = todo[:1].kind
        gateway = connection._gateway()
        write = gateway.save_invoices if kind == accounting.INVOICE else gateway.save_credit_notes
        payloads = [accounting.void_payload(kind, b.xero_id) for b in todo]
        results = _answer(todo, write, payloads, f"accounting-void:{connection.id}:{_keys(todo)}")
        if results is None:
            return len(todo)
        logs = {}
        for binding, item in zip(todo, results, strict=True):
            if item.ok:
                binding.write({"state": "voided", "xero_status": "VOIDED", "error": False})
                logs[binding.move_id.id] = self.env._("Voided in Xero (cancelled in Odoo).")
            else:
                binding.write({"state": "error", "error": "\n".join(p.message for p in item.problems)})
        self.env["account.move"].browse(list(logs))._message_log_batch(bodies=logs)
        return len(todo)

    # -- payments and allocations -----------------------------------------------------------

    @api.model
    def _payment_candidates(self, connection, limit=None):
        """Odoo reconciliations of documents in Xero not yet recorded for Xero, as rows
        (partial, document binding, paying move, its journal, credit note binding, amount,
        currency, paying line): an invoice paid or credited, a credit note refunded."""
        self.env.flush_all()
        query = SQL(
            """
            SELECT * FROM (
                -- invoices (their receivable line is the debit) paid, or credited by a credit note
                SELECT p.id AS partial_id, inv.id AS doc_id, cl.move_id, cm.journal_id, cn.id AS note_id,
                       p.debit_amount_currency AS amount, p.debit_currency_id AS currency_id, cl.id AS line_id
                  FROM account_partial_reconcile p
                  JOIN account_move_line dl ON dl.id = p.debit_move_id
                  JOIN account_move_line cl ON cl.id = p.credit_move_id
                  JOIN account_move cm ON cm.id = cl.move_id
                  JOIN xero_document inv ON inv.move_id = dl.move_id AND inv.connection_id = %(conn)s
                                        AND inv.kind = 'invoice' AND inv.state IN %(sent)s
             LEFT JOIN xero_document cn ON cn.move_id = cl.move_id AND cn.connection_id = %(conn)s
                 WHERE p.debit_amount_currency != 0
                   AND cm.move_type NOT IN ('out_invoice', 'in_invoice', 'in_refund')
                   AND (cm.move_type = 'out_refund' OR cm.journal_id != %(exchange)s)
                   AND (cm.move_type != 'out_refund' OR cn.state IN %(sent)s)
                 UNION ALL
                -- credit notes (their receivable line is the credit) refunded to the customer
                SELECT p.id, cn.id, dl.move_id, dm.journal_id, NULL,
                       p.credit_amount_currency, p.credit_currency_id, dl.id
                  FROM account_partial_reconcile p
                  JOIN account_move_line dl ON dl.id = p.debit_move_id
                  JOIN account_move_line cl ON cl.id = p.credit_move_id
                  JOIN account_move dm ON dm.id = dl.move_id
                  JOIN xero_document cn ON cn.move_id = cl.move_id AND cn.connection_id = %(conn)s
                                       AND cn.kind = 'credit_note' AND cn.state IN %(sent)s
                 WHERE p.credit_amount_currency != 0
                   AND dm.move_type NOT IN ('out_invoice', 'out_refund', 'in_invoice', 'in_refund')
                   AND dm.journal_id != %(exchange)s
            ) candidates
             WHERE NOT EXISTS (
                   SELECT 1 FROM xero_payment x
                    WHERE x.partial_id = candidates.partial_id AND x.connection_id = %(conn)s)
             ORDER BY candidates.partial_id
             %(limit)s
            """,
            conn=connection.id,
            sent=SENT_STATES,
            exchange=connection.company_id.currency_exchange_journal_id.id or 0,
            limit=SQL("LIMIT %s", limit) if limit else SQL(""),
        )
        return self.env.execute_query(query)

    @api.model
    def _discover_payments(self, connection):
        """Record the payments, refunds and allocations of documents that are in Xero."""
        rows = self._payment_candidates(connection)
        if not rows:
            return
        docs = self.sudo().browse({r[1] for r in rows})
        moves = self.env["account.move"].sudo().browse([r[2] for r in rows])
        lines = self.env["account.move.line"].sudo().browse([r[7] for r in rows])
        maps = connection._accounting_mappings()
        ledger = {
            e.xero_id: e
            for e in self.env["xero.ledger.entry"]
            .sudo()
            .search([("connection_id", "=", connection.id), ("xero_id", "in", docs.mapped("xero_id"))])
        }
        to_create = []
        for partial_id, doc_id, move_id, journal_id, note_id, amount, currency_id, line_id in rows:
            doc, move, line = self.browse(doc_id), moves.browse(move_id), lines.browse(line_id)
            values = {
                "connection_id": connection.id,
                "partial_id": partial_id,
                "document_id": doc_id,
                "origin_move_id": move_id,
                "amount": amount,
                "currency_id": currency_id,
            }
            if note_id:
                date = self.env["account.partial.reconcile"].browse(partial_id).max_date
                to_create.append(dict(values, kind="allocation", credit_note_id=note_id, date=date))
                continue
            # Odoo's rate of the payment day (units of the currency for one of the company's).
            rate = (
                self.env["res.currency"]._get_conversion_rate(
                    line.company_currency_id, line.currency_id, line.company_id, move.date
                )
                if line.currency_id != line.company_currency_id
                else 0.0
            )
            values.update(kind="payment", journal_id=journal_id, date=move.date, currency_rate=rate)
            entry = ledger.get(doc.xero_id)
            if doc.state == "linked" and entry and abs(entry.amount_due) <= doc.move_id.amount_residual + 0.005:
                # Found in Xero already settled as far as Odoo: its payments are there too.
                values.update(state="linked")
            elif journal_id not in maps.journals:
                values.update(
                    state="blocked",
                    error=self.env._(
                        'The journal "%s" is not mapped to a Xero bank account (Settings > Xero > Payment journals).',
                        move.journal_id.name,
                    ),
                )
            to_create.append(values)
        self.env["xero.payment"].sudo().create(to_create)

    def _send_payments(self, connection):
        self._discover_payments(connection)
        Payment = self.env["xero.payment"].sudo()
        todo = Payment.search(
            [("connection_id", "=", connection.id), ("kind", "=", "payment"), ("state", "=", "to_send")],
            order="date, id",
            limit=SEND_BATCH,
        )
        todo = todo._hold_locked(connection)
        if not todo:
            return 0
        maps = connection._accounting_mappings()
        payloads = []
        for payment in todo:
            refund = payment.document_id.kind == accounting.CREDIT_NOTE
            doc = accounting.PaymentDoc(
                key=payment.id,
                invoice_xero_id=None if refund else payment.document_id.xero_id,
                credit_note_xero_id=payment.document_id.xero_id if refund else None,
                account_code=None,
                account_id=maps.journals.get(payment.journal_id.id),
                date=payment.date,
                amount=payment.amount,
                currency_rate=payment.currency_rate or None,
                reference=payment.origin_move_id.name,
            )
            payloads.append(accounting.payment_payload(doc))
        operation = f"accounting-payments:{connection.id}:{_keys(todo)}"
        results = _answer(todo, connection._gateway().save_payments, payloads, operation)
        if results is None:
            return len(todo)
        logs = {}
        for payment, item in zip(todo, results, strict=True):
            if item.ok:
                payment.write({"state": "sent", "xero_id": item.record["PaymentID"], "error": False})
                logs[payment.document_id.move_id.id] = self.env._(
                    "Payment %s sent to Xero.", payment.origin_move_id.name
                )
            else:
                payment.write({"state": "error", "error": "\n".join(p.message for p in item.problems)})
        self.env["account.move"].browse(list(logs))._message_log_batch(bodies=logs)
        return len(todo)

    def _send_allocations(self, connection):
        """One credit note's allocations a step: Xero takes them one credit note a request."""
        Payment = self.env["xero.payment"].sudo()
        first = Payment.search(
            [("connection_id", "=", connection.id), ("kind", "=", "allocation"), ("state", "=", "to_send")],
            order="id",
            limit=1,
        )
        if not first:
            return 0
        todo = Payment.search(
            [
                ("connection_id", "=", connection.id),
                ("kind", "=", "allocation"),
                ("state", "=", "to_send"),
                ("credit_note_id", "=", first.credit_note_id.id),
            ],
            order="id",
            limit=SEND_BATCH,
        )
        note = first.credit_note_id
        todo = todo._hold_locked(connection)
        if not todo:
            return 1  # held back: the next step takes the next credit note
        payloads = [accounting.allocation_payload(a.document_id.xero_id, a.amount, a.date) for a in todo]
        operation = f"accounting-allocations:{connection.id}:{_keys(todo)}"
        allocate = functools.partial(connection._gateway().allocate_credit_note, note.xero_id)
        results = _answer(todo, allocate, payloads, operation)
        if results is None:
            return len(todo)
        for allocation, item in zip(todo, results, strict=True):
            if item.ok:
                allocation.write({"state": "sent", "xero_id": item.record.get("AllocationID"), "error": False})
            else:
                allocation.write({"state": "error", "error": "\n".join(p.message for p in item.problems)})
        note.move_id._message_log(body=self.env._("Allocated to its invoice(s) in Xero."))
        return len(todo)

    def _send_deletions(self, connection):
        """Payments and allocations undone in Odoo are taken back in Xero (a call each)."""
        todo = (
            self.env["xero.payment"]
            .sudo()
            .search(
                [("connection_id", "=", connection.id), ("state", "=", "to_delete")], order="id", limit=DELETE_BATCH
            )
        )
        gateway = connection._gateway() if todo else None
        for payment in todo:
            try:
                if payment.kind == "payment":
                    gateway.delete_payment(payment.xero_id, operation=f"accounting-payment-delete:{_keys(payment)}")
                else:
                    gateway.delete_allocation(payment.credit_note_id.xero_id, payment.xero_id)
            except XeroNotFoundError:
                _logger.info("Xero %s %s was already gone", payment.kind, payment.xero_id)
            except REFUSALS as exc:
                payment.write({"state": "error", "error": str(exc)})
                continue
            payment.write({"state": "deleted", "error": False})
        return len(todo)
