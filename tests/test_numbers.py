import requests

from odoo.tests import tagged

from .common import XeroCase, run_queue
from .test_differences import DifferencesMixin

UK_ADDRESS = [{"AddressType": "POBOX", "AddressLine1": "1 Mill Lane", "City": "Leeds", "Country": "United Kingdom"}]


@tagged("post_install", "-at_install")
class TestNumbers(DifferencesMixin, XeroCase):
    """Phone and tax numbers compared as Odoo reads them: E.164 (phone_validation) and python-stdnum."""

    def default_phone(self, binding):
        return next(p for p in self.xero(binding)["Phones"] if p["PhoneType"] == "DEFAULT")

    def test_national_phone_is_no_difference_and_is_pushed_in_e164_parts(self):
        self.fetch()
        binding = self.binding("Bayside Club")
        phones = [{"PhoneType": "DEFAULT", "PhoneCountryCode": "64", "PhoneAreaCode": "9", "PhoneNumber": "1234567"}]
        self.sandbox.update_contact(binding.xero_id, Phones=phones)
        self.fetch()
        binding.action_import()
        partner = binding.partner_id
        self.assertEqual(partner.country_id.code, "NZ")
        partner.phone = "09 123 4567"
        self.assertFalse(partner.xero_difference_ids, "the same number written the New Zealand way")

        partner.phone = "09 379 4567"
        line = self.line(partner, "phone")
        self.assertEqual((line.kind, line.local_value), ("push", "+6493794567"))
        line.action_push()
        phone = self.default_phone(binding)
        self.assertEqual(
            (phone["PhoneCountryCode"], phone["PhoneAreaCode"], phone["PhoneNumber"]), ("64", "9", "3794567")
        )
        self.assertFalse(partner.xero_difference_ids)

    def test_vat_suggestion_in_stdnum_compact_form(self):
        self.fetch()
        binding = self.binding("Boom FM")
        self.sandbox.update_contact(binding.xero_id, TaxNumber="980 7806 84", Addresses=UK_ADDRESS)
        partner = self.env["res.partner"].create(
            {"name": "BFM Holdings", "is_company": True, "vat": "GB980780684", "country_id": self.env.ref("base.uk").id}
        )
        self.fetch()
        self.assertEqual(binding.suggested_partner_id, partner)
        self.assertEqual(binding.suggestion_reason, "same tax number")
        binding.action_link_suggested()
        self.assertFalse(self.line(partner, "vat"), "GB980780684 and 980 7806 84 are one tax number")

    def test_push_links_by_vat_in_stdnum_compact_form(self):
        self.env["res.partner"].search(self.connection._push_domain()).xero_do_not_sync = True
        self.fetch()
        binding = self.binding("Boom FM")
        self.sandbox.update_contact(binding.xero_id, TaxNumber="980 7806 84", Addresses=UK_ADDRESS)
        partner = self.env["res.partner"].create(
            {
                "name": "Boom Radio Group",
                # The company's own partner: pushed even when other tests left companies behind.
                "company_id": self.env.company.id,
                "vat": "GB980780684",
                "country_id": self.env.ref("base.uk").id,
                "customer_rank": 1,
            }
        )
        self.connection._enqueue_contacts_push()
        run_queue(self.env)
        self.assertEqual(binding.partner_id, partner, "linked, not created again")
        self.assertEqual(self.sandbox.count_contacts_named("Boom Radio Group"), 0)
        token = self.sandbox.issue_token()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "xero-tenant-id": self.sandbox.tenant_id}
        contacts = requests.get(f"{self.sandbox.accounting_url}/Contacts", headers=headers, timeout=10).json()
        self.assertEqual(sum(1 for c in contacts["Contacts"] if c.get("TaxNumber") == "980 7806 84"), 1)
