from datetime import timedelta

from odoo import fields

from ..models.xero_i18n import write_translated
from ..xero_connector import accounting, outbox, reading
from ..xero_connector.outbox import Answer
from . import contact_reader, contact_writer
from .base import Synchronizer
from .ledger_reader import LedgerReader
from .payment_writer import PaymentWriter
from .reference_reader import ReferenceReader

# What was read from Xero this recently (accounts, tax rates, contacts, sales
# documents) is not read again before a sending: a preview just read it. What
# changed in Xero meanwhile is refused by Xero (an archived account) or found
# when Xero refuses a number it already has, never written twice.
READ_MAX_AGE = timedelta(minutes=5)
# Xero's words when a paid or credited document is edited.
PAID_LOCK = "has a payment or credit note allocated to it"
# Xero's words when a created document's number is already taken.
NUMBER_TAKEN = "must be unique"


class DocumentWriter(Synchronizer):
    """Invoices and credit notes to Xero, and the job that sends them with their payments.

    Each step does one thing and commits: it sends the batch planned by the
    step before (see `xero.outbox`), or plans the next one, in this order:
    payments and allocations removed in Odoo are deleted in Xero, cancelled
    documents voided, changed ones updated (under their revision), new
    invoices then new credit notes created (their customers first), then
    payments and allocations (one credit note a batch). A batch is committed
    before it is sent and sent again unchanged until Xero has answered it;
    work that comes meanwhile waits for the next batch.

    The connection is taken as sudo (its settings are the addon's); the
    environment stays the caller's.
    """

    def __init__(self, connection):
        super().__init__(connection)
        self.connection = connection.sudo()

    def send_step(self, job):
        """One step of the `accounting_push` job; True once nothing is left to send."""
        connection = self.connection
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
            if not self.work_pending():
                return True
            # Fresh knowledge of Xero first: what it holds is linked, not sent again.
            ReferenceReader(connection).read_reference(max_age=READ_MAX_AGE)
            recent = fields.Datetime.now() - READ_MAX_AGE
            if not connection.last_sync_at or connection.last_sync_at < recent:
                contact_reader.ContactReader(connection.with_env(self.env)).fetch_changes()
            if not connection.ledger_read_at or connection.ledger_read_at < recent:
                LedgerReader(connection).read_changes()
            self.discover()
            job.write(
                {
                    "payload": dict(payload, prepared=True),
                    "progress_total": self.count_to_do(),
                    "progress_done": 0,
                }
            )
            return False
        payments = PaymentWriter(connection.with_env(self.env))
        planners = (
            payments.plan_deletions,
            self.plan_voids,
            self.plan_updates,
            lambda: self.plan_new(accounting.INVOICE),
            lambda: self.plan_new(accounting.CREDIT_NOTE),
            payments.plan_payments,
            payments.plan_allocations,
        )
        for plan in planners:
            if plan():
                return False  # the step ends: what was planned is committed before it is sent
        # Documents posted while the job ran are sent by it too.
        return not self.discover()

    # -- what there is to do ----------------------------------------------------------

    def scope(self):
        """What sending covers, as a domain on account.move: the company's posted customer
        invoices and credit notes dated from the start date on. The job binds (and sends)
        those not yet bound; the preview lists those not yet in Xero."""
        connection = self.connection
        return [
            ("company_id", "=", connection.company_id.id),
            ("state", "=", "posted"),
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("invoice_date", ">=", connection.accounting_start_date),
        ]

    def unbound_domain(self):
        """The documents in scope not yet bound to this organisation: the job binds them."""
        unbound = [("xero_document_ids", "not any", [("connection_id", "=", self.connection.id)])]
        return self.scope() + unbound

    def unsent_domain(self):
        """The documents in scope not yet in Xero (unbound, or bound and not sent): the preview's."""
        return [*self.scope(), "|", ("xero_document_ids", "=", False), ("xero_document_ids.xero_id", "=", False)]

    def discover(self):
        """Bind the documents that came into scope; how many there were."""
        moves = (
            self.env["account.move"].sudo().search_fetch(self.unbound_domain(), ["move_type"], order="invoice_date, id")
        )
        kinds = {"out_invoice": accounting.INVOICE, "out_refund": accounting.CREDIT_NOTE}
        self.env["xero.document"].sudo().create(
            [{"connection_id": self.connection.id, "move_id": m.id, "kind": kinds[m.move_type]} for m in moves]
        )
        return len(moves)

    def work_pending(self):
        connection = self.connection
        if self.env["xero.outbox"]._open(connection):
            return True
        if self.env["account.move"].sudo().search_count(self.unbound_domain(), limit=1):
            return True
        if self.env["xero.document"].sudo().search_count(self.to_do_domain(), limit=1):
            return True
        Payment = self.env["xero.payment"].sudo()
        pending = [("connection_id", "=", connection.id), ("state", "in", ("to_send", "to_delete"))]
        payments = PaymentWriter(connection.with_env(self.env))
        return bool(Payment.search_count(pending, limit=1) or payments.candidates(limit=1))

    def to_do_domain(self):
        return [
            ("connection_id", "=", self.connection.id),
            "|",
            ("state", "=", "to_void"),
            "&",
            ("state", "in", ("to_send", "to_update")),
            ("move_id.state", "=", "posted"),
        ]

    def count_to_do(self):
        payments = (
            self.env["xero.payment"]
            .sudo()
            .search_count([("connection_id", "=", self.connection.id), ("state", "in", ("to_send", "to_delete"))])
        )
        return self.env["xero.document"].sudo().search_count(self.to_do_domain()) + payments

    def in_xero(self, docs):
        """accounting.preview of these documents against Xero's sales ledger as last read:
        those Xero holds (same number, customer and type), those whose number it gives
        another, those to send."""
        existing = self.env["xero.ledger.entry"]._as_xero_records(self.connection, [d.number for d in docs])
        return accounting.preview(docs, existing)

    # -- Xero's customers -----------------------------------------------------------------

    def contacts_for(self, docs):
        """({partner id: Xero ContactID}, {partner id: why it has none}); missing customers
        are linked to the Xero contact they match, or a batch creating them is planned and
        (None, None) returned: the step ends, and the next one sends that batch."""
        connection = self.connection
        Contact = self.env["xero.contact"].sudo()
        partners = docs.partner_id
        wanted = partners.filtered(lambda p: not p.xero_do_not_sync)

        def linked():
            domain = [("connection_id", "=", connection.id), ("partner_id", "in", wanted.ids)]
            return {c.partner_id.id: c.xero_id for c in Contact.search(domain)}

        found = linked()
        missing = wanted.filtered(lambda p: p.id not in found)
        if missing:
            if contact_writer.ContactWriter(connection.with_env(Contact.env)).plan(missing, queue="accounting"):
                return None, None
            found = linked()  # linked to the Xero contacts they match
        reasons = {}
        for partner in partners.filtered(lambda p: p.id not in found):
            if partner.xero_do_not_sync:
                reasons[partner.id] = self.env._(
                    'The customer "%s" is marked "Do not sync to Xero": its documents cannot be sent.', partner.name
                )
            else:
                reasons[partner.id] = self.customer_refused(partner)
        return found, reasons

    def customer_refused(self, partner):
        return self.env._(
            'The customer "%(name)s" could not be created in Xero: %(why)s',
            name=partner.name,
            why=partner.xero_push_error or self.env._("Xero gave no answer."),
        )

    def customers_not_created(self, partners):
        """Xero refused (or did not answer for) these customers, planned for documents: the
        documents waiting for them are held back with why (not planned again and again)."""
        waiting = (
            self.env["xero.document"]
            .sudo()
            .search(
                [
                    ("connection_id", "=", self.connection.id),
                    ("state", "in", ("to_send", "to_update")),
                    ("partner_id", "in", partners.ids),
                ]
            )
        )
        for binding in waiting:
            binding.write({"state": "blocked", "error": self.customer_refused(binding.partner_id)})

    # -- documents --------------------------------------------------------------------------

    def build(self, bindings):
        """{binding: Document} of these bindings; those that cannot go are held back with why."""
        connection = self.connection
        contacts, reasons = self.contacts_for(bindings)
        if contacts is None:
            return None  # their customers go to Xero first, in a batch of their own
        maps = connection._accounting_mappings()
        built = {}
        for binding in bindings:
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
    def doc_info(doc, binding):
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
    def info_doc(kind, info):
        """The document as planned (its totals, not its lines), from `doc_info`."""
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

    def plan_new(self, kind):
        connection = self.connection
        Document = self.env["xero.document"]
        todo = Document.sudo().search(
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
        built = self.build(todo)
        if built is None:
            return len(todo)
        plan = self.in_xero(list(built.values()))
        by_move = {b.move_id.id: b for b in built}
        self.link_found([(by_move[d.key], d, xero_id) for d, xero_id in plan.already_in_xero])
        for doc, words in plan.number_taken:
            by_move[doc.key].write({"state": "error", "error": words})
        taken = {doc.key for doc, _words in plan.number_taken}
        sending = [(by_move[d.key], d) for d in plan.to_send if d.key not in taken]
        if sending:
            self.env["xero.outbox"]._plan(
                connection,
                f"{kind}_create",
                Document.browse([b.id for b, _d in sending]),
                [accounting.document_payload(doc) for _b, doc in sending],
                infos=[self.doc_info(doc, b) for b, doc in sending],
            )
        return len(todo)

    def _next_batch(self, domain, order):
        """The next batch of these bindings: one kind (invoices or credit notes) a batch."""
        todo = (
            self.env["xero.document"]
            .sudo()
            .search([("connection_id", "=", self.connection.id), *domain], order=order, limit=outbox.BATCH_SIZE)
        )
        return todo.filtered(lambda b: b.kind == todo[:1].kind)

    def plan_updates(self):
        connection = self.connection
        Document = self.env["xero.document"]
        todo = self._next_batch([("state", "=", "to_update"), ("move_id.state", "=", "posted")], "kind, date, id")
        if not todo:
            return 0
        kind = todo[:1].kind
        built = self.build(todo)
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
            bindings = Document.browse([b.id for b, _d in sending])
            self.env["xero.outbox"]._plan(
                connection,
                f"{kind}_update",
                bindings,
                payloads,
                infos=[self.doc_info(doc, b) for b, doc in sending],
                # The revision names the update: A -> B -> A is three writes for Xero.
                revisions=bindings.mapped("revision"),
            )
        return len(todo)

    def plan_voids(self):
        connection = self.connection
        todo = self._next_batch([("state", "=", "to_void"), ("xero_id", "!=", False)], "kind, id")
        if not todo:
            return 0
        kind = todo[:1].kind
        payloads = [accounting.void_payload(kind, b.xero_id) for b in todo]
        self.env["xero.outbox"]._plan(connection, f"{kind}_void", todo, payloads)
        return len(todo)

    # -- Xero's answers (the outbox's callback) ---------------------------------------------------

    def _outbox_record(self, batch, records, answers, partial=False):
        """Record Xero's answer for each document of `batch` (None: no answer, it goes again)."""
        kind, action = batch.kind.rsplit("_", 1)
        if action == "create":
            self.record_created(batch, kind, records, answers)
        elif action == "update":
            self.record_updated(batch, kind, records, answers)
        else:
            self.record_voided(records, answers)

    def _outbox_read_back(self, batch, gateway, indexes):
        """{item index: Answer} of the created documents Xero holds, found by number."""
        if not batch.kind.endswith("_create"):
            return {}  # an update or a void sent again changes nothing more
        connection = batch.connection_id
        kind = batch.kind[: -len("_create")]
        LedgerReader(connection).read_changes()
        docs = {i: self.info_doc(kind, batch.info[i]) for i in indexes}
        held = dict((d.key, xero_id) for d, xero_id in self.in_xero(list(docs.values())).already_in_xero)
        _type, number_field, id_field, _words = accounting.KINDS[kind]
        return {
            i: Answer(record={id_field: held[d.key], number_field: d.number}, found=True)
            for i, d in docs.items()
            if d.key in held
        }

    def record_created(self, batch, kind, records, answers):
        _type, number_field, id_field, _words = accounting.KINDS[kind]
        now, logs, clashes, found = fields.Datetime.now(), {}, [], []
        for planned, payload, info, answer in zip(records, batch.payload, batch.info, answers, strict=True):
            binding = planned.exists()
            if not binding:
                continue
            doc = self.info_doc(kind, info)
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
            logs[binding.move_id.id] = self.sent_message(binding, problems)
        self.env["account.move"].browse(list(logs))._message_log_batch(bodies=logs)
        self.link_found(found)
        if clashes:
            self.settle_clashes(clashes)

    def sent_message(self, binding, problems, words=None):
        text = words or self.env._("Sent to Xero as %s.", binding.xero_number)
        if problems:
            text += " " + self.env._("The totals differ: %s", " ".join(problems))
        return text

    def settle_clashes(self, clashes):
        """Xero already had these numbers: read what changed in Xero, link ours, name the others."""
        LedgerReader(self.connection).read_changes()
        plan = self.in_xero([doc for _b, doc in clashes])
        by_move = {b.move_id.id: b for b, _d in clashes}
        self.link_found([(by_move[d.key], d, xero_id) for d, xero_id in plan.already_in_xero])
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

    def link_found(self, found):
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
            .search([("connection_id", "=", self.connection.id), ("xero_id", "in", [x for _b, _d, x in found])])
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
            logs[binding.move_id.id] = self.sent_message(
                binding, problems, self.env._("Already in Xero as %s: linked, not sent again.", binding.xero_number)
            )
        self.env["account.move"].browse(list(logs))._message_log_batch(bodies=logs)

    def record_updated(self, batch, kind, records, answers):
        """Changes Xero took are recorded; documents Xero has paid or credited are not changed
        there (Xero refuses it): they stay as Xero has them, the difference shown."""
        _type, number_field, _id_field, _words = accounting.KINDS[kind]
        logs, kept = {}, []
        for planned, payload, info, answer in zip(records, batch.payload, batch.info, answers, strict=True):
            binding = planned.exists()
            if not binding or answer is None:
                continue  # still to update: sent again in a later batch
            doc = self.info_doc(kind, info)
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
            logs[binding.move_id.id] = self.sent_message(binding, problems)
        self.env["account.move"].browse(list(logs))._message_log_batch(bodies=logs)
        if kept:
            self.keep_paid(kept)

    def keep_paid(self, kept):
        connection = self.connection
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

    def record_voided(self, records, answers):
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

    # The job kinds this module runs: kind -> (synchronizer class, name of its step method).

    def preview_step(self, job):
        """One step of a large preview (the `accounting_preview` job), a dry run of the sending:
        Xero's accounts and tax rates, then one page of its changed contacts, then one page of
        its sales ledger, then the plan (each step committed, so a stopped worker resumes at
        its page)."""
        preview = self.env["xero.accounting.preview"].sudo().browse(job.res_ids or []).exists()
        if not preview:
            return True  # closed and vacuumed meanwhile: nothing to prepare
        connection = self.connection
        payload = dict(job.payload or {})
        phase, read, left = payload.get("phase") or "reference", 0, 0
        if phase == "reference":
            ReferenceReader(connection).read_reference()
            if not connection.short_code:
                connection._refresh_organisation()
            payload.update(phase="contacts", cursor=reading.start(connection.contacts_fetched_at))
        elif phase == "contacts":
            cursor, finished, read, left = contact_reader.ContactReader(connection.with_env(self.env)).fetch_page(
                payload["cursor"]
            )
            payload.update(cursor=cursor)
            if finished:
                payload.update(phase="ledger", cursor=None, position=LedgerReader(connection).start())
        elif phase == "ledger":
            position, finished, read, left = LedgerReader(connection).read_page(payload["position"])
            payload.update(position=position, phase="plan" if finished else "ledger")
        else:
            preview._plan(connection)
            job.progress_total = job.progress_done
            preview._tell_ready()
            return True
        job.payload = payload
        job.progress_done += read
        # The records Xero said are left in the list being read, and a step for the plan.
        job.progress_total = job.progress_done + (left or 0) + 1
        preview.write({"state": "building"})  # a sign of life: a transient record kept while prepared
        return False


JOBS = {"accounting_push": (DocumentWriter, "send_step"), "accounting_preview": (DocumentWriter, "preview_step")}
# The outbox kinds whose answers this module records: kind -> synchronizer class.
WRITERS = {
    f"{kind}_{action}": DocumentWriter
    for kind in (accounting.INVOICE, accounting.CREDIT_NOTE)
    for action in ("create", "update", "void")
}
