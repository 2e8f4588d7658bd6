import json

from odoo import api, fields, models

from .. import synchronizers
from ..xero_connector import outbox
from ..xero_connector.errors import XeroNotFoundError, XeroRequestError, XeroValidationError
from ..xero_connector.gateway import idempotency_key
from ..xero_connector.outbox import Answer

# Xero refuses these for the batch's content, not for a passing reason: every item
# of the batch gets Xero's words and the job goes on.
REFUSALS = (XeroValidationError, XeroRequestError)
# Kinds Xero would write twice if sent again once it forgot the key: what it holds
# is read back and linked before every send of their batch.
READ_BACK_FIRST = ("payment", "allocation", "contact_group")
KIND_SELECTION = [
    ("invoice_create", "Create invoices"),
    ("credit_note_create", "Create credit notes"),
    ("invoice_update", "Update invoices"),
    ("credit_note_update", "Update credit notes"),
    ("invoice_void", "Void invoices"),
    ("credit_note_void", "Void credit notes"),
    ("payment", "Create payments"),
    ("allocation", "Allocate a credit note"),
    ("payment_delete", "Delete payments"),
    ("allocation_delete", "Delete allocations"),
    ("contact_save", "Create or update contacts"),
    ("contact_group", "Create contact groups"),
    ("contact_group_members", "Add contacts to a group"),
]


