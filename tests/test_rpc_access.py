"""Every public method of the addon's models is an RPC endpoint: who may call it.

Odoo's `call_kw` calls any method without a leading underscore (and not
`@api.private`) for any logged-in user, portal customers included, on any
ids. These tests enumerate those methods by introspection, then call each
one through Odoo's own dispatch as the users who must be refused.
"""

import json
import logging
import time
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.service.model import call_kw, get_public_method
from odoo.tests import new_test_user, tagged

from odoo.addons.xero_connector.xero_connector import oauth
from odoo.addons.xero_connector.xero_connector.gateway import XeroGateway

from .common import XeroAccountingCase, enqueue_check, invoice_line, run_queue, setup_nz_company

USER, MANAGER = "Xero User", "Xero Manager"
# Settings > Xero: administrators (Odoo's settings page), who are Xero Managers.
SETTINGS = "Administrator"
# Overrides of Odoo's own create / write / unlink / default_get / an Odoo button:
# access rights, record rules and the technical-field guard decide (tested below).
ORM = "ORM"

# Method -> who may call it. A new public method fails `test_every_public_method_is_guarded`
# until it is listed here (and so tried by the attack matrix) or made private.
PUBLIC_METHODS = {
    ("xero.connection", "action_connect"): MANAGER,
    ("xero.connection", "action_disconnect"): MANAGER,
    ("xero.connection", "action_start_push"): MANAGER,
    ("xero.connection", "action_read_accounting_reference"): MANAGER,
    ("xero.connection", "action_accounting_preview"): MANAGER,
    ("xero.connection", "action_accounting_stop"): MANAGER,
    ("xero.connection", "action_read_payments_from_xero"): MANAGER,
    ("xero.connection", "create"): ORM,
    ("xero.connection", "write"): ORM,
    ("xero.connection", "unlink"): ORM,
    ("res.config.settings", "action_xero_connect"): SETTINGS,
    ("res.config.settings", "action_xero_start_push"): SETTINGS,
    ("res.config.settings", "action_xero_disconnect"): SETTINGS,
    ("res.config.settings", "action_xero_read_accounting_reference"): SETTINGS,
    ("res.config.settings", "action_xero_accounting_preview"): SETTINGS,
    ("res.config.settings", "action_xero_accounting_stop"): SETTINGS,
    ("res.config.settings", "action_xero_choose_tenant"): SETTINGS,
    ("res.config.settings", "set_values"): ORM,
    ("xero.contact", "action_import"): USER,
    ("xero.contact", "action_import_all"): USER,
    ("xero.contact", "action_open_link_wizard"): USER,
    ("xero.contact", "action_link_suggested"): USER,
    ("xero.contact", "action_unlink_partner"): USER,
    ("xero.contact", "action_ignore"): USER,
    ("xero.contact", "action_stop_ignoring"): USER,
    ("xero.contact", "action_open_partner"): USER,
    ("xero.contact", "action_fetch"): USER,
    ("xero.contact", "action_start_push"): MANAGER,
    ("xero.contact.link", "default_get"): ORM,
    ("xero.contact.link", "action_link"): USER,
    ("xero.difference", "action_push"): USER,
    ("xero.difference", "action_pull"): USER,
    ("xero.difference", "action_ignore"): USER,
    ("xero.document", "action_send_again"): USER,
    ("xero.document", "write"): ORM,
    ("xero.job", "action_retry"): MANAGER,
    ("xero.job", "action_cancel"): MANAGER,
    ("xero.accounting.preview", "action_confirm"): MANAGER,
    ("xero.accounting.preview", "action_refresh"): MANAGER,
    ("xero.mapping.mixin", "create"): ORM,
    ("xero.mapping.mixin", "write"): ORM,
    ("xero.account.mapping", "create"): ORM,
    ("xero.account.mapping", "write"): ORM,
    ("xero.tax.mapping", "create"): ORM,
    ("xero.tax.mapping", "write"): ORM,
    ("xero.journal.mapping", "create"): ORM,
    ("xero.journal.mapping", "write"): ORM,
    ("res.partner", "create"): ORM,
    ("res.partner", "write"): ORM,
    ("res.partner", "action_xero_push_all"): USER,
    ("res.partner", "action_xero_pull_all"): USER,
    ("res.partner", "action_xero_ignore_all"): USER,
    ("res.partner", "action_xero_refresh_ledger"): USER,
    ("account.move", "button_cancel"): ORM,
    ("account.move", "action_xero_send_again"): USER,
    ("account.partial.reconcile", "create"): ORM,
    ("account.partial.reconcile", "unlink"): ORM,
}

