from pathlib import Path

from odoo.tests import TransactionCase, tagged
from odoo.tools import file_path

from odoo.addons.xero_connector import synchronizers


@tagged("post_install", "-at_install")
class TestPackaging(TransactionCase):
    def test_apps_page_shows_index_html_with_its_screenshots(self):
        module = self.env["ir.module.module"].search([("name", "=", "xero_connector")])
        html = module.description_html
        self.assertIn("Sync with Xero", html)
        self.assertIn("Differences on the partner", html)
        # Not the README's Markdown rendered as reStructuredText.
        self.assertNotIn("| Feature | Where |", html)
        for picture in ("sync_page.png", "differences.png"):
            self.assertIn(f'src="/xero_connector/static/description/{picture}"', html)
            self.assertTrue(file_path(f"xero_connector/static/description/{picture}"))

    def test_manifest_for_integrators(self):
        module = self.env["ir.module.module"].search([("name", "=", "xero_connector")])
        info = module.get_module_info("xero_connector")
        self.assertEqual(info["development_status"], "Beta")
        self.assertTrue(info["maintainers"])
        self.assertEqual(module.license, "LGPL-3")
        self.assertIn("GNU LESSER GENERAL PUBLIC LICENSE", Path(file_path("xero_connector/LICENSE")).read_text())

    def test_every_job_kind_and_write_kind_has_its_synchronizer(self):
        """A job or a batch of a kind no synchronizer runs would fail at its first step."""
        job_kinds = {kind for kind, _label in self.env["xero.job"]._fields["kind"].selection}
        write_kinds = {kind for kind, _label in self.env["xero.outbox"]._fields["kind"].selection}
        self.assertEqual(set(synchronizers.JOBS), job_kinds)
        self.assertEqual(set(synchronizers.WRITERS), write_kinds)
        for cls, method in synchronizers.JOBS.values():
            self.assertTrue(callable(getattr(cls, method)), f"{cls.__name__}.{method}")
