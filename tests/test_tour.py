from unittest.mock import patch

from odoo import Command
from odoo.tests import HttpCase, tagged
from odoo.tests.common import ChromeBrowser

from .common import XeroAccountingCase, connect, run_queue, start_sandbox


@tagged("post_install", "-at_install")
class TestXeroMenuTour(HttpCase):
    def test_menu_tour(self):
        """An accountant logs in and opens Contacts > Xero > Jobs."""
        self.start_tour("/odoo/contacts", "xero_connector_menu_tour", login="admin")


@tagged("post_install", "-at_install")
class TestSyncPageTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox = start_sandbox(cls, seed="demo")

    def test_sync_page_tour(self):
        connection = connect(self.env, self.sandbox)
        connection._enqueue_contacts_fetch()
        run_queue(self.env)
        holdings = self.env["res.partner"].create({"name": "Bayside Holdings", "is_company": True})
        # Shown as a suggested match on the page.
        self.env["res.partner"].create({"name": "Coastal Dental Clinic Ltd", "is_company": True})
        self.env["xero.contact"].search([])._compute_suggestions()
        # The README's screenshot of the page, taken as the tour ends.
        with patch.object(ChromeBrowser, "stop", stop_with_screenshot("xero_sync_page_")):
            self.start_tour(
                "/odoo/action-xero_connector.xero_contact_action", "xero_connector_sync_page_tour", login="admin"
            )
        contact = self.env["xero.contact"].search
        self.assertEqual(contact([("name", "in", ["Basket Case", "Boom FM"])]).mapped("state"), ["synced"] * 2)
        self.assertEqual(contact([("name", "=", "Bayside Club")]).partner_id, holdings)
        self.assertEqual(contact([("name", "=", "City Agency")]).state, "to_review")
        self.assertEqual(self.env["res.partner"].search_count([("name", "=", "Boom FM")]), 1)


@tagged("post_install", "-at_install")
class TestDifferencesTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox = start_sandbox(cls, seed="demo")

    def fetch(self, connection):
        connection._enqueue_contacts_fetch()
        run_queue(self.env)

    def test_differences_tour(self):
        connection = connect(self.env, self.sandbox)
        self.fetch(connection)
        binding = self.env["xero.contact"].search([("name", "=", "Bayside Club")])
        binding.action_import()
        partner = binding.partner_id
        partner.write({"email": "accounts@baysideclub.example", "city": "Elsewhere"})
        self.sandbox.update_contact(binding.xero_id, Phones=[{"PhoneType": "DEFAULT", "PhoneNumber": "+64 9 555 0199"}])
        self.fetch(connection)
        self.assertEqual(set(partner.xero_difference_ids.mapped("key")), {"email", "phone", "city"})
        # The README's picture of the notification, before anything is settled.
        with patch.object(ChromeBrowser, "stop", stop_with_screenshot("xero_differences_")):
            self.browser_js(
                f"/odoo/contacts/{partner.id}",
                "const wait = () => document.querySelector('.o_xero_differences .o_data_row')"
                " ? setTimeout(() => console.log('test successful'), 500) : setTimeout(wait, 100); wait();",
                login="admin",
            )
        self.start_tour(f"/odoo/contacts/{partner.id}", "xero_connector_differences_tour", login="admin")
        xero = next(c for c in self.sandbox.contacts() if c["ContactID"] == binding.xero_id)
        self.assertEqual(xero["EmailAddress"], "accounts@baysideclub.example")
        self.assertEqual(partner.phone, "+64 9 555 0199")
        self.assertEqual(partner.city, "Elsewhere")
        self.assertFalse(partner.xero_difference_ids)


def stop_with_screenshot(prefix):
    original = ChromeBrowser.stop

    def stop(browser):
        future = browser.take_screenshot(prefix=prefix)
        if future:
            future.result(timeout=10)
        return original(browser)

    return stop


@tagged("post_install", "-at_install")
class TestPaidInXeroTour(XeroAccountingCase, HttpCase):
    """An invoice paid in Xero shows as paid in Odoo, with the payment's Xero link."""

    browser_size = "1440x900"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.user_admin").write(
            {"company_ids": [Command.link(cls.company.id)], "company_id": cls.company.id}
        )

    def test_paid_in_xero_tour(self):
        self.connection.payments_from_xero = True
        move = self.invoice()
        self.start()
        run_queue(self.env)
        self.assertEqual(move.xero_state, "sent")
        paid = self.sandbox.record_payment(move.xero_document_id.xero_id, move.amount_total, date="2026-11-20")
        self.env["xero.ledger.entry"]._cron_fetch()
        run_queue(self.env)
        self.assertEqual(move.payment_state, "paid")
        url = "/odoo/action-account.action_move_out_invoice_type"
        self.start_tour(f"{url}/{move.id}", "xero_connector_paid_in_xero_tour", login="admin")
        self.assertIn(paid["PaymentID"], move.xero_paid_in_xero_url)