ADDON_MODULE = "odoo.addons.xero_connector."
_logger = logging.getLogger(__name__)


def addon_public_methods(env):
    """(model, method) of every RPC-callable method that the addon's own classes define."""
    found = set()
    for name in env.registry:
        model = env[name]
        for klass in type(model).__mro__:
            if not klass.__module__.startswith(ADDON_MODULE):
                continue
            for attr, value in vars(klass).items():
                if attr.startswith("_") or not callable(value) or isinstance(value, fields.Field):
                    continue
                try:
                    get_public_method(model, attr)
                except AccessError:
                    continue  # @api.private
                found.add((name, attr))
    return found


class RpcCase(XeroAccountingCase):
    """Company A (connected, with a record of every kind) and the users who must be refused."""

    def setUp(self):
        super().setUp()
        env = self.env
        company_a = self.company
        self.company_b = env["res.company"].create({"name": "Company B (other Xero organisation)"})

        def user(login, groups, company):
            return new_test_user(
                env, login=login, groups=groups, company_id=company.id, company_ids=company.ids, name=login
            )

        self.portal = user("portal_customer", "base.group_portal", company_a)
        self.employee = user("plain_employee", "base.group_user", company_a)
        self.xero_user = user("xero_user_a", "xero_connector.group_xero_user,account.group_account_invoice", company_a)
        self.manager_a = user("xero_manager_a", "xero_connector.group_xero_manager", company_a)
        self.admin_a = user("admin_a", "base.group_system", company_a)
        self.manager_b = user(
            "xero_manager_b", "xero_connector.group_xero_manager,account.group_account_invoice", self.company_b
        )
        # A record of every kind, in company A.
        self.bayside.email = "changed-in-odoo@bayside.example"
        self.difference = self.bayside.xero_difference_ids[:1]
        self.move = self.invoice()
        self.document = env["xero.document"].create(
            {
                "connection_id": self.connection.id,
                "move_id": self.move.id,
                "kind": "invoice",
                "state": "error",
                "xero_id": "00000000-0000-0000-0000-00000000000a",
                "error": "Refused by Xero",
            }
        )
        # A job Xero failed (tried once): the runner leaves it failed, for a manager to retry.
        self.sandbox.inject_fault("503", count=5, path_contains="/Contacts")
        self.job = env["xero.job"]._enqueue(
            self.connection, "contacts_fetch", "Read contacts", records=env["xero.contact"], max_attempts=1
        )
        with patch.object(XeroGateway, "_backoff", staticmethod(lambda attempt: 0)):
            run_queue(env)
        self.assertEqual(self.job.state, "failed")
        self.wizard_values = {
            "res.config.settings": {"xero_connection_id": self.connection.id},
            "xero.contact.link": {"contact_id": self.bayside_contact.id, "partner_id": self.bayside.id},
            "xero.accounting.preview": {"connection_id": self.connection.id},
        }
        self.settings = env["res.config.settings"].create(self.wizard_values["res.config.settings"])
        self.targets = {
            "xero.connection": self.connection,
            "res.config.settings": self.settings,
            "xero.contact": self.bayside_contact,
            "xero.contact.link": env["xero.contact.link"].create(self.wizard_values["xero.contact.link"]),
            "xero.difference": self.difference,
            "xero.document": self.document,
            "xero.job": self.job,
            "xero.accounting.preview": env["xero.accounting.preview"].create(
                self.wizard_values["xero.accounting.preview"]
            ),
            "res.partner": self.bayside,
            "account.move": self.move,
        }
        self.assertTrue(self.difference, "the partner differs from Xero")

    def fingerprint(self):
        """What a refused call must leave as it was: the addon's state and what Xero received."""
        env = self.env
        env.flush_all()
        env.invalidate_all()
        state = {
            "requests": len(self.sandbox.request_log),
            "jobs": env["xero.job"].search_read([], ["state", "kind", "attempts"], order="id"),
            "connection": self.connection.read(
                ["state", "enabled", "push_started", "accounting_active", "tenant_id", "accounting_start_date"]
            ),
            "contacts": env["xero.contact"].search_read([], ["partner_id", "ignored", "synced_values"], order="id"),
            "differences": env["xero.difference"].search_read([], ["signature"], order="id"),
            "documents": env["xero.document"].search_read([], ["state", "attempt", "xero_id"], order="id"),
            "partners": env["res.partner"].search_count([]),
            "tokens": env["xero.token"].search_read([], ["access_token", "refresh_token"]),
        }
        return json.dumps(state, default=str, sort_keys=True)

    def as_user(self, user):
        """The environment of `user`'s own RPC calls: their companies, as their web client sends them."""
        return self.env(user=user, context={"allowed_company_ids": user.company_ids.ids})

    def call(self, user, model, method, records):
        return call_kw(self.as_user(user)[model], method, [records.ids], {})


