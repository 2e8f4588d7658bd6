from odoo.tests import new_test_user, tagged

from .common import XeroCase, run_queue


@tagged("post_install", "-at_install")
class TestAccountantUses(XeroCase):
    """An accountant (no administrator rights) does the daily work end to end."""

    def test_accountant_reviews_and_settles_differences(self):
        accountant = new_test_user(self.env, "bookkeeper", groups="base.group_user,xero_connector.group_xero_user")
        Contact = self.env["xero.contact"].with_user(accountant)
        Contact.action_fetch()  # Contacts > Xero: read from Xero
        run_queue(self.env)
        bayside = Contact.search([("name", "=", "Bayside Club")])
        boom = Contact.search([("name", "=", "Boom FM")])
        city = Contact.search([("name", "=", "City Agency")])

        bayside.action_import()
        partner = bayside.partner_id
        own = self.env["res.partner"].with_user(accountant).create({"name": "Boom Radio", "is_company": True})
        self.env["xero.contact.link"].with_user(accountant).create(
            {"contact_id": boom.id, "partner_id": own.id}
        ).action_link()
        city.action_ignore()
        self.assertEqual((bayside.state, boom.state, city.state), ("synced", "synced", "ignored"))

        partner.email = "accounts@bayside.example"
        partner.xero_difference_ids.action_push()
        xero = next(c for c in self.sandbox.contacts() if c["ContactID"] == bayside.xero_id)
        self.assertEqual(xero["EmailAddress"], "accounts@bayside.example")

        self.sandbox.update_contact(bayside.xero_id, FirstName="Robbie")
        Contact.action_fetch()
        run_queue(self.env)
        partner.xero_difference_ids.action_pull()
        self.assertEqual(partner.child_ids.name, "Robbie Partridge")

        own.city = "Napier"
        self.assertTrue(own.xero_difference_ids)
        own.action_xero_ignore_all()
        self.assertFalse(own.xero_difference_ids)
