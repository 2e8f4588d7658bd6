from odoo.tests import tagged

from .common import XeroCase, run_queue


class DifferencesMixin:
    def fetch(self):
        self.connection._enqueue_contacts_fetch()
        run_queue(self.env)

    def binding(self, name):
        return self.env["xero.contact"].search([("connection_id", "=", self.connection.id), ("name", "=", name)])

    def xero(self, binding):
        return next(c for c in self.sandbox.contacts() if c["ContactID"] == binding.xero_id)

    def import_bayside(self):
        self.fetch()
        binding = self.binding("Bayside Club")
        binding.action_import()
        return binding, binding.partner_id

    def line(self, partner, key):
        return partner.xero_difference_ids.filtered(lambda d: d.key == key)


@tagged("post_install", "-at_install")
class TestDifferences(DifferencesMixin, XeroCase):
    def test_seed_story_push_then_pull(self):
        binding, partner = self.import_bayside()
        self.assertFalse(partner.xero_difference_ids, "an import leaves nothing to sync")
        bob = partner.child_ids
        bob.name = "Robert Partridge"
        line = self.line(partner, "first_name")
        self.assertEqual(
            (line.kind, line.local_value, line.remote_value, line.can_push, line.can_pull),
            ("push", "Robert", "Bob", True, False),
        )
        self.assertEqual(len(partner.xero_difference_ids), 1)
        self.assertTrue(self.env["res.partner"].search([("xero_has_differences", "=", True), ("id", "=", partner.id)]))
        line.action_push()
        self.assertEqual(self.xero(binding)["FirstName"], "Robert")
        self.assertFalse(partner.xero_difference_ids)
        self.assertIn("First name: Bob → Robert", partner.message_ids[0].body)

        self.sandbox.update_contact(binding.xero_id, FirstName="Robbie")
        self.fetch()
        line = self.line(partner, "first_name")
        self.assertEqual((line.kind, line.can_push, line.can_pull), ("pull", False, True))
        line.action_pull()
        self.assertEqual(bob.name, "Robbie Partridge")
        self.assertFalse(partner.xero_difference_ids)
        self.assertIn("First name: Robert → Robbie", partner.message_ids[0].body)

    def test_conflict_is_offered_both_ways(self):
        binding, partner = self.import_bayside()
        partner.email = "accounts@bayside.example"
        self.sandbox.update_contact(binding.xero_id, EmailAddress="office@bayside.example")
        self.fetch()
        line = self.line(partner, "email")
        self.assertEqual((line.kind, line.can_push, line.can_pull), ("conflict", True, True))
        self.assertEqual((line.local_value, line.remote_value), ("accounts@bayside.example", "office@bayside.example"))

    def test_noise_never_makes_a_difference(self):
        _binding, partner = self.import_bayside()
        partner.write({"email": "  BOB@BaysideClub.example ", "vat": "111 222 333"})
        self.assertFalse(partner.xero_difference_ids)

    def test_ignore_hides_until_a_value_changes_again(self):
        _binding, partner = self.import_bayside()
        partner.city = "Elsewhere"
        self.line(partner, "city").action_ignore()
        self.assertFalse(partner.xero_difference_ids)
        partner.city = "Somewhere Else"
        self.assertEqual(self.line(partner, "city").local_value, "Somewhere Else")

    def test_odoo_is_the_master_overwrites_xero(self):
        binding, partner = self.import_bayside()
        self.connection.odoo_is_master = True
        self.sandbox.update_contact(binding.xero_id, FirstName="Roberta")
        self.fetch()
        self.assertEqual(self.xero(binding)["FirstName"], "Bob", "Odoo's value is put back")
        self.assertFalse(partner.xero_difference_ids)
        self.assertIn("overwritten (Odoo is the master)", partner.message_ids[0].body)
        partner.email = "new@bayside.example"
        self.assertFalse(self.line(partner, "email").can_pull, "no pull is offered")

    def test_refused_push_shows_xero_words_and_changes_nothing(self):
        binding, partner = self.import_bayside()
        partner.name = "Boom FM"  # another active Xero contact has that name
        action = self.line(partner, "name").action_push()
        self.assertIn("already assigned to another contact", action["params"]["message"])
        self.assertIn("already assigned to another contact", partner.xero_sync_error)
        self.assertEqual(self.xero(binding)["Name"], "Bayside Club")
        self.assertEqual(partner.name, "Boom FM")
        self.assertEqual(self.line(partner, "name").kind, "push", "the difference stays open")

    def test_link_offers_every_difference_both_ways(self):
        self.fetch()
        partner = self.env["res.partner"].create({"name": "Bayside Club", "is_company": True, "city": "Other"})
        self.binding("Bayside Club")._link(partner)
        line = self.line(partner, "city")
        self.assertEqual((line.kind, line.can_push, line.can_pull), ("unsynced", True, True))
        self.assertFalse(self.line(partner, "name"))
