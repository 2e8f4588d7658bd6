import logging

from odoo import api, fields, models
from odoo.tools import SQL

from ..synchronizers.ledger_reader import LedgerReader
from ..synchronizers.reference_reader import ReferenceReader
from ..xero_connector import accounting, outbox
from ..xero_connector.outbox import Answer
from .xero_connection import READ_MAX_AGE
from .xero_document import SENT_STATES
from .xero_i18n import write_translated

_logger = logging.getLogger(__name__)

# Xero's words when a paid or credited document is edited.
PAID_LOCK = "has a payment or credit note allocated to it"
# Xero's words when a created document's number is already taken.
NUMBER_TAKEN = "must be unique"


class XeroDocument(models.Model):
    """The job that sends invoices, credit notes and payments to Xero.

    Each step does one thing and commits: it sends the batch planned by the
    step before (see `xero.outbox`), or plans the next one, in this order:
    payments and allocations removed in Odoo are deleted in Xero, cancelled
    documents voided, changed ones updated (under their revision), new
    invoices then new credit notes created (their customers first), then
    payments and allocations (one credit note a batch). A batch is committed
    before it is sent and sent again unchanged until Xero has answered it;
    work that comes meanwhile waits for the next batch.
    """

    _inherit = "xero.document"

    def _xero_job_accounting_push(self, job):
        connection = job.connection_id.sudo()
        if not connection._accounting_due():
            return True  # switched off (or not yet started) meanwhile
        batch = self.env["xero.outbox"]._open(connection)
        if batch:
            # Planned and committed by an earlier step: sent now, as it was planned.
            job.progress_done += batch._deliver()
            job.progress_total = max(job.progress_total, job.progress_done)
            return False
        payload = dict(job.payload or {})
        if not payload.get("prepared"):
            if not self._work_pending(connection):
                return True
            # Fresh knowledge of Xero first: what it holds is linked, not sent again.
            ReferenceReader(connection).read_reference(max_age=READ_MAX_AGE)
            recent = fields.Datetime.now() - READ_MAX_AGE
            if not connection.last_sync_at or connection.last_sync_at < recent:
                self.env["xero.contact"]._fetch_changes(connection)
            if not connection.ledger_read_at or connection.ledger_read_at < recent:
                LedgerReader(connection).read_changes()
            self._discover(connection)
            job.write(
                {
                    "payload": dict(payload, prepared=True),
                    "progress_total": self._count_to_do(connection),
                    "progress_done": 0,
                }
            )
            return False
        planners = (
            self._plan_deletions,
            self._plan_voids,
            self._plan_updates,
            lambda conn: self._plan_new(conn, accounting.INVOICE),
            lambda conn: self._plan_new(conn, accounting.CREDIT_NOTE),
            self._plan_payments,
            self._plan_allocations,
        )
        for plan in planners:
            if plan(connection):
                return False  # the step ends: what was planned is committed before it is sent
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
        if self.env["xero.outbox"]._open(connection):
            return True
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
        are linked to the Xero contact they match, or a batch creating them is planned and
        (None, None) returned: the step ends, and the next one sends that batch."""
        Contact = self.env["xero.contact"].sudo()
        partners = docs.partner_id
        wanted = partners.filtered(lambda p: not p.xero_do_not_sync)

        def linked():
            domain = [("connection_id", "=", connection.id), ("partner_id", "in", wanted.ids)]
            return {c.partner_id.id: c.xero_id for c in Contact.search(domain)}

        found = linked()
        missing = wanted.filtered(lambda p: p.id not in found)
        if missing:
            if Contact._push_plan(connection, missing, queue="accounting"):
                return None, None
            found = linked()  # linked to the Xero contacts they match
        reasons = {}
        for partner in partners.filtered(lambda p: p.id not in found):
            if partner.xero_do_not_sync:
                reasons[partner.id] = self.env._(
                    'The customer "%s" is marked "Do not sync to Xero": its documents cannot be sent.', partner.name
                )
            else:
                reasons[partner.id] = self._customer_refused(partner)
        return found, reasons

    def _customer_refused(self, partner):
        return self.env._(
            'The customer "%(name)s" could not be created in Xero: %(why)s',
            name=partner.name,
            why=partner.xero_push_error or self.env._("Xero gave no answer."),
        )

    @api.model
    def _customers_not_created(self, connection, partners):
        """Xero refused (or did not answer for) these customers, planned for documents: the
        documents waiting for them are held back with why (not planned again and again)."""
        waiting = self.sudo().search(
            [
                ("connection_id", "=", connection.id),
                ("state", "in", ("to_send", "to_update")),
                ("partner_id", "in", partners.ids),
            ]
        )
        for binding in waiting:
            binding.write({"state": "blocked", "error": self._customer_refused(binding.partner_id)})

    # -- documents --------------------------------------------------------------------------

    def _build(self, connection):
        """{binding: Document} of these bindings; those that cannot go are held back with why."""
        contacts, reasons = self._contacts_for(connection, self)
        if contacts is None:
            return None  # their customers go to Xero first, in a batch of their own
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

    @staticmethod
    def _doc_info(doc, binding):
        """What recording Xero's answer needs of the document: number, customer, Odoo's totals."""
        return {
            "move_id": doc.key,
            "number": doc.number,
            "contact_id": doc.contact_id,
            "date": str(doc.date),
            "currency": doc.currency,
            "amount_untaxed": str(doc.amount_untaxed),
            "amount_tax": str(doc.amount_tax),
            "amount_total": str(doc.amount_total),
            "revision": binding.revision,
        }

    @staticmethod
    def _info_doc(kind, info):
        """The document as planned (its totals, not its lines), from `_doc_info`."""
        return accounting.Document(
            key=info["move_id"],
            kind=kind,
            number=info["number"],
            contact_id=info["contact_id"],
            date=info["date"],
            currency=info["currency"],
            amount_untaxed=info["amount_untaxed"],
            amount_tax=info["amount_tax"],
            amount_total=info["amount_total"],
        )

    def _plan_new(self, connection, kind):
        todo = self.sudo().search(
            [
                ("connection_id", "=", connection.id),
                ("state", "=", "to_send"),
                ("kind", "=", kind),
                ("move_id.state", "=", "posted"),
            ],
            order="date, id",
            limit=outbox.BATCH_SIZE,
        )
        if not todo:
            return 0
        built = todo._build(connection)
        if built is None:
            return len(todo)
        existing = self.env["xero.ledger.entry"]._as_xero_records(connection, [d.number for d in built.values()])
        plan = accounting.preview(list(built.values()), existing)
        by_move = {b.move_id.id: b for b in built}
        self._link_found(connection, [(by_move[d.key], d, xero_id) for d, xero_id in plan.already_in_xero])
        for doc, words in plan.number_taken:
            by_move[doc.key].write({"state": "error", "error": words})
        taken = {doc.key for doc, _words in plan.number_taken}
        sending = [(by_move[d.key], d) for d in plan.to_send if d.key not in taken]
        if sending:
            self.env["xero.outbox"]._plan(
                connection,
                f"{kind}_create",
                self.browse([b.id for b, _d in sending]),
                [accounting.document_payload(doc) for _b, doc in sending],
                infos=[self._doc_info(doc, b) for b, doc in sending],
            )
        return len(todo)

    def _plan_updates(self, connection):
        todo = self.sudo().search(
            [("connection_id", "=", connection.id), ("state", "=", "to_update"), ("move_id.state", "=", "posted")],
            order="kind, date, id",
            limit=outbox.BATCH_SIZE,
        )
        todo = todo.filtered(lambda b: b.kind == todo[:1].kind)
        if not todo:
            return 0
        kind = todo[:1].kind
        built = todo._build(connection)
        if built is None:
            return len(todo)
        _type, _number, id_field, _words = accounting.KINDS[kind]
        sending, payloads = [], []
        for binding, doc in built.items():
            payload = dict(accounting.document_payload(doc), **{id_field: binding.xero_id})
            if accounting.signature(payload) == binding.signature:
                binding.state = "sent"  # posted again unchanged: nothing to tell Xero
                continue
            sending.append((binding, doc))
            payloads.append(payload)
        if sending:
            bindings = self.browse([b.id for b, _d in sending])
            self.env["xero.outbox"]._plan(
                connection,
                f"{kind}_update",
                bindings,
                payloads,
                infos=[self._doc_info(doc, b) for b, doc in sending],
                # The revision names the update: A -> B -> A is three writes for Xero.
                revisions=bindings.mapped("revision"),
            )
        return len(todo)

    def _plan_voids(self, connection):
        todo = self.sudo().search(
            [("connection_id", "=", connection.id), ("state", "=", "to_void"), ("xero_id", "!=", False)],
            order="kind, id",
            limit=outbox.BATCH_SIZE,
        )
        todo = todo.filtered(lambda b: b.kind == todo[:1].kind)
        if not todo:
            return 0
        kind = todo[:1].kind
        payloads = [accounting.void_payload(kind, b.xero_id) for b in todo]
        self.env["xero.outbox"]._plan(connection, f"{kind}_void", todo, payloads)
        return len(todo)

    # -- Xero's answers (the outbox's callback) ---------------------------------------------------

    @api.model
    def _outbox_record(self, batch, records, answers, partial=False):
        """Record Xero's answer for each document of `batch` (None: no answer, it goes again)."""
        kind, action = batch.kind.rsplit("_", 1)
        if action == "create":
            self._record_created(batch, kind, records, answers)
        elif action == "update":
            self._record_updated(batch, kind, records, answers)
        else:
            self._record_voided(records, answers)

    @api.model
    def _outbox_read_back(self, batch, gateway, indexes):
        """{item index: Answer} of the created documents Xero holds, found by number."""
        if not batch.kind.endswith("_create"):
            return {}  # an update or a void sent again changes nothing more
        connection = batch.connection_id
        kind = batch.kind[: -len("_create")]
        LedgerReader(connection).read_changes()
        docs = {i: self._info_doc(kind, batch.info[i]) for i in indexes}
        existing = self.env["xero.ledger.entry"]._as_xero_records(connection, [d.number for d in docs.values()])
        held = dict(
            (d.key, xero_id) for d, xero_id in accounting.preview(list(docs.values()), existing).already_in_xero
        )
        _type, number_field, id_field, _words = accounting.KINDS[kind]
        return {
            i: Answer(record={id_field: held[d.key], number_field: d.number}, found=True)
            for i, d in docs.items()
            if d.key in held
        }

    def _record_created(self, batch, kind, records, answers):
        connection = batch.connection_id
        _type, number_field, id_field, _words = accounting.KINDS[kind]
        now, logs, clashes, found = fields.Datetime.now(), {}, [], []
        for planned, payload, info, answer in zip(records, batch.payload, batch.info, answers, strict=True):
            binding = planned.exists()
            if not binding:
                continue
            doc = self._info_doc(kind, info)
            # Cancelled while its batch was in flight: voided once Xero's id is known.
            cancelled = binding.move_id.state == "cancel"
            if answer is not None and answer.found:
                found.append((binding, doc, answer.record[id_field]))
                continue
            if answer is not None and any(NUMBER_TAKEN in words for words in answer.xero_words):
                clashes.append((binding, doc))  # maybe ours, from a try whose answer was lost: read back
                continue
            if answer is None or not answer.ok:
                if cancelled:
                    binding.unlink()  # not in Xero: nothing to void
                elif answer is not None:
                    binding.write({"state": "error", "error": "\n".join(answer.problems)})
                continue  # no answer, not in Xero: sent again in a later batch
            record = answer.record
            problems = accounting.check_totals(doc, record)
            binding.write(
                {
                    "state": "to_void" if cancelled else "sent",
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
        self._link_found(connection, found)
        if clashes:
            self._settle_clashes(connection, clashes)

    def _sent_message(self, binding, problems, words=None):
        text = words or self.env._("Sent to Xero as %s.", binding.xero_number)
        if problems:
            text += " " + self.env._("The totals differ: %s", " ".join(problems))
        return text

    def _settle_clashes(self, connection, clashes):
        """Xero already had these numbers: read what changed in Xero, link ours, name the others."""
        LedgerReader(connection).read_changes()
        docs = [doc for _b, doc in clashes]
        existing = self.env["xero.ledger.entry"]._as_xero_records(connection, [d.number for d in docs])
        plan = accounting.preview(docs, existing)
        by_move = {b.move_id.id: b for b, _d in clashes}
        self._link_found(connection, [(by_move[d.key], d, xero_id) for d, xero_id in plan.already_in_xero])
        taken = dict((d.key, words) for d, words in plan.number_taken)
        for doc in plan.to_send:
            if by_move[doc.key].move_id.state == "cancel":
                by_move[doc.key].unlink()  # cancelled, and not ours in Xero: nothing to void
                continue
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
                    # Cancelled meanwhile: what Xero holds is voided next.
                    "state": "to_void" if binding.move_id.state == "cancel" else "linked",
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

    def _record_updated(self, batch, kind, records, answers):
        """Changes Xero took are recorded; documents Xero has paid or credited are not changed
        there (Xero refuses it): they stay as Xero has them, the difference shown."""
        _type, number_field, _id_field, _words = accounting.KINDS[kind]
        logs, kept = {}, []
        for planned, payload, info, answer in zip(records, batch.payload, batch.info, answers, strict=True):
            binding = planned.exists()
            if not binding or answer is None:
                continue  # still to update: sent again in a later batch
            doc = self._info_doc(kind, info)
            if not answer.ok:
                if any(PAID_LOCK in words for words in answer.xero_words):
                    kept.append((binding, doc))
                elif any(NUMBER_TAKEN in words for words in answer.xero_words):
                    # An update names its document by id: a clash is another's number.
                    binding.write(
                        {"state": "error", "error": self.env._("Xero gives this number to another document.")}
                    )
                else:
                    binding.write({"state": "error", "error": "\n".join(answer.problems)})
                continue
            record = answer.record
            problems = accounting.check_totals(doc, record)
            values = {
                "xero_number": record.get(number_field) or doc.number,
                "xero_status": record.get("Status"),
                "signature": accounting.signature(payload),
                "error": False,
                "totals_problem": "\n".join(problems) or False,
            }
            # Cancelled meanwhile it is voided next; changed again meanwhile, the newer revision goes next.
            if binding.state == "to_update" and binding.revision == info["revision"]:
                values["state"] = "sent"
            binding.write(values)
            logs[binding.move_id.id] = self._sent_message(binding, problems)
        self.env["account.move"].browse(list(logs))._message_log_batch(bodies=logs)
        if kept:
            self._keep_paid(batch.connection_id, kept)

    def _keep_paid(self, connection, kept):
        LedgerReader(connection).read_changes()  # Xero's total and status as they are now
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
            values = {"error": False, "totals_problem": "\n".join(problems)}
            if binding.state == "to_update":
                values["state"] = "sent"
            binding.write(values)
            logs[binding.move_id.id] = " ".join(problems)
        self.env["account.move"].browse(list(logs))._message_log_batch(bodies=logs)

    def _record_voided(self, records, answers):
        logs = {}
        for planned, answer in zip(records, answers, strict=True):
            binding = planned.exists()
            if not binding or answer is None:
                continue
            if answer.ok:
                binding.write({"state": "voided", "xero_status": "VOIDED", "error": False})
                logs[binding.move_id.id] = self.env._("Voided in Xero (cancelled in Odoo).")
            else:
                binding.write({"state": "error", "error": "\n".join(answer.problems)})
        self.env["account.move"].browse(list(logs))._message_log_batch(bodies=logs)

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

    def _plan_payments(self, connection):
        self._discover_payments(connection)
        Payment = self.env["xero.payment"].sudo()
        todo = Payment.search(
            [("connection_id", "=", connection.id), ("kind", "=", "payment"), ("state", "=", "to_send")],
            order="date, id",
            limit=outbox.BATCH_SIZE,
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
                # Carries the payment's own id: found again in Xero by it, even once Xero forgot the request.
                reference=outbox.payment_reference(payment.origin_move_id.name, payment.id),
            )
            payloads.append(accounting.payment_payload(doc))
        self.env["xero.outbox"]._plan(connection, "payment", todo, payloads)
        return len(todo)

    def _plan_allocations(self, connection):
        """One credit note's allocations a batch: Xero takes them one credit note a request."""
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
            limit=outbox.BATCH_SIZE,
        )
        note = first.credit_note_id
        todo = todo._hold_locked(connection)
        if not todo:
            return 1  # held back: the next step takes the next credit note
        payloads = [accounting.allocation_payload(a.document_id.xero_id, a.amount, a.date) for a in todo]
        self.env["xero.outbox"]._plan(connection, "allocation", todo, payloads, target=note.xero_id)
        return len(todo)

    def _plan_deletions(self, connection):
        """Payments, then allocations, undone in Odoo are taken back in Xero (a call each)."""
        Payment = self.env["xero.payment"].sudo()
        for kind in ("payment", "allocation"):
            todo = Payment.search(
                [
                    ("connection_id", "=", connection.id),
                    ("state", "=", "to_delete"),
                    ("kind", "=", kind),
                    ("xero_id", "!=", False),
                ],
                order="id",
                limit=outbox.BATCH_SIZE,
            )
            if todo:
                if kind == "payment":
                    payloads = [{"PaymentID": p.xero_id} for p in todo]
                else:
                    payloads = [{"CreditNoteID": a.credit_note_id.xero_id, "AllocationID": a.xero_id} for a in todo]
                self.env["xero.outbox"]._plan(connection, f"{kind}_delete", todo, payloads)
                return len(todo)
        return 0
