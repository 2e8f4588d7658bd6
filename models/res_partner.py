from odoo import api, fields, models, tools
from odoo.exceptions import UserError

from ..synchronizers.ledger_reader import LedgerReader
from ..xero_connector import phones
from ..xero_connector.names import split_person_name
from ..xero_connector.places import country_code, region_key
from .access import XERO_USER, xero_check_access

# Who may see the Xero sales ledger: users with accounting rights, Xero Users.
LEDGER_GROUPS = f"account.group_account_readonly,account.group_account_invoice,{XERO_USER}"


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Xero data on partners is for Xero users only.
    xero_contact_ids = fields.One2many("xero.contact", "partner_id", string="Xero contacts", groups=XERO_USER)
    # Stored, so that a partner's own write knows from its row (already read) whether Xero is
    # concerned, without a query: the addon's cost on partners Xero does not know stays nil.
    xero_linked = fields.Boolean(compute="_compute_xero_linked", store=True, groups="base.group_user")
    xero_do_not_sync = fields.Boolean(
        string="Do not sync to Xero",
        groups=XERO_USER,
        help="Keeps this partner out of every push of customers and suppliers to Xero.",
    )
    xero_push_error = fields.Text(
        readonly=True, groups=XERO_USER, help="Why Xero refused this partner at the last push."
    )
    xero_name = fields.Char(
        string="Name in Xero",
        compute="_compute_xero_name",
        groups=XERO_USER,
        help="Xero's name for this partner's contact.",
    )
    xero_difference_ids = fields.One2many(
        "xero.difference",
        "partner_id",
        string="Differences with Xero",
        groups=XERO_USER,
        domain=lambda self: [("company_id", "in", self.env.companies.ids)],
    )
    xero_has_differences = fields.Boolean(
        compute="_compute_xero_has_differences",
        search="_search_xero_has_differences",
        string="Differs from Xero",
        groups=XERO_USER,
    )
    xero_sync_error = fields.Text(compute="_compute_xero_has_differences", groups=XERO_USER)

    # Partner fields whose change can make a difference with Xero.
    _XERO_MAPPED_FIELDS = frozenset(
        {
            "name",
            "email",
            "phone",
            "street",
            "street2",
            "city",
            "zip",
            "state_id",
            "country_id",
            "vat",
            "parent_id",
            "type",
            "active",
            "is_company",
        }
    )

    @api.depends("xero_contact_ids")
    def _compute_xero_linked(self):
        for partner in self:
            partner.xero_linked = bool(partner.sudo().xero_contact_ids)

    @api.depends("xero_contact_ids.name", "xero_contact_ids.company_id")
    @api.depends_context("company")
    def _compute_xero_name(self):
        for partner in self:
            contact = partner.xero_contact_ids.filtered(lambda c: c.company_id == self.env.company)[:1]
            partner.xero_name = contact.name or False

    @api.depends("xero_difference_ids", "xero_contact_ids.sync_error")
    def _compute_xero_has_differences(self):
        for partner in self:
            partner.xero_has_differences = bool(partner.xero_difference_ids)
            partner.xero_sync_error = "\n".join(filter(None, partner.xero_contact_ids.mapped("sync_error"))) or False

    def _search_xero_has_differences(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            return NotImplemented
        positive = (operator == "=") == value
        return [("xero_difference_ids", "!=" if positive else "=", False)]

    def _xero_importing(self):
        # The import creating these partners links them itself. Only the addon's own
        # code (a sudo environment, which RPC never gives) can say so.
        return self.env.su and self.env.context.get("xero_importing")

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        if self._xero_importing():
            return partners
        # A new main contact of a synced company may change its first name / surname.
        partners.parent_id._xero_refresh_differences()
        partners.filtered(lambda p: not p.parent_id and (p.customer_rank or p.supplier_rank))._xero_gather_push()
        return partners

    def write(self, vals):
        result = super().write(vals)
        if self._xero_importing():
            return result
        if self._XERO_MAPPED_FIELDS.union({"customer_rank", "supplier_rank"}).intersection(vals):
            partners = self | self.parent_id
            linked, master = partners._xero_write_concerns()
            if linked:
                partners._xero_refresh_differences()
            if master:
                partners._xero_gather_push()
        return result

    def _xero_write_concerns(self):
        """(any of these partners linked to a Xero contact, any organisation where Odoo is the
        master): read from the partners' rows and a cached answer, so that a write of partners
        Xero does not know costs Odoo no query."""
        linked = any(self.sudo().mapped("xero_linked"))
        return linked, self._xero_master_somewhere()

    @api.model
    @tools.ormcache()
    def _xero_master_somewhere(self):
        """Whether any organisation pushes with Odoo as the master (cleared when a connection changes)."""
        self.env["xero.connection"].flush_model(["push_started", "odoo_is_master", "state", "enabled"])
        self.env.cr.execute(
            "SELECT EXISTS(SELECT 1 FROM xero_connection"
            " WHERE push_started AND odoo_is_master AND state = 'connected' AND enabled)"
        )
        return self.env.cr.fetchone()[0]

    def _xero_refresh_differences(self):
        """Compare again with Xero, locally: edits never call Xero from here."""
        if not self:
            return
        bindings = self.env["xero.contact"].sudo().search([("partner_id", "in", self.ids)])
        bindings._refresh_differences()

    def _xero_gather_push(self):
        """Odoo is the master: queue the organisation's push (one job gathers every change)."""
        partners = self.filtered(lambda p: not p.parent_id and not p.xero_do_not_sync)
        if not partners:
            return
        connections = (
            self.env["xero.connection"]
            .sudo()
            .search(
                [
                    ("push_started", "=", True),
                    ("odoo_is_master", "=", True),
                    ("state", "=", "connected"),
                    ("enabled", "=", True),
                ]
            )
        )
        for connection in connections:
            if any(p.company_id in (connection.company_id, self.env["res.company"]) for p in partners):
                connection._enqueue_contacts_push()

    def action_xero_push_all(self):
        self.ensure_one()
        xero_check_access(self, XERO_USER)
        return self.xero_difference_ids.filtered("can_push").action_push()

    def action_xero_pull_all(self):
        self.ensure_one()
        xero_check_access(self, XERO_USER)
        return self.xero_difference_ids.filtered("can_pull").action_pull()

    def action_xero_ignore_all(self):
        self.ensure_one()
        xero_check_access(self, XERO_USER)
        return self.xero_difference_ids.action_ignore()

    def _xero_write_values(self, values):
        """Write mapped values (fieldmap keys) from Xero into this partner."""
        self.ensure_one()
        vals = {}
        for key in ("name", "email", "phone", "street", "street2", "city", "zip", "vat"):
            if key in values:
                vals[key] = values[key] or False
        if "country" in values:
            country = self._xero_find_country(values["country"])
            if values["country"] and not country:
                raise UserError(self.env._('Country "%s" is unknown to Odoo.', values["country"]))
            vals["country_id"] = country.id
        if "state" in values:
            country = self.env["res.country"].browse(vals.get("country_id", self.country_id.id))
            state = self._xero_find_state(country, values["state"])
            if values["state"] and not state:
                raise UserError(self.env._('Region "%s" is unknown to Odoo.', values["state"]))
            vals["state_id"] = state.id
        if "first_name" in values or "last_name" in values:
            local = self._xero_local_values(values.get("last_name"))
            full = " ".join(
                filter(
                    None, (values.get("first_name", local["first_name"]), values.get("last_name", local["last_name"]))
                )
            )
            main = self if not self.is_company and not self.child_ids else self._xero_main_contact()
            if main == self:
                vals["name"] = full or self.name
            elif main:
                main.name = full
            elif full:
                self.create({"parent_id": self.id, "type": "contact", "name": full})
        if vals:
            self.write(vals)

    def _xero_main_contact(self):
        """The one person that syncs with the Xero contact's first name / surname."""
        self.ensure_one()
        people = self.child_ids.filtered(lambda c: c.type == "contact" and c.name and c.active)
        return people.sorted(lambda c: (c.sequence if "sequence" in c._fields else 0, c.id))[:1]

    def _xero_local_values(self, known_last_name=None):
        """This partner's mapped values, with the keys of `fieldmap`."""
        self.ensure_one()
        # An individual is its own main contact.
        main = self if not self.is_company and not self.child_ids else self._xero_main_contact()
        first, last = split_person_name(main.name, known_last_name) if main else (None, None)
        return {
            "name": self.name,
            "first_name": first,
            "last_name": last,
            "email": self.email,
            "phone": self._xero_phone(),
            "street": self.street,
            "street2": self.street2,
            "city": self.city,
            "state": self.state_id.name or None,
            "zip": self.zip,
            # Xero keeps one text for everyone: the English name, whatever the user's language.
            "country": self.country_id.with_context(lang="en_US").name or None,
            "vat": self.vat,
        }

    def _xero_phone(self):
        """The phone in E.164 as Odoo's phone_validation formats it (the partner's country), else as typed."""
        self.ensure_one()
        if not self.phone:
            return None
        country = self.country_id or self.env.company.country_id
        formatted = self._phone_format(number=self.phone, country=country, force_format="E164")
        # An unassigned or odd number is not "valid" for Odoo: compared leniently by the engine.
        return formatted or phones.e164(self.phone, country.code) or self.phone

    @api.model
    def _xero_partner_values(self, values, places=None):
        """Create/write values of a company partner from mapped Xero values.

        Returns (values, problems): a country or region Odoo does not know is
        left out and said in plain words, the rest is kept. `places` memoises
        the country and region lookups across a batch.
        """
        places = {} if places is None else places
        problems = []
        key = ("country", values.get("country"))
        if key not in places:
            places[key] = self._xero_find_country(values.get("country"))
        country = places[key]
        if values.get("country") and not country:
            problems.append(self.env._('Country "%s" is unknown to Odoo: left empty.', values["country"]))
        key = ("state", country.id, values.get("state"))
        if key not in places:
            places[key] = self._xero_find_state(country, values.get("state"), places)
        state = places[key]
        if values.get("state") and not state:
            problems.append(self.env._('Region "%s" is unknown to Odoo: left empty.', values["state"]))
        result = {
            "name": values.get("name")
            or " ".join(filter(None, (values.get("first_name"), values.get("last_name"))))
            or self.env._("Unnamed Xero contact"),
            "is_company": True,
            "email": values.get("email") or False,
            "phone": values.get("phone") or False,
            "street": values.get("street") or False,
            "street2": values.get("street2") or False,
            "city": values.get("city") or False,
            "zip": values.get("zip") or False,
            "country_id": country.id or False,
            "state_id": state.id or False,
            "vat": values.get("vat") or False,
        }
        return result, problems

    def _xero_child_synced_values(self):
        """What Odoo writes on a new contact person of this company after creating it: the
        commercial fields that are set (tax number...) and the address (res.partner._fields_sync),
        and the company's language (res.partner.create, _compute_lang)."""
        self.ensure_one()
        values = {**self._get_commercial_values(), **self._get_address_values()}
        if self.lang:
            values["lang"] = self.lang
        return values

    @api.model
    def _xero_find_state(self, country, text, places=None):
        """The region of `country` Xero names `text`: by code, or by name whatever its prefix ("Co. Cork").
        `places` memoises each country's regions across a batch."""
        States = self.env["res.country.state"]
        if not (country and text and text.strip()):
            return States
        places = {} if places is None else places
        key = ("states", country.id)
        if key not in places:
            places[key] = States.search([("country_id", "=", country.id)])
        states = places[key]
        wanted = text.strip().casefold()
        by_code = states.filtered(lambda s: (s.code or "").casefold() == wanted)
        if by_code:
            return by_code[:1]
        key = region_key(text)
        return states.filtered(lambda s: region_key(s.name) == key)[:1]

    @api.model
    def _xero_find_country(self, text):
        """The country Xero names `text`: by ISO code, English name or common alias ("Aotearoa", "UK")."""
        Country = self.env["res.country"].with_context(lang="en_US")
        if not (text and text.strip()):
            return Country
        code = country_code(text)
        country = Country.search([("code", "=", code)], limit=1) if code else Country
        # A country Odoo names otherwise than ISO 3166 (its English name, as Odoo spells it).
        return country or Country.search([("name", "=ilike", text.strip())], limit=1)

    # -- Xero sales ledger -----------------------------------------------------------

    xero_ledger_linked = fields.Boolean(compute="_compute_xero_ledger", groups=LEDGER_GROUPS)
    xero_ledger_entry_ids = fields.Many2many(
        "xero.ledger.entry",
        compute="_compute_xero_ledger",
        string="Xero sales ledger",
        groups=LEDGER_GROUPS,
    )
    xero_ledger_outstanding = fields.Char(
        compute="_compute_xero_ledger",
        string="Outstanding in Xero",
        groups=LEDGER_GROUPS,
    )
    xero_ledger_overdue = fields.Char(
        compute="_compute_xero_ledger",
        string="Overdue in Xero",
        groups=LEDGER_GROUPS,
    )
    xero_ledger_refreshed_at = fields.Datetime(
        compute="_compute_xero_ledger",
        string="Read from Xero",
        groups=LEDGER_GROUPS,
    )
    xero_ledger_error = fields.Text(compute="_compute_xero_ledger", groups=LEDGER_GROUPS)
    xero_ledger_contact_url = fields.Char(
        compute="_compute_xero_ledger",
        string="Contact in Xero",
        groups=LEDGER_GROUPS,
    )

    def _xero_ledger_binding(self):
        """The Xero contact of this partner in the current company's organisation (sudo)."""
        self.ensure_one()
        if not self.id:
            return self.env["xero.contact"]
        return (
            self.env["xero.contact"]
            .sudo()
            .search([("partner_id", "=", self.id), ("company_id", "=", self.env.company.id)], limit=1)
        )

    def _compute_xero_ledger(self):
        Entry = self.env["xero.ledger.entry"]
        for partner in self:
            binding = partner._xero_ledger_binding()
            connection = binding.connection_id
            entries = Entry
            if binding:
                entries = Entry.search(
                    [("connection_id", "=", connection.id), ("contact_xero_id", "=", binding.xero_id)]
                )
            partner.xero_ledger_linked = bool(binding)
            partner.xero_ledger_entry_ids = entries
            partner.xero_ledger_outstanding = entries._totals_text()
            partner.xero_ledger_overdue = entries._totals_text(overdue=True)
            partner.xero_ledger_refreshed_at = max(
                filter(None, [binding.ledger_refreshed_at, connection.ledger_read_at]), default=False
            )
            partner.xero_ledger_error = binding.ledger_error or partner._xero_ledger_job_error(connection)
            partner.xero_ledger_contact_url = binding.xero_contact_url

    def _xero_ledger_job_error(self, connection):
        """Why the last background read of the ledger failed, while it is not redone."""
        if not connection:
            return False
        job = (
            self.env["xero.job"]
            .sudo()
            .search([("connection_id", "=", connection.id), ("kind", "=", "ledger_fetch")], limit=1)
        )
        if job.error and job.state != "done":
            return self.env._("The last background read from Xero failed: %s", job.error)
        return False

    def action_xero_refresh_ledger(self):
        """Read this partner's sales ledger from Xero now (a call or two)."""
        self.ensure_one()
        xero_check_access(self, XERO_USER)
        binding = self._xero_ledger_binding()
        if not binding:
            raise UserError(self.env._("%s is not linked to a Xero contact of this company.", self.display_name))
        LedgerReader(binding.connection_id).refresh_contact(binding)
        return True