@tagged("post_install", "-at_install")
class TestPublicMethods(RpcCase):
    def test_every_public_method_is_guarded(self):
        found = addon_public_methods(self.env)
        unlisted = sorted(found - set(PUBLIC_METHODS))
        self.assertEqual(unlisted, [], "public methods neither private nor in the table of who may call them")
        self.assertEqual(sorted(set(PUBLIC_METHODS) - found), [], "the table lists methods that no longer exist")

    def test_rpc_attack_matrix(self):
        """Each guarded method, called by each user who must be refused, on company A's records."""
        tried = expected = 0
        for (model, method), group in sorted(PUBLIC_METHODS.items()):
            if group == ORM:
                continue
            attackers = [self.portal, self.employee, self.manager_b]
            if group in (MANAGER, SETTINGS):
                attackers.append(self.xero_user)
            if group == SETTINGS:
                attackers.append(self.manager_a)
            expected += len(attackers)
            for attacker in attackers:
                with self.subTest(model=model, method=method, user=attacker.login):
                    before = self.fingerprint()
                    with self.assertRaises(AccessError):
                        self.call(attacker, model, method, self.targets[model])
                    self.assertEqual(self.fingerprint(), before, "nothing changed, no job, no request to Xero")
                    tried += 1
        self.assertEqual(tried, expected)
        self.assertGreater(tried, 100)

    def test_the_right_users_may_act(self):
        """The guards let the users of the table through (a refused state is a UserError, not AccessError)."""
        for (model, method), group in sorted(PUBLIC_METHODS.items()):
            if group == ORM or method in (
                "action_disconnect",
                "action_xero_disconnect",
                "action_connect",
                "action_xero_connect",
            ):
                continue
            actor = {USER: self.xero_user, MANAGER: self.manager_a, SETTINGS: self.admin_a}[group]
            with self.subTest(model=model, method=method, user=actor.login), self.env.cr.savepoint():
                target = self.targets[model]
                if target._transient:
                    # A wizard is its creator's own.
                    target = self.as_user(actor)[model].create(self.wizard_values[model])
                try:
                    self.call(actor, model, method, target)
                except AccessError as exc:
                    self.fail(f"{actor.login} was refused {model}.{method}: {exc}")
                except UserError as exc:
                    # A state the action refuses, in plain words: the guard let the caller in.
                    _logger.info("%s.%s refused %s in words: %s", model, method, actor.login, exc)
        # Connecting and disconnecting talk to Xero's identity service: tried once each, at the end.
        self.call(self.manager_a, "xero.connection", "action_disconnect", self.connection)
        self.assertEqual(self.connection.state, "disconnected")

    def test_xero_user_buttons_for_managers_are_hidden(self):
        """Retry / Cancel on jobs, and pushing, are not shown to those who may not use them."""
        for user, shown in ((self.xero_user, False), (self.manager_a, True)):
            arch = self.as_user(user)["xero.job"].get_views([(False, "form")])["views"]["form"]["arch"]
            self.assertEqual('name="action_retry"' in arch, shown, user.login)
            arch = self.as_user(user)["xero.contact"].get_views([(False, "list")])["views"]["list"]["arch"]
            self.assertEqual('name="action_start_push"' in arch, shown, user.login)


