"""Each company sees only its own Xero data: every record rule, tried by other companies' users."""

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import XeroAccountingCase, run_queue

# The addon's record rules: each keeps a model's records to their company. A rule added to
# security/xero_security.xml fails `test_every_record_rule_is_in_the_table` until listed here.
RULES = {
    "xero_connection_rule_company": "xero.connection",
    "xero_job_rule_company": "xero.job",
    "xero_contact_rule_company": "xero.contact",
    "xero_difference_rule_company": "xero.difference",
    "xero_ledger_entry_rule_company": "xero.ledger.entry",
    "xero_account_rule_company": "xero.account",
    "xero_tax_rate_rule_company": "xero.tax.rate",
    "xero_account_mapping_rule_company": "xero.account.mapping",
    "xero_tax_mapping_rule_company": "xero.tax.mapping",
    "xero_journal_mapping_rule_company": "xero.journal.mapping",
    "xero_document_rule_company": "xero.document",
    "xero_payment_rule_company": "xero.payment",
    "xero_outbox_rule_company": "xero.outbox",
    "xero_accounting_preview_rule_company": "xero.accounting.preview",
}
GROUPS = "base.group_user,xero_connector.group_xero_manager,account.group_account_manager"


@tagged("post_install", "-at_install")
class TestRecordRules(XeroAccountingCase):
    def setUp(self):
        super().setUp()
        company_a, self.company_b = self.company, self.env["res.company"].create({"name": "Rules Co B"})
        # What an accountant of company A does: preview, send an invoice and its payment, read the ledger.
        move = self.invoice()
        self.start()
        self.send()
        self.pay(move)
        self.send()
        self.env["xero.ledger.entry"]._cron_fetch()
        run_queue(self.env)
        self.bayside.email = "changed-in-odoo@bayside.example"  # a difference with Xero
        self.records = {
            model: self.env[model].search([("company_id", "=", company_a.id)], limit=1) for model in RULES.values()
        }
        self.assertEqual([m for m, record in self.records.items() if not record], [], "a record of every kind")
        # A user of company B only, and one of both companies working in B.
        self.user_b = new_test_user(
            self.env, "rules_b", groups=GROUPS, company_id=self.company_b.id, company_ids=self.company_b.ids
        )
        self.user_ab = new_test_user(
            self.env,
            "rules_ab",
            groups=GROUPS,
            company_id=self.company_b.id,
            company_ids=(company_a | self.company_b).ids,
        )

    def env_of(self, user, companies):
        """The user's environment as their web client makes it: the companies ticked in the switcher."""
        return self.env(user=user, context={"allowed_company_ids": companies.ids})

    def test_every_record_rule_is_in_the_table(self):
        rules = self.env["ir.model.data"].search([("module", "=", "xero_connector"), ("model", "=", "ir.rule")])
        self.assertEqual(sorted(rules.mapped("name")), sorted(RULES))
        for xml_id, model in RULES.items():
            rule = self.env.ref(f"xero_connector.{xml_id}")
            self.assertEqual(rule.model_id.model, model)
            self.assertTrue(rule.active and not rule.groups, "it applies to every user")

    def test_other_company_users_cannot_search_read_write_or_unlink(self):
        refused = {
            "user of company B": self.env_of(self.user_b, self.company_b),
            "user of A and B working in B": self.env_of(self.user_ab, self.company_b),
        }
        for model, record in self.records.items():
            for who, env in refused.items():
                with self.subTest(model=model, user=who):
                    theirs = record.with_env(env)
                    self.assertFalse(env[model].search([("id", "=", record.id)]), "not found")
                    self.assertEqual(env[model].search_count([]), 0, "nothing of company A listed")
                    with self.assertRaises(AccessError):
                        theirs.read(["company_id"])
                    with self.assertRaises(AccessError):
                        theirs.write({})
                    with self.assertRaises(AccessError):
                        theirs.unlink()
            # The rule is what refuses: the same user with company A ticked sees the record.
            with self.subTest(model=model, user="user of A and B working in A"):
                mine = self.env_of(self.user_ab, self.company_b | self.company)
                self.assertEqual(mine[model].search([("id", "=", record.id)]), record.with_env(mine))
                self.assertEqual(record.with_env(mine).read(["company_id"])[0]["company_id"][0], self.company.id)
        self.assertTrue(all(record.exists() for record in self.records.values()), "nothing was removed")
