from odoo.tests import tagged

from .common import XeroAccountingCase


@tagged("post_install", "-at_install")
class TestTranslations(XeroAccountingCase):
    """The engine's English messages reach each user in their language (i18n/fr.po)."""

    def test_held_back_reason_and_difference_labels_in_french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        other = self.env["account.account"].create(
            {"name": "Workshop income", "code": "400900", "account_type": "income", "company_ids": self.company.ids}
        )
        blocked = self.invoice(lines=[("Workshop", 1, 500.0, self.gst)], post=False)
        blocked.invoice_line_ids.account_id = other
        blocked.action_post()
        self.start()
        self.send()  # by the job, in its own language

        self.assertEqual(blocked.xero_state, "blocked")
        self.assertEqual(
            blocked.with_context(lang="fr_FR").xero_error,
            'Le compte 400900 "Workshop income" n\'est associé à aucun compte Xero.',
        )
        self.assertEqual(
            blocked.with_context(lang="en_US").xero_error,
            'Account 400900 "Workshop income" is not mapped to a Xero account.',
        )

        # Then refused by Xero, in Xero's words: every language reads them, none keeps the old reason.
        doc = blocked.xero_document_id
        doc.write({"state": "error", "error": "Xero refused it: the date is before the period lock date."})
        for lang in ("fr_FR", "en_US"):
            self.assertEqual(
                doc.with_context(lang=lang).error, "Xero refused it: the date is before the period lock date."
            )

        self.bayside.city = "Elsewhere"
        line = self.bayside.xero_difference_ids.filtered(lambda d: d.key == "city")
        self.assertEqual(line.with_context(lang="fr_FR").label, "Ville")
        self.assertEqual(line.with_context(lang="en_US").label, "City")
