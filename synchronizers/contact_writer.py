from datetime import timedelta

from odoo import fields
from odoo.tools import SQL

from ..xero_connector import fieldmap, matching, outbox, push
from ..xero_connector.errors import XeroRequestError
from ..xero_connector.gateway import parse_xero_datetime
from ..xero_connector.outbox import Answer
from . import contact_reader, document_writer
from .base import Synchronizer

ARCHIVED_REFUSAL = "Unable to assign an Archived contact."  # Xero's words
# Xero's ContactNumber: at most 50 characters, unique across the organisation's contacts.
CONTACT_NUMBER_MAX = 50


class ContactWriter(Synchronizer):
    """Odoo's customers and suppliers into Xero's contacts, through the outbox.

    Every contact write (the contacts push, the customers the accounting push
    creates, the differences pushed and Xero's changes overwritten) is a
    `contact_save` batch of `xero.outbox`; groups and their members are batches
    too. This writer records Xero's answers for all of them (`_outbox_record`).
    """

    # -- the job ------------------------------------------------------------------------

    def push_step(self, job):
        """Each step sends the batch the step before planned, or plans the next one: the
        groups (step 1 reads Xero first), then 50 partners a step, then the groups' members.

        The job's payload stays small (the groups' ids): the frozen batches live in the outbox."""
        connection = job.connection_id
        batch = self.env["xero.outbox"]._open(connection, "contacts")
        if batch:
            # Planned and committed by an earlier step: sent now, as it was planned.
            batch._deliver()
            return False
        payload = job.payload or {}
        if "groups" not in payload:
            return self.prepare(job, payload)
        ids = (job.res_ids or [])[job.progress_done : job.progress_done + job.batch_size]
        if ids:
            self.plan(self.env["res.partner"].browse(ids).exists(), queue="contacts")
            job.progress_done = min(job.progress_done + len(ids), job.progress_total)
            return False
        if not payload.get("members"):
            self.plan_groups(job, payload)
            job.payload = dict(payload, members=True)
            return False
        connection.sudo().contacts_pushed_at = fields.Datetime.now()
        return True

    def prepare(self, job, payload):
        connection = job.connection_id
        if not payload.get("read"):
            # Fresh knowledge of Xero first: what exists is linked, not created again.
            contact_reader.ContactReader(connection).fetch_changes()
        groups = {
            g["Name"].casefold(): g["ContactGroupID"]
            for g in connection._gateway().get_contact_groups()
            if g.get("Name") and g.get("Status", "ACTIVE") == "ACTIVE"
        }
        wanted = {"customer": connection.customers_group_name, "supplier": connection.suppliers_group_name}
        missing = [name for name in wanted.values() if name and name.casefold() not in groups]
        asked = payload.get("groups_asked") or []
        refused = [name for name in missing if name in asked]
        if refused:
            # Its batch was sent and refused (Xero's words are on no record): the job stops here.
            raise XeroRequestError(self.env._('Xero did not create the contact group "%s".', refused[0]))
        if missing:
            self.env["xero.outbox"]._plan(
                connection,
                "contact_group",
                connection.browse([connection.id] * len(missing)),
                [{"Name": name} for name in missing],
                queue="contacts",
            )
            job.payload = dict(payload, read=True, groups_asked=asked + missing)
            return False  # the step ends: the batch is committed before it is sent
        partners = self.env["res.partner"].search(connection._push_domain(), order="id")
        job.write(
            {
                "res_model": "xero.contact",
                "res_ids": partners.ids,
                "progress_total": len(partners),
                "progress_done": 0,
                "batch_size": outbox.batch_size("contact_save"),
                "payload": {"groups": {kind: groups.get((name or "").casefold()) for kind, name in wanted.items()}},
            }
        )
        return False

    def plan(self, partners, queue):
        """Link these partners to the Xero contacts they match; plan the batch that updates or
        creates the rest in Xero (returned; empty when there is nothing to write)."""
        connection = self.connection
        writes = [target for target in self.targets(partners) if target[2] or target[3]]
        if not writes:
            return self.env["xero.outbox"]
        return self.env["xero.outbox"]._plan(
            connection,
            "contact_save",
            self.env["res.partner"].browse([partner.id for partner, *_rest in writes]),
            [self.payload(*target) for target in writes],
            infos=[
                {"binding": binding.id if binding else None, "keys": keys or [], "name": name, "report": "partner"}
                for _partner, binding, keys, name in writes
            ],
            queue=queue,
        )

    def plan_groups(self, job, payload):
        """One batch a group and 500 members: every linked partner of the push, not archived."""
        connection = job.connection_id
        bindings = self.env["xero.contact"].search(
            [
                ("connection_id", "=", connection.id),
                ("partner_id", "in", job.res_ids or []),
                ("xero_status", "!=", "ARCHIVED"),  # Xero refuses archived contacts in groups
            ],
            order="xero_id",
        )
        size = outbox.batch_size("contact_group_members")
        for kind, group_id in (payload.get("groups") or {}).items():
            rank = "customer_rank" if kind == "customer" else "supplier_rank"
            members = bindings.filtered(lambda b, rank=rank: b.partner_id[rank])
            for start in range(0, len(members), size):
                chunk = members[start : start + size]
                self.env["xero.outbox"]._plan(
                    connection,
                    "contact_group_members",
                    chunk,
                    [{"ContactID": b.xero_id} for b in chunk],
                    target=group_id,
                    queue="contacts",
                )

    def targets(self, partners):
        """[(partner, binding, keys to update, name to create under)] for each partner.

        A linked partner with nothing to update has neither keys nor name.
        Only the Xero contacts that could matter to this batch are read
        (same tax number, email or candidate name), so a batch costs the
        same whether the organisation has a hundred contacts or a million.
        """
        connection, Contact = self.connection, self.env["xero.contact"]
        linked = Contact.search([("connection_id", "=", connection.id), ("partner_id", "in", partners.ids)])
        by_partner = {b.partner_id.id: b for b in linked}
        to_push = [
            push.PartnerToPush(
                partner_id=p.id,
                values=p._xero_local_values(),
                city=p.city,
                ref=p.ref,
                contact_id=by_partner[p.id].xero_id if p.id in by_partner else None,
            )
            for p in partners
        ]
        fresh = [item for item in to_push if not item.contact_id]
        vats = [v for v in {matching.vat_key(i.values.get("vat"), i.values.get("country")) for i in fresh} if v]
        emails = [e for e in {matching.normalise_email(i.values.get("email")) for i in fresh} if e]
        names = list({matching.xero_key(n) for i in fresh for n in push.candidate_names(i)})
        relevant = (
            Contact.search(
                [
                    ("connection_id", "=", connection.id),
                    "|",
                    "|",
                    ("match_vat", "in", vats),
                    ("match_email", "in", emails),
                    ("match_name", "in", names),
                ]
            )
            if fresh
            else Contact.browse()
        )
        known = [
            push.XeroContactInfo(
                contact_id=b.xero_id,
                name=b.name,
                email=b.email,
                vat=b.tax_number,
                country=b.country,
                active=b.xero_status == "ACTIVE" and not b.merged_to_id,
                linked=bool(b.partner_id),
            )
            for b in relevant
        ]
        plan = push.plan(to_push, known)
        by_xero_id = {b.xero_id: b for b in relevant}
        for partner_id, xero_id in plan.link.items():
            by_xero_id[xero_id]._link(self.env["res.partner"].browse(partner_id))
            by_partner[partner_id] = by_xero_id[xero_id]
        Contact.browse([b.id for b in by_partner.values()])._refresh_differences()
        master = connection.odoo_is_master
        targets = []
        for partner in partners:
            binding = by_partner.get(partner.id)
            if not binding:
                targets.append((partner, None, None, plan.names[partner.id]))
                continue
            keys = [d.key for d in binding.difference_ids if d.kind == "push" or (master and d.can_push)]
            targets.append((partner, binding, keys, None))
        return targets

    def payload(self, partner, binding, keys, name):
        if not binding:
            return push.payload(partner._xero_local_values(), name=name, contact_number=self.contact_number(partner))
        local = binding._local_values()
        return push.payload({k: local.get(k) for k in keys}, base=binding.xero_data or {"ContactID": binding.xero_id})

    # -- Xero's answers (the outbox's callback) ---------------------------------------------------

    def _outbox_record(self, batch, records, answers, partial=False):
        """Record Xero's answer for each item of a contact, group or members batch."""
        if batch.kind == "contact_save":
            self.record_saved(batch, records, answers)
        elif batch.kind == "contact_group_members":
            self.record_members(batch, records, answers)
        # A group created needs no record here: the push reads the groups again.

    def record_saved(self, batch, partners, answers):
        """Keep what Xero answered: each contact, or each refusal where its user looks."""
        connection = batch.connection_id
        Contact, reader = self.env["xero.contact"], contact_reader.ContactReader(self.connection)
        to_create, updated, messages, refused = [], Contact.browse(), {}, self.env["res.partner"]
        for partner, info, answer in zip(partners, batch.info, answers, strict=True):
            binding = Contact.browse(info.get("binding") or [])
            keys = info.get("keys") or []
            if answer is None or not answer.ok:
                why = (
                    "; ".join(answer.problems)
                    if answer
                    else self.env._("Xero gave no answer for this contact: it goes again next time.")
                )
                if info.get("report") == "binding":
                    binding.sync_error = why
                    messages[partner.id] = self.env._("Push to Xero refused: %s", why)
                else:
                    partner.xero_push_error = why
                refused |= partner
                continue
            if partner.xero_push_error:
                partner.xero_push_error = False
            values = reader.values_from_xero(answer.record)
            if binding:
                before, local = binding.remote_values or {}, binding._local_values()
                synced = dict(binding.synced_values or {}, **{k: local.get(k) for k in keys})
                binding.write(dict(values, synced_values=synced, sync_error=False))
                updated |= binding
                title = info.get("title") or self.env._("Pushed to Xero")
                messages[partner.id] = Contact._changes_message(title, keys, before, local)
            else:
                to_create.append(
                    dict(
                        values,
                        connection_id=connection.id,
                        xero_id=answer.record["ContactID"],
                        partner_id=partner.id,
                        pushed_name=answer.record.get("Name"),
                        synced_values=values["remote_values"],
                    )
                )
                messages[partner.id] = self.env._('Created in Xero as "%s".', answer.record.get("Name"))
        # A read of Xero running at the same time may have recorded some of
        # the new contacts already: complete those instead of adding twice.
        seen = {
            b.xero_id: b
            for b in Contact.search(
                [("connection_id", "=", connection.id), ("xero_id", "in", [v["xero_id"] for v in to_create])]
            )
        }
        for values in [v for v in to_create if v["xero_id"] in seen]:
            seen[values["xero_id"]].write(values)
            updated |= seen[values["xero_id"]]
        # Made by a job, for partners whose chatter says so below: no creation message nor
        # follower on each binding (a push creates thousands), as the read makes them.
        new = Contact.with_context(tracking_disable=True).create([v for v in to_create if v["xero_id"] not in seen])
        created = new.with_env(Contact.env)
        (created | updated)._refresh_differences()
        # One chatter line per partner, written in one go (thousands per job).
        self.env["res.partner"].browse(list(messages))._message_log_batch(bodies=messages)
        if refused and batch.queue == "accounting":
            document_writer.DocumentWriter(connection).customers_not_created(refused)

    def record_members(self, batch, bindings, answers):
        """Members added; a request Xero refused for an archived contact (it names none): those
        now archived in Xero are left out, each partner told, and the others go again."""
        refused = [b for b, answer in zip(bindings, answers, strict=True) if answer is None or not answer.ok]
        if not refused:
            return
        words = next((a.problems[0] for a in answers if a and a.problems), "")
        archived = set()
        if ARCHIVED_REFUSAL in words:
            ids = [b.xero_id for b in refused]
            archived = {
                c["ContactID"]
                for c in batch.connection_id._gateway().get_contacts(ids=ids, include_archived=True)
                if c.get("ContactStatus") == "ARCHIVED"
            }
        rest = self.env["xero.contact"].browse()
        for binding in refused:
            if binding.xero_id in archived:
                binding.xero_status = "ARCHIVED"
                binding.partner_id.xero_push_error = self.env._(
                    "%s is archived in Xero: Xero takes no archived contact into a contact group.",
                    binding.partner_id.display_name,
                )
            elif archived:
                rest |= binding
            else:
                binding.partner_id.xero_push_error = words or self.env._("Xero gave no answer for this contact.")
        if rest:
            # The others were refused with them: a new batch, committed before it is sent.
            self.env["xero.outbox"]._plan(
                batch.connection_id,
                batch.kind,
                rest,
                [{"ContactID": b.xero_id} for b in rest],
                target=batch.target,
                queue=batch.queue,
            )

    def _outbox_read_back(self, batch, gateway, indexes):
        """{item index: Answer} of what Xero holds already: the groups, by name; the contacts
        created by us, by their exact name, when an earlier try whose answer was lost made them
        (Xero had forgotten that request's key, and refuses the name as taken)."""
        if batch.kind == "contact_group":
            held = {
                (g.get("Name") or "").casefold(): g
                for g in gateway.get_contact_groups()
                if g.get("Status", "ACTIVE") == "ACTIVE"
            }
            return {
                i: Answer(record=held[key], found=True)
                for i in indexes
                if (key := (batch.payload[i].get("Name") or "").casefold()) in held
            }
        if batch.kind != "contact_save":
            return {}  # members added again are members once
        names = {i: batch.info[i].get("name") for i in indexes if batch.info[i].get("name")}
        if not names:
            return {}  # an update sent again changes nothing more
        quoted = sorted({name.replace("\\", "\\\\").replace('"', '\\"') for name in names.values()})
        found = {}
        for start in range(0, len(quoted), 20):
            where = " OR ".join(f'Name=="{name}"' for name in quoted[start : start + 20])
            for contact in gateway.get_contacts(where=where):
                if contact.get("ContactStatus", "ACTIVE") == "ACTIVE":
                    found.setdefault(matching.xero_key(contact.get("Name")), contact)
        taken = set(
            self.env["xero.contact"]
            .search(
                [
                    ("connection_id", "=", batch.connection_id.id),
                    ("partner_id", "!=", False),
                    ("xero_id", "in", [c["ContactID"] for c in found.values()]),
                ]
            )
            .mapped("xero_id")
        )
        answers = {}
        for i, name in names.items():
            contact = found.get(matching.xero_key(name))
            if not contact or contact["ContactID"] in taken:
                continue  # another's contact: the refusal stands
            partner = self.env["res.partner"].browse(batch.record_ids[i])
            changed = parse_xero_datetime(contact.get("UpdatedDateUTC"))
            made = partner.create_date - timedelta(minutes=1)  # clocks apart by seconds, not minutes
            if changed and changed.replace(tzinfo=None) < made:
                continue  # older than the partner: another's contact, not our lost creation
            answers[i] = Answer(record=contact, found=True)
        return answers

    # -- differences pushed, Xero's changes overwritten ---------------------------------------

    def overwrite_xero_changes(self, bindings):
        """Odoo is the master: put Odoo's values back where Xero changed them."""
        work = []
        for contact in bindings:
            keys = [d.key for d in contact.difference_ids if d.kind in ("pull", "conflict", "unsynced")]
            if keys:
                work.append((contact, keys))
        self.push_to_xero(work, self.env._("Xero's change overwritten (Odoo is the master)"))

    def push_to_xero(self, work, title):
        """Push (contact, keys) pairs of this organisation through the outbox, one batch of 50
        contacts a request, sent within this request (updates: Xero applies them the same
        however often they are sent); return the refusals."""
        size = outbox.batch_size("contact_save")
        for start in range(0, len(work), size):
            chunk = work[start : start + size]
            payloads = []
            for contact, keys in chunk:
                local = contact._local_values()
                payloads.append(
                    fieldmap.to_xero(
                        {k: local.get(k) for k in keys}, base=contact.xero_data or {"ContactID": contact.xero_id}
                    )
                )
            infos = [
                {"binding": contact.id, "keys": keys, "title": title, "report": "binding"} for contact, keys in chunk
            ]
            partners = self.env["res.partner"].browse([contact.partner_id.id for contact, _keys in chunk])
            self.env["xero.outbox"]._plan(
                self.connection, "contact_save", partners, payloads, infos=infos, queue="request"
            )._deliver()
        return [contact.sync_error for contact, _keys in work if contact.sync_error]

    def contact_number(self, partner):
        """The partner's reference as the new Xero contact's `ContactNumber`, or None.

        Xero takes a ContactNumber it already knows as "update that contact": a
        reference another Xero contact (or another partner) has is left out, so a
        push never overwrites someone else.
        """
        ref = (partner.ref or "").strip()
        if not ref or len(ref) > CONTACT_NUMBER_MAX:
            return None
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        if Partner.search_count([("ref", "=", ref), ("parent_id", "=", False)], limit=2) > 1:
            return None
        self.env["xero.contact"].flush_model(["xero_data"])
        taken = self.env.execute_query(
            SQL("SELECT 1 FROM xero_contact WHERE xero_data->>'ContactNumber' = %s LIMIT 1", ref)
        )
        return None if taken else ref


# The job kinds this module runs: kind -> (synchronizer class, name of its step method).
JOBS = {"contacts_push": (ContactWriter, "push_step")}
# The outbox kinds whose answers this module records: kind -> synchronizer class.
WRITERS = {"contact_save": ContactWriter, "contact_group": ContactWriter, "contact_group_members": ContactWriter}
