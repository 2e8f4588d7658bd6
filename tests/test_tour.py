from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestXeroMenuTour(HttpCase):
    def test_menu_tour(self):
        """An accountant logs in and opens Contacts > Xero > Jobs."""
        self.start_tour("/odoo/contacts", "xero_connector_menu_tour", login="admin")
