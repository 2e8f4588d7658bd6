import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..xero_connector import fieldmap, matching, outbox, reading
from ..xero_connector.errors import XeroError
from ..xero_connector.gateway import parse_xero_datetime
from ..xero_connector.matching import PartnerIndex
from ..xero_connector.messages import Message
from ..xero_connector.places import country_code
from .access import XERO_MANAGER, XERO_USER, xero_check_access
from .xero_i18n import translate

# Contacts a call reads (Xero's largest page).
FETCH_PAGE_SIZE = 1000

_logger = logging.getLogger(__name__)

# Bulk actions on more rows than this run as a background job.
INLINE_LIMIT = 200
IMPORT_BATCH = 100


class XeroContact(models.Model):
    """A Xero contact of one organisation, and its link to an Odoo partner.

    One record per Xero contact and connection (the binding). It keeps the
    contact's mapped values as Xero last sent them, the partner it is linked
    to, and the values last synced both ways, which the difference
    detection compares against.
    """

    _name = "xero.contact"
    _description = "Xero contact"
    _inherit = ["mail.thread"]
    _order = "name, id"
    _check_company_auto = True

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True)
    xero_id = fields.Char(string="Xero contact id", required=True, readonly=True)
    name = fields.Char(string="Xero name", readonly=True)
    first_name = fields.Char(readonly=True)
    last_name = fields.Char(string="Surname", readonly=True)
    main_contact = fields.Char(compute="_compute_main_contact", string="Main contact")
    email = fields.Char(readonly=True)
    phone = fields.Char(readonly=True)
    tax_number = fields.Char(readonly=True)
    city = fields.Char(readonly=True)
    country = fields.Char(readonly=True)
    xero_status = fields.Selection(
        [("ACTIVE", "Active"), ("ARCHIVED", "Archived"), ("GDPRREQUEST", "Erased (GDPR)")],
        string="Xero status",
        readonly=True,
    )
    merged_to_id = fields.Many2one("xero.contact", string="Merged into", readonly=True, index="btree_not_null")
    xero_updated_at = fields.Datetime(string="Changed in Xero", readonly=True)
    xero_data = fields.Json(readonly=True, help="The contact as Xero last sent it.")
    # Normalised keys, so a push finds matches and taken names with an index.
    match_name = fields.Char(index=True, readonly=True)
    match_vat = fields.Char(index="btree_not_null", readonly=True)
    match_email = fields.Char(index="btree_not_null", readonly=True)
    remote_values = fields.Json(readonly=True, help="The mapped values as Xero has them.")
    synced_values = fields.Json(readonly=True, help="The mapped values at the last import, link, push or pull.")

    partner_id = fields.Many2one(
        "res.partner", string="Odoo partner", index="btree_not_null", ondelete="set null", check_company=True
    )
    ignored = fields.Boolean(tracking=True)
    state = fields.Selection(
        [("to_review", "To review"), ("synced", "Synced"), ("ignored", "Ignored")],
        compute="_compute_state",
        store=True,
        index=True,
    )
    suggested_partner_id = fields.Many2one("res.partner", string="Suggested partner", readonly=True, check_company=True)
    suggestion_reason = fields.Char(readonly=True)
    import_notes = fields.Text(readonly=True, help="What could not be imported as Xero has it.")
    difference_ids = fields.One2many("xero.difference", "contact_id", string="Differences")
    ignored_signatures = fields.Json(readonly=True, help="Differences the user chose to ignore, until a value changes.")
    sync_error = fields.Text(readonly=True, help="Xero's words on the last refused push.")

    _xero_id_uniq = models.UniqueIndex("(connection_id, xero_id)", "A Xero contact is recorded once.")
    _partner_uniq = models.UniqueIndex(
        "(connection_id, partner_id) WHERE partner_id IS NOT NULL",
        "An Odoo partner is linked to one Xero contact per organisation.",
    )

    @api.depends("first_name", "last_name")
    def _compute_main_contact(self):
        for contact in self:
            contact.main_contact = " ".join(filter(None, [contact.first_name, contact.last_name]))

    @api.depends("partner_id", "ignored")
    def _compute_state(self):
        for contact in self:
            if contact.partner_id:
                contact.state = "synced"
            elif contact.ignored:
                contact.state = "ignored"
            else:
                contact.state = "to_review"

    # -- fetching from Xero ---------------------------------------------------

    def _xero_job_contacts_fetch(self, job):
        """Read one page of new and changed Xero contacts into bindings: each page is
        a committed step, so a first read of any size holds one page in memory and a
        stopped worker resumes at its page (the cursor is in the job's payload)."""
        connection = job.connection_id
        cursor = (job.payload or {}).get("cursor") or reading.start(connection.contacts_fetched_at)
        cursor, finished, read, left = self._fetch_page(connection, cursor)
        job.progress_done += read
        job.progress_total = job.progress_done + (left or 0)
        job.payload = dict(job.payload or {}, cursor=None if finished else cursor)
        return finished

    @api.model
    def _fetch_changes(self, connection):
        """Read every contact changed since the last read, now (one call when nothing changed)."""
        cursor, finished = reading.start(connection.contacts_fetched_at), False
        while not finished:
            cursor, finished, _read, _left = self._fetch_page(connection, cursor)

    @api.model
    def _fetch_page(self, connection, cursor):
        """One page of the read at `cursor`; (next cursor, finished, contacts stored, contacts left)."""
        asked = reading.request(cursor, FETCH_PAGE_SIZE)
        contacts, left = connection._gateway().read_page("contacts", asked[0], cursor["since"], page_size=asked[1])
        contacts, cursor, finished = reading.advance(cursor, contacts, asked, lambda c: c["ContactID"], left)
        # Xero's second of the last change is read again: contacts known exactly as
        # Xero sends them are skipped.
        known = {
            b.xero_id: b.xero_data
            for b in self.search(
                [("connection_id", "=", connection.id), ("xero_id", "in", [c["ContactID"] for c in contacts])]
            )
        }
        contacts = [c for c in contacts if known.get(c["ContactID"]) != c]
        self._store_fetched(connection, contacts)
        values = {"last_sync_at": fields.Datetime.now()}
        if finished and cursor["latest"]:
            # Only a read to its end moves the watermark: a stopped one starts again from its cursor.
            values["contacts_fetched_at"] = parse_xero_datetime(cursor["latest"]).replace(tzinfo=None)
        connection.sudo().write(values)
        return cursor, finished, len(contacts), left

    @api.model
    def _store_fetched(self, connection, contacts):
        existing = {
            c.xero_id: c
            for c in self.search(
                [("connection_id", "=", connection.id), ("xero_id", "in", [x["ContactID"] for x in contacts])]
            )
        }
        to_create = []
        for data in contacts:
            values = self._values_from_xero(data)
            binding = existing.get(data["ContactID"])
            if binding:
                binding.write(values)
            else:
                to_create.append(dict(values, connection_id=connection.id, xero_id=data["ContactID"]))
        # Read, not made by anyone: no creation message nor follower on each binding (a
        # first read creates thousands; its job says when the organisation was read).
        created = self.with_context(tracking_disable=True).create(to_create).with_env(self.env)
        touched = created | self.browse([b.id for b in existing.values()])
        touched._follow_merges(contacts)
        touched.filtered(lambda c: c.state == "to_review")._compute_suggestions()
        synced = touched.filtered("partner_id")
        synced._refresh_differences()
        if connection.odoo_is_master:
            synced._overwrite_xero_changes()
        return touched

    @api.model
    def _values_from_xero(self, data):
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

    def _follow_merges(self, contacts):
        """A contact merged in Xero hands its link to the surviving contact."""
        merged = {c["ContactID"]: c["MergedToContactID"] for c in contacts if c.get("MergedToContactID")}
        if not merged:
            return
        survivors = {
            s.xero_id: s
            for s in self.search(
                [("connection_id", "in", self.connection_id.ids), ("xero_id", "in", list(merged.values()))]
            )
        }
        for binding in self.filtered(lambda b: b.xero_id in merged):
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

    @api.model
    def _cron_fetch(self):
        """Incremental pull of every connected organisation's contacts."""
        for connection in (
            self.env["xero.connection"].sudo().search([("state", "=", "connected"), ("enabled", "=", True)])
        ):
            connection._enqueue_contacts_fetch()

    # -- suggestions ------------------------------------------------------------

    def _compute_suggestions(self):
        for company in self.company_id:
            contacts = self.filtered(lambda c, company=company: c.company_id == company)
            linked = set(self.search([("company_id", "=", company.id), ("partner_id", "!=", False)]).partner_id.ids)
            partners = self.env["res.partner"].search_read(
                [("company_id", "in", [company.id, False]), ("parent_id", "=", False)],
                ["name", "email", "vat", "country_code"],
                order="is_company desc, id",
            )
            index = PartnerIndex(
                (p["id"], p["name"], p["email"], p["vat"], p["country_code"]) for p in partners if p["id"] not in linked
            )
            # One write per suggestion that changed (none for new contacts nothing matches).
            changed = {}
            for contact in contacts:
                found = index.matches(
                    name=contact.name,
                    email=contact.email,
                    vat=contact.tax_number,
                    country=country_code(contact.country),
                )
                wanted = found[0] if found else (False, False)
                if (contact.suggested_partner_id.id, contact.suggestion_reason or False) != wanted:
                    changed.setdefault(wanted, []).append(contact.id)
            for (partner_id, reason), ids in changed.items():
                self.browse(ids).write({"suggested_partner_id": partner_id, "suggestion_reason": reason})

    def _ranked_suggestions(self):
        """Every partner that could be this contact, best first."""
        self.ensure_one()
        partners = self.env["res.partner"].search(
            [("company_id", "in", [self.company_id.id, False]), ("parent_id", "=", False)]
        )
        index = PartnerIndex((p.id, p.name, p.email, p.vat, p.country_code) for p in partners)
        return index.matches(name=self.name, email=self.email, vat=self.tax_number, country=country_code(self.country))

    # -- user actions -------------------------------------------------------------

    def _check_reviewable(self):
        merged = self.filtered("merged_to_id")
        if merged:
            raise UserError(
                self.env._(
                    '"%(name)s" was merged into "%(into)s" in Xero: use that contact instead.',
                    name=merged[0].name,
                    into=merged[0].merged_to_id.name,
                )
            )

    def action_import(self):
        """Create the Odoo partners of the selected Xero contacts."""
        xero_check_access(self, XERO_USER)
        todo = self.filtered(lambda c: c.state != "synced")
        todo._check_reviewable()
        if len(todo) > INLINE_LIMIT:
            return todo._enqueue_import()
        todo._import_partners()
        return self._notify(self.env._("%s contact(s) imported from Xero.", len(todo)))

    def action_import_all(self):
        """Import every contact still to review (in the background)."""
        connection = self._sync_page_connection()
        todo = self.search(
            [
                ("connection_id", "=", connection.id),
                ("state", "=", "to_review"),
                ("merged_to_id", "=", False),
                ("xero_status", "=", "ACTIVE"),
            ]
        )
        if not todo:
            return self._notify(self.env._("Nothing left to review."))
        return todo._enqueue_import()

    def _enqueue_import(self):
        connection = self.connection_id[:1]
        job = self.env["xero.job"]._enqueue(
            connection,
            "contacts_import",
            self.env._("Import %s Xero contacts", len(self)),
            records=self,
            batch_size=IMPORT_BATCH,
        )
        return self._notify(
            self.env._(
                "%(count)s contacts will be imported in the background (job %(job)s).", count=len(self), job=job.id
            )
        )

    def _xero_job_contacts_import(self, job):
        # A contact imported by an earlier, interrupted run is synced: skipped.
        job._next_batch().filtered(lambda c: c.state != "synced" and not c.merged_to_id)._import_partners()
        return job._batch_done()

    def _import_partners(self):
        """Create the partners of these contacts in batches: the companies, then their main
        contacts, the links, and one chatter line each (as Odoo's own batched create would)."""
        # Checked by the caller (a Xero User, or a job): the partners made here are linked below,
        # so the partner hooks that compare with Xero have nothing to do for them. No creation
        # message nor tracking, as Odoo's own import of a file by default (tracking_disable):
        # the chatter line below says where each partner comes from.
        Partner = self.env["res.partner"].sudo().with_context(xero_importing=True, tracking_disable=True)
        places = {}  # country / region lookups, once per batch
        rows = []
        for contact in self:
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
            body = self.env._('Imported from the Xero contact "%s".', contact.name)
            if problems:
                body += " " + self.env._("Not imported as in Xero: %s", "; ".join(problems))
            bodies[partner.id] = body
        self._link_imported(links)
        partners._message_log_batch(bodies)

    def _link_imported(self, links):
        """Link each binding to the partner just made from it, its values as Xero has them now
        synced: one UPDATE for the batch (a write() per binding took a tenth of the import's
        time). write()'s checks have nothing to refuse: the partners are new, made
        in the binding's company (or shared), and the unique index still refuses a partner
        linked twice. The ORM is told what changed (cache, stored `state`).

        links: [(binding id, partner id, import notes or None)]
        """
        if not links:
            return
        fnames = ["partner_id", "synced_values", "import_notes"]
        bindings = self.browse([binding_id for binding_id, _p, _n in links])
        bindings.flush_recordset()
        self.env.execute_query(
            SQL(
                """
                UPDATE xero_contact AS c
                   SET partner_id = v.partner_id, synced_values = c.remote_values, import_notes = v.notes,
                       write_uid = %s, write_date = %s
                  FROM (VALUES %s) AS v(id, partner_id, notes)
                 WHERE c.id = v.id
                """,
                self.env.uid,
                self.env.cr.now(),
                SQL(", ").join(SQL("(%s, %s, %s::text)", *link) for link in links),
            )
        )
        bindings.invalidate_recordset([*fnames, "write_uid", "write_date"])
        self.env["res.partner"].invalidate_model(["xero_contact_ids"])
        bindings.modified(fnames)

    def action_open_link_wizard(self):
        self.ensure_one()
        xero_check_access(self, XERO_USER)
        self._check_reviewable()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Link to an Odoo partner"),
            "res_model": "xero.contact.link",
            "view_mode": "form",
            "target": "new",
            "context": {"default_contact_id": self.id},
        }

    def action_link_suggested(self):
        """Link each selected contact to its suggested partner."""
        xero_check_access(self, XERO_USER)
        todo = self.filtered(lambda c: c.state == "to_review" and c.suggested_partner_id)
        todo._check_reviewable()
        for contact in todo:
            contact._link(contact.suggested_partner_id)
        return self._notify(self.env._("%s contact(s) linked to their suggested partner.", len(todo)))

    def _link(self, partner):
        """Link without moving data; remember the values both sides agree on."""
        self.ensure_one()
        # The caller must see the partner, and it must be one this company may use.
        partner.check_access("read")
        if partner.company_id and partner.company_id != self.company_id:
            raise UserError(
                self.env._(
                    '"%(partner)s" belongs to %(company)s: it cannot be linked to a Xero contact of %(ours)s.',
                    partner=partner.display_name,
                    company=partner.company_id.name,
                    ours=self.company_id.name,
                )
            )
        if self.partner_id and self.partner_id != partner:
            raise UserError(
                self.env._(
                    'The Xero contact "%(contact)s" is already linked to "%(partner)s".',
                    contact=self.name,
                    partner=self.partner_id.display_name,
                )
            )
        other = self.search(
            [("connection_id", "=", self.connection_id.id), ("partner_id", "=", partner.id), ("id", "!=", self.id)],
            limit=1,
        )
        if other:
            raise UserError(
                self.env._(
                    '"%(partner)s" is already linked to the Xero contact "%(other)s"; it cannot also be linked to '
                    '"%(contact)s".',
                    partner=partner.display_name,
                    other=other.name,
                    contact=self.name,
                )
            )
        remote = self.remote_values or {}
        local = partner._xero_local_values(remote.get("last_name"))
        # Nothing was synced yet: only what already agrees counts as synced,
        # so every difference is offered both ways.
        synced = {key: remote.get(key) for key in fieldmap.KEYS if fieldmap.same(key, local.get(key), remote.get(key))}
        self.sudo().write({"partner_id": partner.id, "synced_values": synced, "ignored": False})
        self.sudo()._refresh_differences()
        partner.message_post(body=self.env._('Linked to the Xero contact "%s". No data was moved.', self.name))

    def action_unlink_partner(self):
        xero_check_access(self, XERO_USER)
        for contact in self.filtered("partner_id"):
            contact.partner_id.message_post(body=self.env._('Unlinked from the Xero contact "%s".', contact.name))
            contact.sudo().write({"partner_id": False, "synced_values": False})
            contact.sudo().difference_ids.unlink()
        self.sudo()._compute_suggestions()

    def action_ignore(self):
        xero_check_access(self, XERO_USER)
        self.filtered(lambda c: not c.partner_id).sudo().ignored = True

    def action_stop_ignoring(self):
        xero_check_access(self, XERO_USER)
        self.sudo().ignored = False
        self.sudo()._compute_suggestions()

    def action_open_partner(self):
        self.ensure_one()
        xero_check_access(self, XERO_USER)
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
        }

    def action_start_push(self):
        xero_check_access(self, XERO_MANAGER)
        return self._sync_page_connection().action_start_push()

    def action_fetch(self):
        xero_check_access(self, XERO_USER)
        self._sync_page_connection()._enqueue_contacts_fetch()
        return self._notify(self.env._("Reading the contacts from Xero in the background."))

    def _sync_page_connection(self):
        """The connection of the company the sync page shows, checked for the caller."""
        xero_check_access(self, XERO_USER)
        connection = self.env["xero.connection"]._for_company()
        if connection.sudo().state != "connected":
            raise UserError(self.env._("Connect the company to Xero first (Settings > Xero)."))
        return connection

    def _notify(self, message):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": message,
                "type": "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # -- differences with the partner ------------------------------------------------

    def _local_values(self):
        self.ensure_one()
        return self.partner_id._xero_local_values((self.remote_values or {}).get("last_name"))

    def _refresh_differences(self):
        """Bring the difference lines of these synced contacts up to date (no call to Xero).

        Lines are updated in place, so a line the user is looking at keeps
        its id while another one is settled.
        """
        wanted = {}
        for contact in self.filtered("partner_id"):
            ignored = set(contact.ignored_signatures or [])
            master = contact.connection_id.odoo_is_master
            diffs = fieldmap.compare(
                contact._local_values(), contact.remote_values or {}, contact.synced_values or None
            )
            for diff in diffs:
                signature = fieldmap.signature(diff)
                if signature in ignored:
                    continue
                wanted[contact.id, diff.key] = {
                    "contact_id": contact.id,
                    "key": diff.key,
                    "sequence": fieldmap.KEYS.index(diff.key),
                    "local_value": diff.local or "",
                    "remote_value": diff.remote or "",
                    "kind": diff.kind,
                    "can_push": diff.can_push,
                    # Odoo is the master: Xero's values are overwritten, never pulled.
                    "can_pull": diff.can_pull and not master,
                    "signature": signature,
                }
        stale = self.env["xero.difference"]
        for line in self.difference_ids:
            values = wanted.pop((line.contact_id.id, line.key), None)
            if values is None:
                stale |= line
            elif any(line[name] != value for name, value in values.items() if name != "contact_id"):
                line.write(values)
        stale.unlink()
        self.env["xero.difference"].create(list(wanted.values()))

    def _ignore_differences(self, differences):
        # Read everything first: refreshing rewrites the difference lines.
        contacts = differences.contact_id
        for contact in contacts:
            mine = differences.filtered(lambda d, contact=contact: d.contact_id == contact)
            contact.ignored_signatures = sorted(set(contact.ignored_signatures or []) | set(mine.mapped("signature")))
            contact.partner_id.message_post(
                body=self.env._("Difference with Xero ignored: %s.", ", ".join(mine.mapped("label")))
            )
        contacts._refresh_differences()

    def _pull_fields(self, differences):
        """Write Xero's values into the partners, for these difference lines."""
        # Read everything first: writing the partner rewrites the difference lines.
        todo = [
            (contact, differences.filtered(lambda d, c=contact: d.contact_id == c and d.can_pull).mapped("key"))
            for contact in differences.contact_id
        ]
        for contact, keys in todo:
            if not keys:
                continue
            remote = contact.remote_values or {}
            before = contact._local_values()
            contact.partner_id._xero_write_values({k: remote.get(k) for k in keys})
            contact.synced_values = dict(contact.synced_values or {}, **{k: remote.get(k) for k in keys})
            contact.sync_error = False
            contact.partner_id.message_post(
                body=self._changes_message(self.env._("Pulled from Xero"), keys, before, remote)
            )
        self.browse([contact.id for contact, _keys in todo])._refresh_differences()

    def _push_fields(self, differences):
        """Send Odoo's values to Xero, for these difference lines (one call per 50 contacts)."""
        work = []
        for contact in differences.contact_id:
            keys = differences.filtered(lambda d, contact=contact: d.contact_id == contact and d.can_push).mapped("key")
            if keys:
                work.append((contact, keys))
        try:
            refused = self._push_to_xero(work, self.env._("Pushed to Xero"))
        except XeroError as exc:
            # The request is undone, nothing recorded: Xero's words, and pushing again is safe
            # (an update lands the same however often it is sent).
            raise UserError(translate(self.env, exc.message)) from exc
        if refused:
            # Nothing changed on either side: say so where the user looks.
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {"message": "\n".join(refused), "type": "danger", "sticky": True},
            }
        return True

    def _overwrite_xero_changes(self):
        """Odoo is the master: put Odoo's values back where Xero changed them."""
        work = []
        for contact in self:
            keys = [d.key for d in contact.difference_ids if d.kind in ("pull", "conflict", "unsynced")]
            if keys:
                work.append((contact, keys))
        self._push_to_xero(work, self.env._("Xero's change overwritten (Odoo is the master)"))

    def _push_to_xero(self, work, title):
        """Push (contact, keys) pairs through the outbox, one batch of 50 contacts a request,
        sent within this request (updates: Xero applies them the same however often they
        are sent); return the refusals."""
        Outbox = self.env["xero.outbox"]
        for connection in {contact.connection_id for contact, _keys in work}:
            mine = [(contact, keys) for contact, keys in work if contact.connection_id == connection]
            size = outbox.batch_size("contact_save")
            for start in range(0, len(mine), size):
                chunk = mine[start : start + size]
                payloads = []
                for contact, keys in chunk:
                    local = contact._local_values()
                    payloads.append(
                        fieldmap.to_xero(
                            {k: local.get(k) for k in keys}, base=contact.xero_data or {"ContactID": contact.xero_id}
                        )
                    )
                infos = [
                    {"binding": contact.id, "keys": keys, "title": title, "report": "binding"}
                    for contact, keys in chunk
                ]
                partners = self.env["res.partner"].browse([contact.partner_id.id for contact, _keys in chunk])
                Outbox._plan(connection, "contact_save", partners, payloads, infos=infos, queue="request")._deliver()
        return [contact.sync_error for contact, _keys in work if contact.sync_error]

    def _changes_message(self, title, keys, old, new):
        rows = "; ".join(
            f"{translate(self.env, Message(fieldmap.label(k)))}: {old.get(k) or self.env._('(empty)')} → "
            f"{new.get(k) or self.env._('(empty)')}"
            for k in keys
        )
        return f"{title}: {rows}"
