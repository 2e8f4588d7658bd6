import ast

from lxml import etree

from odoo.tests import HttpCase, tagged

from .common import XeroAccountingCase, XeroCase, run_queue
from .test_ledger import LedgerMixin


@tagged("post_install", "-at_install")
class TestLayoutTours(LedgerMixin, XeroCase, HttpCase):
    """What an accountant sees on a 1440 px wide screen."""

    browser_size = "1440x900"

    def test_sync_page_title_and_columns_are_whole(self):
        self.connection._enqueue_contacts_fetch()
        run_queue(self.env)
        self.env["res.partner"].create({"name": "Coastal Dental Clinic Ltd", "is_company": True})
        self.env["xero.contact"].search([])._compute_suggestions()
        self.start_tour(
            "/odoo/action-xero_connector.xero_contact_action", "xero_connector_sync_page_layout_tour", login="admin"
        )

    def test_ledger_status_and_link_are_whole(self):
        self.connection._refresh_organisation()
        binding = self.import_contact()
        self.read_ledger()
        self.start_tour(f"/odoo/contacts/{binding.partner_id.id}", "xero_connector_ledger_layout_tour", login="admin")

    def test_documents_pivot_and_graph(self):
        self.start_tour(
            "/odoo/action-xero_connector.xero_document_action", "xero_connector_reporting_tour", login="admin"
        )


@tagged("post_install", "-at_install")
class TestReportingAndFilters(XeroAccountingCase):
    def test_documents_by_state_and_month(self):
        self.invoice(date="2026-10-05")
        self.invoice(date="2026-11-10")
        self.invoice(date="2026-11-12")
        self.start()
        self.send()
        action = self.env.ref("xero_connector.xero_document_action")
        self.assertEqual(action.view_mode.split(","), ["list", "form", "pivot", "graph"])
        views = self.env["xero.document"].get_views([(False, "pivot"), (False, "graph")])["views"]
        pivot = etree.fromstring(views["pivot"]["arch"])
        self.assertEqual(
            [(f.get("name"), f.get("type"), f.get("interval")) for f in pivot.iter("field")],
            [("state", "row", None), ("date", "col", "month")],
        )
        graph = etree.fromstring(views["graph"]["arch"])
        self.assertEqual([f.get("name") for f in graph.iter("field")], ["date", "state"])
        groups = self.env["xero.document"].formatted_read_group(
            [("company_id", "=", self.company.id)], ["state", "date:month"], ["__count"]
        )
        self.assertEqual(
            sorted((g["state"], g["date:month"][1], g["__count"]) for g in groups),
            [("sent", "November 2026", 2), ("sent", "October 2026", 1)],
        )

    def test_not_mapped_filter_on_every_mapping_list(self):
        for model, field in (
            ("xero.account.mapping", "xero_account_id"),
            ("xero.tax.mapping", "xero_tax_rate_id"),
            ("xero.journal.mapping", "xero_account_id"),
        ):
            arch = etree.fromstring(self.env[model].get_views([(False, "search")])["views"]["search"]["arch"])
            (node,) = arch.xpath("//filter[@name='not_mapped']")
            self.assertEqual(node.get("string"), "Not mapped")
            found = self.env[model].search(
                [("connection_id", "=", self.connection.id), *ast.literal_eval(node.get("domain"))]
            )
            every = self.env[model].search([("connection_id", "=", self.connection.id)])
            self.assertEqual(found, every.filtered(lambda m, field=field: not m[field]), model)
            self.assertTrue(every - found, f"{model}: the mapped ones are left out")
