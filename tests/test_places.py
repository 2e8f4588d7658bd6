from odoo.tests import tagged

from .common import XeroCase
from .test_differences import DifferencesMixin


def pobox(country, region="", city="Somewhere"):
    return [
        {"AddressType": "POBOX", "AddressLine1": "1 Main Street", "City": city, "Region": region, "Country": country}
    ]


@tagged("post_install", "-at_install")
class TestPlaces(DifferencesMixin, XeroCase):
    """Countries and regions travel as Xero users type them, whatever the Odoo user's language."""

    def test_country_goes_to_xero_in_english_from_a_french_user(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["base"], ["fr_FR"])
        australia = self.env.ref("base.au")
        self.assertEqual(australia.with_context(lang="fr_FR").name, "Australie", "Odoo's French translation")
        binding, partner = self.import_bayside()
        french = partner.with_context(lang="fr_FR")
        french.country_id = australia
        line = self.line(french, "country")
        self.assertEqual((line.kind, line.local_value), ("push", "Australia"))
        line.with_context(lang="fr_FR").action_push()
        address = next(a for a in self.xero(binding)["Addresses"] if a["AddressType"] == "POBOX")
        self.assertEqual(address["Country"], "Australia")
        self.assertFalse(partner.xero_difference_ids)

    def test_alias_countries_and_prefixed_regions_are_recognised_on_import(self):
        self.fetch()
        cases = {
            "Boom FM": (pobox("Aotearoa", "Auckland"), "base.nz", "Auckland"),
            "Basket Case": (pobox("UK", "Greater London"), "base.uk", "London"),
            "City Agency": (pobox("Ireland", "Co. Cork"), "base.ie", "Cork"),
            "Marine Systems": (pobox("USA", "CA"), "base.us", "California"),
        }
        for name, (addresses, _country, _state) in cases.items():
            self.sandbox.update_contact(self.binding(name).xero_id, Addresses=addresses)
        self.fetch()
        for name, (_addresses, country, state) in cases.items():
            binding = self.binding(name)
            binding.action_import()
            partner = binding.partner_id
            self.assertEqual(partner.country_id, self.env.ref(country), name)
            self.assertEqual(partner.state_id.name, state, name)
            self.assertFalse(binding.import_notes, name)
            self.assertFalse(partner.xero_difference_ids, f"{name}: another spelling is no difference")

    def test_pulled_alias_country_is_found(self):
        binding, partner = self.import_bayside()
        self.sandbox.update_contact(binding.xero_id, Addresses=pobox("Éire", "County Dublin"))
        self.fetch()
        self.line(partner, "country").action_pull()
        self.line(partner, "state").action_pull()
        self.assertEqual((partner.country_id.code, partner.state_id.name), ("IE", "Dublin"))
