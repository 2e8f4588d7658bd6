from odoo import api, fields, models

from ..xero_connector.names import split_person_name


class ResPartner(models.Model):
    _inherit = "res.partner"

    xero_contact_ids = fields.One2many("xero.contact", "partner_id", string="Xero contacts")

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
            "phone": self.phone,
            "street": self.street,
            "street2": self.street2,
            "city": self.city,
            "state": self.state_id.name or None,
            "zip": self.zip,
            "country": self.country_id.name or None,
            "vat": self.vat,
        }

    @api.model
    def _xero_partner_values(self, values):
        """Create/write values of a company partner from mapped Xero values.

        Returns (values, problems): a country or region Odoo does not know is
        left out and said in plain words, the rest is kept.
        """
        problems = []
        country = self._xero_find_country(values.get("country"))
        if values.get("country") and not country:
            problems.append(self.env._('Country "%s" is unknown to Odoo: left empty.', values["country"]))
        state = self.env["res.country.state"]
        if values.get("state"):
            if country:
                state = state.search(
                    [
                        ("country_id", "=", country.id),
                        "|",
                        ("code", "=ilike", values["state"]),
                        ("name", "=ilike", values["state"]),
                    ],
                    limit=1,
                )
            if not state:
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

    @api.model
    def _xero_find_country(self, text):
        if not text:
            return self.env["res.country"]
        Country = self.env["res.country"].with_context(lang="en_US")
        return Country.search([("code", "=ilike", text.strip())], limit=1) or Country.search(
            [("name", "=ilike", text.strip())], limit=1
        )
