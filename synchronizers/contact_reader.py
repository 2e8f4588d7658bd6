from odoo import fields
from odoo.tools import SQL

from ..xero_connector import fieldmap, matching, reading
from ..xero_connector.gateway import parse_xero_datetime
from . import contact_writer
from .base import Synchronizer

# Contacts a call reads (Xero's largest page).
FETCH_PAGE_SIZE = 1000


class ContactReader(Synchronizer):
    """Xero's contacts into bindings (`xero.contact`), and the partners imported from them."""

    # -- fetching from Xero ---------------------------------------------------

    def fetch_step(self, job):
        """Read one page of new and changed Xero contacts into bindings: each page is
        a committed step, so a first read of any size holds one page in memory and a
        stopped worker resumes at its page (the cursor is in the job's payload)."""
        cursor = (job.payload or {}).get("cursor") or reading.start(self.connection.contacts_fetched_at)
        cursor, finished, read, left = self.fetch_page(cursor)
        job.progress_done += read
        job.progress_total = job.progress_done + (left or 0)
        job.payload = dict(job.payload or {}, cursor=None if finished else cursor)
        return finished

    def fetch_changes(self):
        """Read every contact changed since the last read, now (one call when nothing changed)."""
        cursor, finished = reading.start(self.connection.contacts_fetched_at), False
        while not finished:
            cursor, finished, _read, _left = self.fetch_page(cursor)

    def fetch_page(self, cursor):
        """One page of the read at `cursor`; (next cursor, finished, contacts stored, contacts left)."""
        connection = self.connection
        contacts, cursor, finished, left = reading.read_step(
            connection._gateway(), "contacts", cursor, FETCH_PAGE_SIZE, lambda c: c["ContactID"]
        )
        # Xero's second of the last change is read again: contacts known exactly as
        # Xero sends them are skipped.
        known = {
            b.xero_id: b.xero_data
            for b in self.env["xero.contact"].search(
                [("connection_id", "=", connection.id), ("xero_id", "in", [c["ContactID"] for c in contacts])]
            )
        }
        contacts = [c for c in contacts if known.get(c["ContactID"]) != c]
        self.store_fetched(contacts)
        values = {"last_sync_at": fields.Datetime.now()}
        if finished and cursor["latest"]:
            # Only a read to its end moves the watermark: a stopped one starts again from its cursor.
            values["contacts_fetched_at"] = parse_xero_datetime(cursor["latest"]).replace(tzinfo=None)
        connection.sudo().write(values)
        return cursor, finished, len(contacts), left

    def store_fetched(self, contacts):
        Contact = self.env["xero.contact"]
        existing = {
            c.xero_id: c
            for c in Contact.search(
                [("connection_id", "=", self.connection.id), ("xero_id", "in", [x["ContactID"] for x in contacts])]
            )
        }
        to_create = []
        for data in contacts:
            values = self.values_from_xero(data)
            binding = existing.get(data["ContactID"])
            if binding:
                binding.write(values)
            else:
                to_create.append(dict(values, connection_id=self.connection.id, xero_id=data["ContactID"]))
        # Read, not made by anyone: no creation message nor follower on each binding (a
        # first read creates thousands; its job says when the organisation was read).
        created = Contact.with_context(tracking_disable=True).create(to_create).with_env(Contact.env)
        touched = created | Contact.browse([b.id for b in existing.values()])
        self.follow_merges(touched, contacts)
        touched.filtered(lambda c: c.state == "to_review")._compute_suggestions()
        synced = touched.filtered("partner_id")
        synced._refresh_differences()
        if self.connection.odoo_is_master:
            contact_writer.ContactWriter(self.connection).overwrite_xero_changes(synced)
        return touched

    def values_from_xero(self, data):
        """A binding's values from the contact as Xero sends it."""
        remote = fieldmap.from_xero(data)
        return {
            "name": remote["name"] or data.get("ContactID"),
            "first_name": remote["first_name"],
            "last_name": remote["last_name"],
            "email": remote["email"],
            "phone": remote["phone"],
            "tax_number": remote["vat"],
            "city": remote["city"],
            "country": remote["country"],
            "xero_status": data.get("ContactStatus") or "ACTIVE",
            "xero_updated_at": (parse_xero_datetime(data.get("UpdatedDateUTC")) or fields.Datetime.now()).replace(
                tzinfo=None
            )
            if data.get("UpdatedDateUTC")
            else fields.Datetime.now(),
            "remote_values": remote,
            "xero_data": data,
            "match_name": matching.xero_key(remote["name"]) or False,
            "match_vat": matching.vat_key(remote["vat"], remote["country"]) or False,
            "match_email": matching.normalise_email(remote["email"]) or False,
        }

    def follow_merges(self, bindings, contacts):
        """A contact merged in Xero hands its link to the surviving contact."""
        merged = {c["ContactID"]: c["MergedToContactID"] for c in contacts if c.get("MergedToContactID")}
        if not merged:
            return
        survivors = {
            s.xero_id: s
            for s in self.env["xero.contact"].search(
                [("connection_id", "in", bindings.connection_id.ids), ("xero_id", "in", list(merged.values()))]
            )
        }
        for binding in bindings.filtered(lambda b: b.xero_id in merged):
            survivor = survivors.get(merged[binding.xero_id])
            if not survivor:
                continue
            binding.merged_to_id = survivor
            if binding.partner_id and not survivor.partner_id:
                partner = binding.partner_id
                synced = binding.synced_values
                binding.partner_id = False
                # Released in the database before the survivor takes it (one link per partner).
                binding.flush_recordset(["partner_id"])
                survivor.write({"partner_id": partner.id, "synced_values": synced})
                survivor._refresh_differences()
                partner.message_post(
                    body=self.env._(
                        'Xero merged contact "%(old)s" into "%(new)s": the link now points to "%(new)s".',
                        old=binding.name,
                        new=survivor.name,
                    )
                )

    # -- importing partners -----------------------------------------------------------

    def import_step(self, job):
        # A contact imported by an earlier, interrupted run is synced: skipped.
        self.import_partners(job._next_batch().filtered(lambda c: c.state != "synced" and not c.merged_to_id))
        return job._batch_done()

    def import_partners(self, bindings):
        """Create the partners of these contacts in batches: the companies, then their main
        contacts, the links, and one chatter line each (as Odoo's own batched create would)."""
        # Checked by the caller (a Xero User, or a job): the partners made here are linked below,
        # so the partner hooks that compare with Xero have nothing to do for them. No creation
        # message nor tracking, as Odoo's own import of a file by default (tracking_disable):
        # the chatter line below says where each partner comes from.
        Partner = bindings.env["res.partner"].sudo().with_context(xero_importing=True, tracking_disable=True)
        places = {}  # country / region lookups, once per batch
        rows = []
        for contact in bindings:
            connection = contact.connection_id.sudo()
            values, problems = fieldmap.clean_for_odoo(contact.remote_values or {})
            partner_values, more = Partner._xero_partner_values(values, places)
            main = " ".join(filter(None, (values.get("first_name"), values.get("last_name"))))
            # A person in Xero ("Ana Souza", main contact Ana Souza) is one
            # individual partner; an organisation gets its main contact as a child.
            person = bool(main) and fieldmap.same("name", main, partner_values["name"])
            # The connection's company owns what is imported from its organisation.
            company = False if connection.imported_partners_shared else connection.company_id.id
            partner_values.update(is_company=not person, company_id=company)
            rows.append((contact, partner_values, "" if person else main, values.get("email"), problems + more))
        # New partners without a parent nor children: Odoo's sync of the partner tree has
        # nothing to do for them. Their main contacts get what that sync would write (the
        # company's address and commercial fields) in their create values, as Odoo's own
        # data import does (res.partner._load_records_create), not one sync per contact.
        Partner = Partner.with_context(_partners_skip_fields_sync=True)
        partners = Partner.create([partner_values for _c, partner_values, _m, _e, _p in rows])
        children = [
            dict(
                partner._xero_child_synced_values(),
                parent_id=partner.id,
                type="contact",
                name=main,
                email=email,
                company_id=partner.company_id.id,
            )
            for partner, (_c, _v, main, email, _p) in zip(partners, rows, strict=True)
            if main
        ]
        Partner.create(children)
        bodies, links = {}, []
        for partner, (contact, _v, _m, _e, problems) in zip(partners, rows, strict=True):
            links.append((contact.id, partner.id, "\n".join(problems) or None))
            body = bindings.env._('Imported from the Xero contact "%s".', contact.name)
            if problems:
                body += " " + bindings.env._("Not imported as in Xero: %s", "; ".join(problems))
            bodies[partner.id] = body
        self.link_imported(bindings, links)
        partners._message_log_batch(bodies)

    def link_imported(self, bindings, links):
        """Link each binding to the partner just made from it, its values as Xero has them now
        synced: one UPDATE for the batch (a write() per binding took a tenth of the import's
        time). write()'s checks have nothing to refuse: the partners are new, made
        in the binding's company (or shared), and the unique index still refuses a partner
        linked twice. The ORM is told what changed (cache, stored `state`).

        links: [(binding id, partner id, import notes or None)]
        """
        if not links:
            return
        env = bindings.env
        fnames = ["partner_id", "synced_values", "import_notes"]
        bindings = bindings.browse([binding_id for binding_id, _p, _n in links])
        bindings.flush_recordset()
        env.execute_query(
            SQL(
                """
                UPDATE xero_contact AS c
                   SET partner_id = v.partner_id, synced_values = c.remote_values, import_notes = v.notes,
                       write_uid = %s, write_date = %s
                  FROM (VALUES %s) AS v(id, partner_id, notes)
                 WHERE c.id = v.id
                """,
                env.uid,
                env.cr.now(),
                SQL(", ").join(SQL("(%s, %s, %s::text)", *link) for link in links),
            )
        )
        bindings.invalidate_recordset([*fnames, "write_uid", "write_date"])
        env["res.partner"].invalidate_model(["xero_contact_ids"])
        bindings.modified(fnames)


# The job kinds this module runs: kind -> (synchronizer class, name of its step method).
JOBS = {
    "contacts_fetch": (ContactReader, "fetch_step"),
    "contacts_import": (ContactReader, "import_step"),
}
# The outbox kinds whose answers this module records: kind -> synchronizer class.
WRITERS = {}