class XeroOutbox(models.Model):
    """One write to Xero, frozen: its records, payload and idempotency key.

    A batch is planned and committed before it is sent (the job's step ends
    there), then sent, as it is, as many times as it takes: a retry (the same
    step, a later try, another worker) sends the same payload under the same
    key, and new work waits for the next batch. Xero's answers are matched to
    the records by a key each item carries, and recorded by the kind's writer
    (`synchronizers.writer`: `_outbox_record(batch, records, answers)` and
    `_outbox_read_back(batch, gateway, indexes)`).

    Each job delivers the batches of its own queue (`queue`): the accounting push
    those it planned (its customers' contacts included), the contacts push its
    own. A push a user asks for (differences, "Odoo is the master") is planned
    and delivered within the request (`request`): those are updates of existing
    contacts, which Xero applies the same however often they are sent.
    """

    _name = "xero.outbox"
    _description = "Xero write batch"
    _order = "id"

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    kind = fields.Selection(KIND_SELECTION, required=True, readonly=True)
    res_model = fields.Char(required=True, readonly=True)
    record_ids = fields.Json(readonly=True, help="The records written, one an item, in the payload's order.")
    payload = fields.Json(readonly=True, help="The items as sent to Xero.")
    item_keys = fields.Json(readonly=True, help="What names each item in Xero's answer.")
    info = fields.Json(readonly=True, help="What recording each item's answer needs (e.g. Odoo's totals).")
    target = fields.Char(
        readonly=True, help="The Xero record written under (a credit note's allocations, a group's members)."
    )
    queue = fields.Selection(
        [("accounting", "Accounting push"), ("contacts", "Contacts push"), ("request", "A user's request")],
        default="accounting",
        required=True,
        readonly=True,
        help="Who delivers the batch: the job that planned it, or the request itself.",
    )
    operation = fields.Char(readonly=True)
    idempotency_key = fields.Char(readonly=True)
    state = fields.Selection(
        [("planned", "Planned"), ("settled", "Settled")], default="planned", required=True, index=True, readonly=True
    )
    settled_at = fields.Datetime(readonly=True)

    # -- planning ---------------------------------------------------------------------

    @api.model
    def _plan(self, connection, kind, records, payloads, infos=None, target=None, revisions=(), queue="accounting"):
        """Freeze one batch; the caller's step ends so that it is committed before it is sent."""
        payloads = json.loads(json.dumps(payloads, default=str))
        batch = self.sudo().create(
            {
                "connection_id": connection.id,
                "kind": kind,
                "res_model": records._name,
                "record_ids": records.ids,
                "payload": payloads,
                "item_keys": [outbox.item_key(kind, p) for p in payloads],
                "info": infos or [{} for _p in payloads],
                "target": target,
                "queue": queue,
            }
        )
        batch._name_write(outbox.operation(kind, connection.id, batch.id, revisions))
        return batch

    def _name_write(self, operation):
        list_key = outbox.KINDS[self.kind][0]
        key = idempotency_key(self.connection_id.tenant_id, operation, {list_key: self.payload})
        self.write({"operation": operation, "idempotency_key": key})

    @api.model
    def _open(self, connection, queue="accounting"):
        """The batch of this organisation and queue not yet settled (new work waits for it)."""
        domain = [("connection_id", "=", connection.id), ("queue", "=", queue), ("state", "=", "planned")]
        return self.sudo().search(domain, limit=1)

    @api.model
    def _in_flight(self, records):
        """Those of `records` in a batch not yet settled: Xero may have them already."""
        rows = self.sudo().search([("res_model", "=", records._name), ("state", "=", "planned")])
        ids = {i for row in rows for i in row.record_ids or []}
        return records.filtered(lambda r: r.id in ids)

    # -- sending ----------------------------------------------------------------------

    def _deliver(self):
        """Send this batch and record Xero's answers; return how many records it settled."""
        self.ensure_one()
        writer = synchronizers.writer(self)
        # One recordset iterated: the records share their prefetch (one query a field, not one a record).
        records = list(self.env[self.res_model].sudo().browse(self.record_ids))
        gateway = self.connection_id._gateway()
        if self.kind in READ_BACK_FIRST:
            found = writer._outbox_read_back(self, gateway, list(range(len(records))))
            if found:
                writer._outbox_record(self, records, [found.get(i) for i in range(len(records))], partial=True)
                rest = [i for i in range(len(records)) if i not in found]
                if rest:
                    # What Xero lacks is a new, smaller batch: committed (the step ends) before it is sent.
                    self._keep_only(rest)
                else:
                    self._settle()
                return len(found)
        try:
            answers = outbox.match(self.kind, self.item_keys, self._send(gateway))
        except REFUSALS as exc:
            answers = [Answer(problems=[str(exc)], xero_words=[str(exc)]) for _r in records]
        unsure = [i for i, answer in enumerate(answers) if answer is None or outbox.may_be_held(self.kind, answer)]
        if unsure:
            # Xero did not answer for them, or refused what it may hold already: what it
            # holds is read back; the rest goes again later (or keeps Xero's refusal).
            found = writer._outbox_read_back(self, gateway, unsure)
            for i in unsure:
                answers[i] = found.get(i, answers[i])
        writer._outbox_record(self, records, answers)
        self._settle()
        return len(records)

    def _send(self, gateway):
        """The one call of this batch: [(item as Xero echoed it, Answer)]."""
        kind, payload, operation = self.kind, self.payload, self.operation
        if kind in ("payment_delete", "allocation_delete"):
            return self._send_deletions(gateway)
        if kind == "contact_group":
            return self._send_groups(gateway)
        if kind == "contact_group_members":
            ids = [item["ContactID"] for item in payload]
            added = gateway.add_contacts_to_group(self.target, ids, operation=operation)
            return [(item, Answer(record=item)) for item in added]
        write = {
            "invoice_create": gateway.create_invoices,
            "credit_note_create": gateway.create_credit_notes,
            "invoice_update": gateway.save_invoices,
            "invoice_void": gateway.save_invoices,
            "credit_note_update": gateway.save_credit_notes,
            "credit_note_void": gateway.save_credit_notes,
            "payment": gateway.save_payments,
            "contact_save": gateway.save_contacts,
        }.get(kind)
        if kind == "allocation":
            result = gateway.allocate_credit_note(self.target, payload, operation=operation)
        else:
            result = write(payload, operation=operation)
        return [
            (
                item.echo,
                Answer(
                    record=item.record,
                    problems=[p.message for p in item.problems],
                    xero_words=[p.xero_message for p in item.problems],
                ),
            )
            for item in result.items
        ]

    def _send_deletions(self, gateway):
        """Xero deletes one payment or allocation a call: each under the batch's name and its place."""
        answered = []
        for index, item in enumerate(self.payload):
            try:
                if self.kind == "payment_delete":
                    gateway.delete_payment(item["PaymentID"], operation=f"{self.operation}:{index}")
                else:
                    gateway.delete_allocation(item["CreditNoteID"], item["AllocationID"])
                answer = Answer(record=item)
            except XeroNotFoundError:
                answer = Answer(record=item)  # already gone: what was asked
            except REFUSALS as exc:
                answer = Answer(problems=[str(exc)])
            answered.append((item, answer))
        return answered

    def _send_groups(self, gateway):
        """Xero creates one contact group a call: each under the batch's name and its place."""
        answered = []
        for index, item in enumerate(self.payload):
            try:
                created = gateway.create_contact_group(item["Name"], operation=f"{self.operation}:{index}")
                answered.append((created, Answer(record=created)))
            except REFUSALS as exc:
                answered.append((item, Answer(problems=[str(exc)])))
        return answered

    def _keep_only(self, indexes):
        """Narrow the batch to these items, under a new name (it is another write)."""
        pick = lambda values: [values[i] for i in indexes]  # noqa: E731
        self.write(
            {
                "record_ids": pick(self.record_ids),
                "payload": pick(self.payload),
                "item_keys": pick(self.item_keys),
                "info": pick(self.info),
            }
        )
        self._name_write(f"{self.operation}:rest{len(indexes)}")

    def _settle(self):
        self.write({"state": "settled", "settled_at": fields.Datetime.now()})
