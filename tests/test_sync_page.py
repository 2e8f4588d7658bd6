from datetime import datetime, timedelta, timezone

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import XeroCase, run_queue


def xero_calls(sandbox, path):
    return [r for r in sandbox.request_log if r["path"].endswith(path)]


@tagged("post_install", "-at_install")
class TestSyncPage(XeroCase):
    def fetch(self):
        job = self.connection._enqueue_contacts_fetch()
        run_queue(self.env)
        self.assertEqual(job.state, "done", job.error)
        return self.env["xero.contact"].search([("connection_id", "=", self.connection.id)])

    def contact(self, name):
        return self.env["xero.contact"].search([("connection_id", "=", self.connection.id), ("name", "=", name)])

    def test_fetch_records_every_contact_then_only_changes(self):
        contacts = self.fetch()
        self.assertEqual(len(contacts), len(self.sandbox.contacts()))
        self.assertEqual(set(contacts.mapped("state")), {"to_review"})
        self.assertEqual(self.contact("Fern Gully Nursery").xero_status, "ARCHIVED")
        self.assertEqual(self.contact("Ridgeway Uni").merged_to_id, self.contact("Ridgeway University"))
        self.assertTrue(self.connection.last_sync_at)

        before = len(xero_calls(self.sandbox, "/Contacts"))
        self.assertFalse(self.fetch() - contacts)
        calls = xero_calls(self.sandbox, "/Contacts")[before:]
        self.assertEqual(len(calls), 1, "nothing changed: one call")
        self.assertEqual(self.env["xero.job"].search([], order="id desc", limit=1).progress_done, 0, "nothing new")

        bayside = self.contact("Bayside Club")
        self.sandbox.update_contact(bayside.xero_id, EmailAddress="office@baysideclub.example")
        self.fetch()
        self.assertEqual(bayside.email, "office@baysideclub.example")

    def test_changes_in_the_second_of_the_last_read_are_not_missed(self):
        # Xero works to the second: a change made in the second of the last change read
        # shares its UpdatedDateUTC; the next read must still bring it, and only it.
        self.fetch()
        first, second = self.contact("Bayside Club"), self.contact("Boom FM")
        self.sandbox.freeze_clock(datetime.now(timezone.utc) + timedelta(hours=1))
        try:
            self.sandbox.update_contact(first.xero_id, EmailAddress="first@same-second.example")
            self.fetch()
            self.sandbox.update_contact(second.xero_id, EmailAddress="second@same-second.example")
        finally:
            self.sandbox.freeze_clock(None)
        self.fetch()
        self.assertEqual(second.email, "second@same-second.example")
        self.assertEqual(first.email, "first@same-second.example")
        job = self.env["xero.job"].search([], order="id desc", limit=1)
        self.assertEqual(job.progress_done, 1, "the contact already read in that second is skipped")

    def test_import_creates_the_partner_and_its_main_contact(self):
        self.fetch()
        bayside = self.contact("Bayside Club")
        bayside.action_import()
        partner = bayside.partner_id
        self.assertEqual(bayside.state, "synced")
        self.assertTrue(partner.is_company)
        self.assertEqual(partner.name, "Bayside Club")
        self.assertEqual(partner.email, "bob@baysideclub.example")
        self.assertEqual(partner.vat, "111-222-333")
        remote = bayside.remote_values
        self.assertEqual(partner.city, remote["city"])
        self.assertEqual(partner.street, remote["street"])
        self.assertEqual(partner.country_id.name.casefold(), remote["country"].casefold())
        self.assertEqual(partner.child_ids.mapped("name"), ["Bob Partridge"])
        self.assertEqual(bayside.synced_values, remote)
        self.assertIn("Imported from the Xero contact", partner.message_ids[0].body)
        person = self.contact("Ana Souza")
        person.action_import()
        self.assertFalse(person.partner_id.is_company)
        self.assertFalse(person.partner_id.child_ids)

    def test_imported_main_contact_is_as_odoo_makes_it(self):
        # The import creates the main contacts in a batch with what Odoo's own create would
        # sync onto them: compared with a company and contact person made by hand in Odoo.
        self.fetch()
        bayside = self.contact("Bayside Club")
        bayside.action_import()
        partner = bayside.partner_id
        child = partner.child_ids
        Partner = self.env["res.partner"]
        by_hand = Partner.create(
            {
                name: partner._fields[name].convert_to_write(partner[name], partner)
                for name in (
                    *("name", "is_company", "email", "phone", "street", "street2", "city", "zip"),
                    *("state_id", "country_id", "vat", "company_id"),
                )
            }
        )
        by_hand_child = Partner.create({"parent_id": by_hand.id, "type": "contact", "name": child.name})
        synced = Partner._address_fields() + Partner._commercial_fields() + ["lang", "commercial_partner_id"]
        for name in synced:
            mine, theirs = child[name], by_hand_child[name]
            if name == "commercial_partner_id":
                mine, theirs = mine == partner, theirs == by_hand
            self.assertEqual(mine, theirs, name)
        self.assertTrue(child.street and child.vat, "the company's address and tax number")
        self.assertEqual(child.street, partner.street)
        self.assertEqual(child.vat, partner.vat)
        # The one line in the chatter says where the partner comes from.
        self.assertEqual(len(partner.message_ids), 1)
        self.assertIn('Imported from the Xero contact "Bayside Club"', partner.message_ids.body)

    def test_suggestions_rank_tax_number_then_email_then_name(self):
        Partner = self.env["res.partner"]
        by_name = Partner.create({"name": "The Bayside Club Ltd", "is_company": True})
        by_email = Partner.create({"name": "B. Partridge", "email": "BOB@baysideclub.example"})
        by_vat = Partner.create({"name": "BC Holdings", "is_company": True, "vat": "111 222 333"})
        self.fetch()
        bayside = self.contact("Bayside Club")
        self.assertEqual(bayside.suggested_partner_id, by_vat)
        self.assertEqual(bayside.suggestion_reason, "same tax number")
        self.assertEqual([p for p, _ in bayside._ranked_suggestions()], [by_vat.id, by_email.id, by_name.id])
        wizard = self.env["xero.contact.link"].with_context(default_contact_id=bayside.id).create({})
        self.assertEqual(wizard.partner_id, by_vat)
        self.assertIn("same email", wizard.suggestions)

    def test_link_moves_no_data_and_is_unique(self):
        partner = self.env["res.partner"].create(
            {"name": "Bayside Club", "is_company": True, "email": "hello@bayside.example", "city": "Nowhere"}
        )
        self.fetch()
        bayside, boom = self.contact("Bayside Club"), self.contact("Boom FM")
        writes_before = [r for r in self.sandbox.request_log if r["method"] in ("POST", "PUT")]
        wizard = self.env["xero.contact.link"].create({"contact_id": bayside.id, "partner_id": partner.id})
        wizard.action_link()
        self.assertEqual(bayside.partner_id, partner)
        self.assertEqual(bayside.state, "synced")
        self.assertEqual((partner.email, partner.city), ("hello@bayside.example", "Nowhere"))
        self.assertEqual([r for r in self.sandbox.request_log if r["method"] in ("POST", "PUT")], writes_before)
        self.assertEqual(bayside.synced_values.get("name"), "Bayside Club", "what agrees counts as synced")
        self.assertNotIn("email", bayside.synced_values, "what differs is offered both ways")
        with self.assertRaisesRegex(UserError, '"Bayside Club" is already linked to the Xero contact "Bayside Club"'):
            boom._link(partner)

    def test_ignore_and_stop_ignoring(self):
        self.fetch()
        boom = self.contact("Boom FM")
        boom.action_ignore()
        self.assertEqual(boom.state, "ignored")
        self.assertIn(boom, self.env["xero.contact"].search([("state", "=", "ignored")]))
        boom.action_stop_ignoring()
        self.assertEqual(boom.state, "to_review")

    def test_merged_contact_cannot_be_imported(self):
        self.fetch()
        with self.assertRaisesRegex(UserError, 'merged into "Ridgeway University"'):
            self.contact("Ridgeway Uni").action_import()

    def test_link_follows_a_merge_in_xero(self):
        self.fetch()
        boom, basket = self.contact("Boom FM"), self.contact("Basket Case")
        boom.action_import()
        partner = boom.partner_id
        self.sandbox.merge_contacts(boom.xero_id, basket.xero_id)
        self.fetch()
        self.assertEqual(boom.merged_to_id, basket)
        self.assertEqual(basket.partner_id, partner)
        self.assertFalse(boom.partner_id)
        self.assertIn("merged", partner.message_ids[0].body)

    def test_bad_data_from_xero_is_imported_with_what_is_valid(self):
        self.fetch()
        boom = self.contact("Boom FM")
        self.sandbox.update_contact(
            boom.xero_id,
            Name="Boom FM 📻 Ωmega",
            EmailAddress="not an email",
            Addresses=[
                {
                    "AddressType": "POBOX",
                    "AddressLine1": "Long Road " * 40,
                    "City": "Atlantis City",
                    "Region": "Nowhere",
                    "Country": "Atlantis",
                }
            ],
        )
        self.fetch()
        boom.action_import()
        partner = boom.partner_id
        self.assertEqual(partner.name, "Boom FM 📻 Ωmega")
        self.assertEqual(len(partner.street), 256)
        self.assertFalse(partner.email)
        self.assertFalse(partner.country_id)
        self.assertEqual(partner.city, "Atlantis City")
        for words in ("not a valid address", 'Country "Atlantis" is unknown', 'Region "Nowhere" is unknown', "cut"):
            self.assertIn(words, boom.import_notes)

    def test_large_selection_becomes_a_job(self):
        self.sandbox.seed_contacts(250)
        contacts = self.fetch().filtered(lambda c: c.state == "to_review" and not c.merged_to_id)
        action = contacts.action_import()
        self.assertEqual(action["tag"], "display_notification")
        job = self.env["xero.job"].search([("kind", "=", "contacts_import")], limit=1)
        self.assertEqual(job.progress_total, len(contacts))
        self.assertFalse(contacts.partner_id, "nothing imported inside the user's request")
