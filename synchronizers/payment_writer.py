from odoo.tools import SQL

from ..xero_connector import accounting, outbox
from ..xero_connector.outbox import Answer
from .base import SENT_STATES, Synchronizer


class PaymentWriter(Synchronizer):
    """Payments, refunds and credit note allocations of documents in Xero, to Xero (and
    their deletions when undone in Odoo). Planned by the `accounting_push` job (see
    DocumentWriter), one batch a step; Xero's answers recorded here.

    The connection is taken as sudo (its settings are the addon's); the
    environment stays the caller's.
    """

    def __init__(self, connection):
        super().__init__(connection)
        self.connection = connection.sudo()

    # -- what there is to send --------------------------------------------------------------

    def candidates(self, limit=None):
        """Odoo reconciliations of documents in Xero not yet recorded for Xero, as rows
        (partial, document binding, paying move, its journal, credit note binding, amount,
        currency, paying line): an invoice paid or credited, a credit note refunded."""
        connection = self.connection
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

    def discover(self):
        """Record the payments, refunds and allocations of documents that are in Xero."""
        connection = self.connection
        rows = self.candidates()
        if not rows:
            return
        Document = self.env["xero.document"]
        docs = Document.sudo().browse({r[1] for r in rows})
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
            doc, move, line = Document.browse(doc_id), moves.browse(move_id), lines.browse(line_id)
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

    # -- planning (one batch a step; how many records it took, 0 when none) -----------------

    def plan_payments(self):
        connection = self.connection
        self.discover()
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

    def plan_allocations(self):
        """One credit note's allocations a batch: Xero takes them one credit note a request."""
        connection = self.connection
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

    def plan_deletions(self):
        """Payments, then allocations, undone in Odoo are taken back in Xero (a call each)."""
        connection = self.connection
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

    # -- Xero's answers (the outbox's callback) ---------------------------------------------------

    def _outbox_record(self, batch, records, answers, partial=False):
        """Record Xero's answer for each payment, allocation or deletion of `batch`.

        None is no answer: what Xero does not hold goes again in a later batch
        (`partial`: read back before sending, the rest is still to be sent).
        """
        deleting = batch.kind.endswith("_delete")
        logs = {}
        for planned, answer in zip(records, answers, strict=True):
            payment = planned.exists()
            if not payment or (answer is None and partial):
                continue
            # Undone in Odoo while its batch was in flight, and not in Xero: nothing to take back.
            gone = payment.state == "to_delete" and not payment.xero_id and not deleting
            if answer is None or not answer.ok:
                if gone:
                    payment.unlink()
                elif answer is not None:
                    payment.write({"state": "error", "error": "\n".join(answer.problems)})
                continue
            if deleting:
                payment.write({"state": "deleted", "error": False})
                continue
            xero_id = answer.record.get("PaymentID") or answer.record.get("AllocationID")
            # Undone meanwhile: taken back in Xero by the next batch.
            payment.write({"state": "to_delete" if gone else "sent", "xero_id": xero_id, "error": False})
            if payment.kind == "payment" and not gone:
                logs[payment.document_id.move_id.id] = self.env._(
                    "Payment %s sent to Xero.", payment.origin_move_id.name
                )
        self.env["account.move"].browse(list(logs))._message_log_batch(bodies=logs)
        if batch.kind == "allocation" and any(a is not None and a.ok for a in answers):
            note = (
                self.env["xero.document"]
                .sudo()
                .search([("connection_id", "=", batch.connection_id.id), ("xero_id", "=", batch.target)], limit=1)
            )
            note.move_id._message_log(body=self.env._("Allocated to its invoice(s) in Xero."))

    def _outbox_read_back(self, batch, gateway, indexes):
        """{item index: Answer} of the payments or allocations Xero already holds: payments by
        their document, amount and the Reference carrying the Odoo payment's id; allocations
        by their credit note, invoice and amount (those already bound to another are not ours)."""
        if batch.kind == "payment":
            items = {batch.item_keys[i]: (i, batch.payload[i]) for i in indexes}
            invoices = sorted({p["Invoice"]["InvoiceID"] for _i, p in items.values() if p.get("Invoice")})
            notes = sorted({p["CreditNote"]["CreditNoteID"] for _i, p in items.values() if p.get("CreditNote")})
            documents = gateway.get_invoices(ids=invoices) if invoices else []
            documents += [gateway.get_credit_note(note) for note in notes]
            found = {}
            for odoo_id, payment in outbox.found_payments(documents, items).items():
                index, item = items[odoo_id]
                if outbox.same_amount(payment.get("Amount"), item.get("Amount")):
                    found[index] = Answer(record=payment, found=True)
            return found
        if batch.kind == "allocation":
            note = gateway.get_credit_note(batch.target)
            known = set(
                self.env["xero.payment"]
                .sudo()
                .search([("connection_id", "=", batch.connection_id.id), ("kind", "=", "allocation")])
                .filtered("xero_id")
                .mapped("xero_id")
            )
            free = {"Allocations": [a for a in note.get("Allocations") or [] if a.get("AllocationID") not in known]}
            found = outbox.found_allocations(free, [batch.item_keys[i] for i in indexes])
            return {indexes[j]: Answer(record=allocation, found=True) for j, allocation in found.items()}
        return {}  # a deletion sent again changes nothing more


# The job kinds this module runs: kind -> (synchronizer class, name of its step method).
JOBS = {}
# The outbox kinds whose answers this module records: kind -> synchronizer class.
WRITERS = {kind: PaymentWriter for kind in ("payment", "allocation", "payment_delete", "allocation_delete")}
