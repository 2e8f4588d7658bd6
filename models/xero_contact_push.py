from datetime import timedelta

from odoo import fields, models

from ..xero_connector import matching, outbox, push
from ..xero_connector.errors import XeroValidationError
from ..xero_connector.gateway import ItemResult, parse_xero_datetime

PUSH_BATCH = 50  # Xero's recommended contacts per request
GROUP_BATCH = 500  # contacts added to a group per request
ARCHIVED_REFUSAL = "Unable to assign an Archived contact."  # Xero's words
NAME_TAKEN = "is already assigned to another contact"  # Xero's words


class XeroContact(models.Model):
    """The background push of customers and suppliers into Xero."""

    _inherit = "xero.contact"

    pushed_name = fields.Char(readonly=True, help="The name Odoo gave this contact in Xero to keep names unique.")

    def _local_values(self):
        values = super()._local_values()
        # A name made unique at creation ("Acme (Napier)") is this partner's name in Xero.
        if self.pushed_name and values.get("name") and self.pushed_name.startswith(values["name"] + " ("):
            values["name"] = self.pushed_name
        return values

    # -- the job ------------------------------------------------------------------------

    def _xero_job_contacts_push(self, job):
        """Step 1 reads Xero and plans; then 50 partners a step; the last step fills the groups."""
        payload = dict(job.payload or {})
        if "groups" not in payload:
            return self._push_prepare(job, payload)
        ids = (job.res_ids or [])[job.progress_done : job.progress_done + job.batch_size]
        partners = self.env["res.partner"].browse(ids)
        if partners:
            self._push_batch(job, payload, partners.exists())
            job._batch_done()
            job.payload = payload
            return False
        self._push_fill_groups(job, payload)
        job.connection_id.sudo().contacts_pushed_at = fields.Datetime.now()
        return True

    def _push_prepare(self, job, payload):
        connection = job.connection_id
        # Fresh knowledge of Xero first: what exists is linked, not created again.
        self._fetch_changes(connection)
        gateway = connection._gateway()
        groups = {g["Name"].casefold(): g["ContactGroupID"] for g in gateway.get_contact_groups() if g.get("Name")}
        group_ids = {}
        for kind, name in (
            ("customer", connection.customers_group_name),
            ("supplier", connection.suppliers_group_name),
        ):
            if name and name.casefold() not in groups:
                created = gateway.create_contact_group(name, operation=f"contact-group:{connection.id}:{name}")
                groups[name.casefold()] = created["ContactGroupID"]
            group_ids[kind] = groups.get((name or "").casefold())
        partners = self.env["res.partner"].search(connection._push_domain(), order="id")
        job.write(
            {
                "res_model": "xero.contact",
                "res_ids": partners.ids,
                "progress_total": len(partners),
                "progress_done": 0,
                "batch_size": PUSH_BATCH,
                "payload": dict(payload, groups=group_ids, members={"customer": [], "supplier": []}),
            }
        )
        return not partners and self._push_fill_groups(job, job.payload)

    def _push_batch(self, job, payload, partners):
        """Link, update or create these partners in Xero: one request for the batch."""
        connection = job.connection_id
        # The job and its step name the write: a retry of this step sends the
        # same key, and Xero answers it without creating anything twice.
        self._push_partners(connection, partners, operation=f"contacts-push:job-{job.id}:from-{job.progress_done}")
        bindings = self.search([("connection_id", "=", connection.id), ("partner_id", "in", partners.ids)])
        # Xero refuses archived contacts in groups (the whole request): leave them out.
        for binding in bindings.filtered(lambda b: b.xero_status != "ARCHIVED"):
            if binding.partner_id.customer_rank:
                payload["members"]["customer"].append(binding.xero_id)
            if binding.partner_id.supplier_rank:
                payload["members"]["supplier"].append(binding.xero_id)

    def _push_partners(self, connection, partners, operation):
        """Link, update or create `partners` in Xero (one request); refusals are noted on each partner."""
        targets = self._push_targets(connection, partners)
        writes = [target for target in targets if target[2] or target[3]]
        if writes:
            payloads = [self._push_payload(*target) for target in writes]
            result = connection._gateway().save_contacts(payloads, operation=operation)
            self._push_record(connection, writes, self._answers_by_key(payloads, result))

    def _answers_by_key(self, payloads, result):
        """Xero's answer of each contact written, matched by its id or (new) name, not by
        position: Xero does not promise the request's order. None: Xero said nothing of it."""
        keys = [outbox.item_key("contact_save", p) for p in payloads]
        return outbox.match("contact_save", keys, [(item.echo, item) for item in result.items])

    def _push_targets(self, connection, partners):
        """[(partner, binding, keys to update, name to create under)] for each partner.

        A linked partner with nothing to update has neither keys nor name.
        Only the Xero contacts that could matter to this batch are read
        (same tax number, email or candidate name), so a batch costs the
        same whether the organisation has a hundred contacts or a million.
        """
        linked = self.search([("connection_id", "=", connection.id), ("partner_id", "in", partners.ids)])
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
            self.search(
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
            else self.browse()
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
        self.browse([b.id for b in by_partner.values()])._refresh_differences()
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

    def _push_payload(self, partner, binding, keys, name):
        if not binding:
            return push.payload(partner._xero_local_values(), name=name, contact_number=self._contact_number(partner))
        local = binding._local_values()
        return push.payload({k: local.get(k) for k in keys}, base=binding.xero_data or {"ContactID": binding.xero_id})

    def _push_record(self, connection, writes, results):
        """Keep what Xero answered: each contact, or each refusal on its partner."""
        results = self._read_back_created(connection, writes, results)
        to_create, updated, messages = [], self.browse(), {}
        for (partner, binding, keys, _name), item in zip(writes, results, strict=True):
            if item is None:
                partner.xero_push_error = self.env._("Xero gave no answer for this contact: it goes again next time.")
                continue
            if not item.ok:
                partner.xero_push_error = "; ".join(p.message for p in item.problems)
                continue
            if partner.xero_push_error:
                partner.xero_push_error = False
            values = self._values_from_xero(item.record)
            if binding:
                before, local = binding.remote_values or {}, binding._local_values()
                synced = dict(binding.synced_values or {}, **{k: local[k] for k in keys})
                binding.write(dict(values, synced_values=synced))
                updated |= binding
                messages[partner.id] = self._changes_message(self.env._("Pushed to Xero"), keys, before, local)
            else:
                to_create.append(
                    dict(
                        values,
                        connection_id=connection.id,
                        xero_id=item.record["ContactID"],
                        partner_id=partner.id,
                        pushed_name=item.record.get("Name"),
                        synced_values=values["remote_values"],
                    )
                )
                messages[partner.id] = self.env._('Created in Xero as "%s".', item.record.get("Name"))
        # A read of Xero running at the same time may have recorded some of
        # the new contacts already: complete those instead of adding twice.
        seen = {
            b.xero_id: b
            for b in self.search(
                [("connection_id", "=", connection.id), ("xero_id", "in", [v["xero_id"] for v in to_create])]
            )
        }
        for values in [v for v in to_create if v["xero_id"] in seen]:
            seen[values["xero_id"]].write(values)
            updated |= seen[values["xero_id"]]
        created = self.create([v for v in to_create if v["xero_id"] not in seen])
        (created | updated)._refresh_differences()
        # One chatter line per partner, written in one go (thousands per job).
        self.env["res.partner"].browse(list(messages))._message_log_batch(bodies=messages)

    def _read_back_created(self, connection, writes, results):
        """`results`, where Xero refused a new contact's name because an earlier try whose answer
        was lost created it (Xero had forgotten that request's key): that contact read back by its
        exact name, linked to no partner here and changed since the partner was made, is ours."""
        lost = [
            (index, partner, name)
            for index, ((partner, binding, _keys, name), item) in enumerate(zip(writes, results, strict=True))
            if not binding and name and item is not None and any(NAME_TAKEN in p.xero_message for p in item.problems)
        ]
        if not lost:
            return results
        quoted = [name.replace("\\", "\\\\").replace('"', '\\"') for _i, _p, name in lost]
        found = {}
        for start in range(0, len(quoted), 20):
            where = " OR ".join(f'Name=="{name}"' for name in quoted[start : start + 20])
            for contact in connection._gateway().get_contacts(where=where):
                found.setdefault((contact.get("Name") or "").casefold(), contact)
        taken = set(
            self.search(
                [
                    ("connection_id", "=", connection.id),
                    ("partner_id", "!=", False),
                    ("xero_id", "in", [c["ContactID"] for c in found.values()]),
                ]
            ).mapped("xero_id")
        )
        results = list(results)
        for index, partner, name in lost:
            contact = found.get(name.casefold())
            if not contact or contact["ContactID"] in taken:
                continue
            changed = parse_xero_datetime(contact.get("UpdatedDateUTC"))
            made = partner.create_date - timedelta(minutes=1)  # clocks apart by seconds, not minutes
            if changed and changed.replace(tzinfo=None) < made:
                continue  # older than the partner: another's contact, not our lost creation
            results[index] = ItemResult(index, contact, [], echo=contact)
        return results

    def _push_fill_groups(self, job, payload):
        connection = job.connection_id
        gateway = connection._gateway()
        for kind, contact_ids in (payload.get("members") or {}).items():
            group_id = (payload.get("groups") or {}).get(kind)
            members = sorted(set(contact_ids))
            for start in range(0, len(members), GROUP_BATCH):
                chunk = members[start : start + GROUP_BATCH]
                try:
                    gateway.add_contacts_to_group(group_id, chunk, operation=f"contact-group-members:{group_id}")
                except XeroValidationError as exc:
                    if ARCHIVED_REFUSAL not in str(exc):
                        raise
                    self._fill_without_archived(connection, gateway, group_id, chunk, exc)
        return True

    def _fill_without_archived(self, connection, gateway, group_id, chunk, refusal):
        """Xero refused a group request for an archived contact without naming it: ask Xero
        which of them are archived now, fail those partners alone and add the others."""
        archived = {
            c["ContactID"]
            for c in gateway.get_contacts(ids=chunk, include_archived=True)
            if c.get("ContactStatus") == "ARCHIVED"
        }
        if not archived:
            raise refusal
        bindings = self.search([("connection_id", "=", connection.id), ("xero_id", "in", list(archived))])
        bindings.write({"xero_status": "ARCHIVED"})
        for partner in bindings.partner_id:
            partner.xero_push_error = self.env._(
                "%s is archived in Xero: Xero takes no archived contact into a contact group.", partner.display_name
            )
        rest = [c for c in chunk if c not in archived]
        if rest:
            gateway.add_contacts_to_group(group_id, rest, operation=f"contact-group-members:{group_id}")
