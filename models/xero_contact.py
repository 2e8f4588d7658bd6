from odoo import api, fields, models
from odoo.exceptions import UserError

from ..synchronizers.contact_reader import ContactReader
from ..xero_connector import fieldmap
from ..xero_connector.matching import PartnerIndex
from ..xero_connector.messages import Message
from ..xero_connector.places import country_code
from .access import XERO_MANAGER, XERO_USER, xero_check_access
from .xero_i18n import translate
from .xero_ledger_entry import XERO_APP_URL

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
    pushed_name = fields.Char(readonly=True, help="The name Odoo gave this contact in Xero to keep names unique.")
    # The contact's sales ledger, and how its last refresh went.
    ledger_entry_ids = fields.One2many("xero.ledger.entry", "contact_id", string="Sales ledger")
    ledger_refreshed_at = fields.Datetime(string="Ledger refreshed", readonly=True)
    ledger_error = fields.Text(readonly=True, help="Why the last refresh of the ledger failed, in plain words.")
    xero_contact_url = fields.Char(string="Contact in Xero", compute="_compute_xero_contact_url")

    _xero_id_uniq = models.UniqueIndex("(connection_id, xero_id)", "A Xero contact is recorded once.")
    _partner_uniq = models.UniqueIndex(
        "(connection_id, partner_id) WHERE partner_id IS NOT NULL",
        "An Odoo partner is linked to one Xero contact per organisation.",
    )

    @api.depends("first_name", "last_name")
    def _compute_main_contact(self):
        for contact in self:
            contact.main_contact = " ".join(filter(None, [contact.first_name, contact.last_name]))

    @api.depends("connection_id.short_code", "xero_id")
    def _compute_xero_contact_url(self):
        for contact in self:
            code = contact.connection_id.short_code
            contact.xero_contact_url = f"{XERO_APP_URL}/{code}/contacts/contact/{contact.xero_id}" if code else False

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
        for connection in todo.connection_id:
            ContactReader(connection).import_partners(todo.filtered(lambda c, conn=connection: c.connection_id == conn))
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
        values = self.partner_id._xero_local_values((self.remote_values or {}).get("last_name"))
        # A name made unique at creation ("Acme (Napier)") is this partner's name in Xero.
        if self.pushed_name and values.get("name") and self.pushed_name.startswith(values["name"] + " ("):
            values["name"] = self.pushed_name
        return values

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

    def _changes_message(self, title, keys, old, new):
        rows = "; ".join(
            f"{translate(self.env, Message(fieldmap.label(k)))}: {old.get(k) or self.env._('(empty)')} → "
            f"{new.get(k) or self.env._('(empty)')}"
            for k in keys
        )
        return f"{title}: {rows}"