@tagged("post_install", "-at_install")
class TestTechnicalFields(RpcCase):
    def test_unmatching_a_payment_over_rpc_is_refused_before_its_binding_changes(self):
        """Unlinking a reconciliation is Odoo's own check: a refused caller leaves the Xero payment as it was."""
        self.pay(self.move)
        partial = self.move.line_ids.matched_credit_ids
        self.assertTrue(partial)
        payment = self.env["xero.payment"].create(
            {
                "connection_id": self.connection.id,
                "kind": "payment",
                "document_id": self.document.id,
                "partial_id": partial.id,
                "state": "sent",
                "xero_id": "00000000-0000-0000-0000-0000000000b2",
            }
        )
        for user in (self.portal, self.employee, self.manager_b):
            with self.subTest(user=user.login):
                # Not assertRaises: Odoo's rolls back to a savepoint, which would hide writes made
                # before the refusal (as would the request's rollback, unless server code catches it).
                try:
                    call_kw(self.as_user(user)["account.partial.reconcile"], "unlink", [partial.ids], {})
                    refused = False
                except AccessError:
                    refused = True
                self.assertTrue(refused)
                self.env.invalidate_all()
                self.assertEqual((payment.state, partial.exists()), ("sent", partial))

    def test_technical_fields_cannot_be_written_over_rpc(self):
        billing = new_test_user(
            self.env,
            login="billing_clerk",
            groups="account.group_account_invoice,xero_connector.group_xero_user",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        payment = self.env["xero.payment"].create(
            {
                "connection_id": self.connection.id,
                "kind": "payment",
                "document_id": self.document.id,
                "state": "sent",
                "xero_id": "00000000-0000-0000-0000-0000000000b1",
            }
        )
        other = self.env["res.partner"].create({"name": "Someone else", "company_id": self.company.id})
        other_company = self.env["xero.connection"]._for_company(self.company_b)
        attempts = [
            ("xero.document", self.document, {"state": "to_void"}),
            ("xero.document", self.document, {"xero_id": "00000000-0000-0000-0000-0000000000ff"}),
            ("xero.document", self.document, {"attempt": 7}),
            ("xero.document", self.document, {"connection_id": other_company.id}),
            ("xero.payment", payment, {"state": "to_delete"}),
            ("xero.contact", self.bayside_contact, {"partner_id": other.id}),
            ("xero.contact", self.bayside_contact, {"xero_id": "00000000-0000-0000-0000-0000000000fe"}),
            ("xero.job", self.job, {"state": "pending"}),
            ("xero.difference", self.difference, {"can_push": True}),
        ]
        for user in (billing, self.manager_a):
            for model, record, values in attempts:
                with self.subTest(user=user.login, model=model, values=values):
                    before = self.fingerprint()
                    with self.assertRaises(AccessError):
                        call_kw(self.as_user(user)[model], "write", [record.ids, values], {})
                    self.assertEqual(self.fingerprint(), before)
        # A Xero Manager sets the connection's settings, never its state.
        with self.assertRaisesRegex(AccessError, "set by the Xero connector itself"):
            call_kw(
                self.as_user(self.manager_a)["xero.connection"],
                "write",
                [self.connection.ids, {"state": "connected", "tenant_id": "x"}],
                {},
            )
        call_kw(
            self.as_user(self.manager_a)["xero.connection"],
            "write",
            [self.connection.ids, {"odoo_is_master": True}],
            {},
        )
        self.assertTrue(self.connection.odoo_is_master)
        # A mapping's Xero account is a choice; its Odoo account and connection are not.
        mapping = self.connection.account_mapping_ids[:1]
        with self.assertRaisesRegex(AccessError, "set by the Xero connector itself"):
            call_kw(
                self.as_user(self.manager_a)["xero.account.mapping"],
                "write",
                [mapping.ids, {"connection_id": other_company.id}],
                {},
            )
        rate = self.connection.xero_account_ids.filtered(lambda a: a.code == "200")
        call_kw(
            self.as_user(self.manager_a)["xero.account.mapping"],
            "write",
            [mapping.ids, {"xero_account_id": rate.id}],
            {},
        )
        self.assertEqual(mapping.xero_account_id, rate)
        # Sending afterwards voids and deletes nothing in Xero.
        voided = [i["InvoiceID"] for i in self.xero() if i["Status"] == "VOIDED"]
        payments = self.xero("Payments")
        self.start()
        self.send()
        self.assertEqual([i["InvoiceID"] for i in self.xero() if i["Status"] == "VOIDED"], voided, "nothing voided")
        self.assertEqual(self.xero("Payments"), payments, "no payment deleted")
        self.assertFalse([r for r in self.sandbox.request_log if r["method"] == "DELETE"], "nothing deleted")
        self.assertEqual(self.xero_numbers()[self.move.name], 0, "the invoice was not sent behind the user's back")

    def test_xero_fields_on_partners_are_for_xero_users(self):
        for field in ("xero_push_error", "xero_difference_ids", "xero_name", "xero_contact_ids", "xero_do_not_sync"):
            with self.subTest(field=field), self.assertRaises(AccessError):
                self.bayside.with_user(self.employee).read([field])
        self.assertTrue(self.bayside.with_user(self.xero_user).read(["xero_difference_ids"])[0]["xero_difference_ids"])

    def test_chatter_lines_with_xero_values_are_internal_notes(self):
        self.difference.action_push()
        messages = self.bayside.message_ids.filtered(lambda m: "Xero" in (m.body or ""))
        self.assertTrue(messages)
        self.assertTrue(all(m.subtype_id.internal for m in messages), "portal followers never see Xero values")

    def test_unexpected_job_errors_are_plain_for_users_detailed_for_managers(self):
        job = enqueue_check(self.env, self.connection, "Check")
        job.write(job._error_values(ZeroDivisionError("division by zero")))
        self.assertNotIn("ZeroDivisionError", job.with_user(self.xero_user).error)
        self.assertIn("a Xero Manager can see the details", job.with_user(self.xero_user).error)
        with self.assertRaises(AccessError):
            job.with_user(self.xero_user).read(["error_detail"])
        self.assertIn("ZeroDivisionError", job.with_user(self.manager_a).error_detail)

    def test_service_url_must_be_https(self):
        with self.assertRaisesRegex(UserError, "https"):
            self.connection.service_url = "http://xero.example.com"
        self.connection.service_url = "https://xero.example.com"
        self.connection.service_url = "http://127.0.0.1:8765"


@tagged("post_install", "-at_install")
class TestCompanyWalls(XeroAccountingCase):
    def test_imported_partners_belong_to_the_connections_company(self):
        self.assertEqual(self.bayside.company_id, self.company)
        self.connection.imported_partners_shared = True
        boom = self.env["xero.contact"].search([("connection_id", "=", self.connection.id), ("name", "=", "Boom FM")])
        boom.action_import()
        self.assertFalse(boom.partner_id.company_id, "kept shared, as the setting says")

    def test_a_push_sends_only_its_companys_partners(self):
        env = self.env
        company_b = setup_nz_company(env, "Xero NZ Company B")
        tenant_b = self.sandbox.add_tenant("Company B Organisation")
        conn_b = env["xero.connection"]._for_company(company_b)
        token = self.sandbox.issue_token(tenant_ids=[tenant_b])
        conn_b.write(
            {
                "client_id": self.sandbox.client_id,
                "client_secret": self.sandbox.client_secret,
                "service_url": self.sandbox.base_url,
                "tenant_id": tenant_b,
                "state": "connected",
            }
        )
        conn_b._store_token(_token(token))
        # Only the partners of this test are pushed.
        env["res.partner"].search([("customer_rank", ">", 0)]).xero_do_not_sync = True
        Partner = env["res.partner"]
        a_own = Partner.create({"name": "A's Own Customer", "customer_rank": 1, "company_id": self.company.id})
        shared_a = Partner.create({"name": "Shared, invoiced by A", "customer_rank": 1})
        shared_b = Partner.create({"name": "Shared, invoiced by B", "customer_rank": 1})
        b_own = Partner.create({"name": "B's Own Customer", "customer_rank": 1, "company_id": company_b.id})
        self.invoice(partner=shared_a)
        journal_b = env["account.journal"].search([("company_id", "=", company_b.id), ("type", "=", "sale")], limit=1)
        income_b = (
            env["account.account"]
            .with_company(company_b)
            .search([("company_ids", "in", company_b.id), ("account_type", "=", "income")], limit=1)
        )
        move_b = (
            env["account.move"]
            .with_company(company_b)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": shared_b.id,
                    "invoice_date": "2026-11-10",
                    "journal_id": journal_b.id,
                    "invoice_line_ids": [invoice_line("Work", 1, 10.0, None, account=income_b)],
                }
            )
        )
        move_b.action_post()

        job = conn_b._enqueue_contacts_push()
        run_queue(env)
        self.assertEqual(job.state, "done", job.error)
        names_b = {c["Name"] for c in self.sandbox.contacts(tenant_b)}
        self.assertIn("B's Own Customer", names_b)
        self.assertIn("Shared, invoiced by B", names_b)
        self.assertNotIn("A's Own Customer", names_b, "company A's customer stays out of B's organisation")
        self.assertNotIn("Shared, invoiced by A", names_b)
        names_a = {c["Name"] for c in self.sandbox.contacts()}
        self.assertFalse({a_own.name, shared_a.name, shared_b.name, b_own.name} & names_a, "A was not pushed at all")


def _token(answer):
    return oauth.Token(
        access_token=answer["access_token"],
        refresh_token=answer["refresh_token"],
        expires_at=time.time() + 1800,
        scope=answer["scope"],
    )


@tagged("post_install", "-at_install")
class TestOtherCompany(RpcCase):
    def test_another_companys_manager_cannot_switch_on_sending(self):
        self.connection.accounting_start_date = "2026-01-01"
        Preview = self.as_user(self.manager_b)["xero.accounting.preview"]
        with self.assertRaises(AccessError):
            call_kw(Preview, "create", [{"connection_id": self.connection.id}], {})
        self.assertEqual(
            call_kw(self.as_user(self.manager_b)["xero.connection"], "search_read", [[], ["state"]], {}), []
        )
        self.assertFalse(self.connection.accounting_active)
        for model in ("xero.contact", "xero.document", "xero.job", "xero.difference", "xero.account.mapping"):
            with self.subTest(model=model):
                self.assertFalse(self.as_user(self.manager_b)[model].search([]), "company B sees nothing of A")
