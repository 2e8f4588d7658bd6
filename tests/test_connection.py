from urllib.parse import urlsplit

import requests

from odoo.exceptions import AccessError
from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.xero_connector.xero_connector import oauth
from odoo.addons.xero_connector.xero_connector.errors import XeroAuthError

from .common import XeroCase, connect, start_sandbox


@tagged("post_install", "-at_install")
class TestOAuthFlow(HttpCase):
    """The administrator's consent, from Settings to Xero and back."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox = start_sandbox(cls, seed="demo")
        cls.sandbox.auto_consent = True
        cls.admin = cls.env.ref("base.user_admin")

    def setUp(self):
        super().setUp()
        self.sandbox.reset(seed="demo")
        self.sandbox.auto_consent = True
        self.connection = self.env["xero.connection"]._for_company(self.env.company)
        self.connection.write(
            {
                "client_id": self.sandbox.client_id,
                "client_secret": self.sandbox.client_secret,
                "service_url": self.sandbox.base_url,
            }
        )
        self.authenticate("admin", "admin")

    def consent(self):
        """Follow Connect to the consent page; return Xero's redirect back to Odoo."""
        action = self.connection.with_user(self.admin).action_connect()
        self.assertTrue(action["url"].startswith(self.sandbox.authorize_url))
        answer = requests.get(action["url"], allow_redirects=False, timeout=10)
        self.assertEqual(answer.status_code, 302)
        back = urlsplit(answer.headers["Location"])
        self.assertEqual(back.path, "/xero/oauth/callback")
        return f"{back.path}?{back.query}"

    def test_connect_through_the_consent_page(self):
        response = self.url_open(self.consent(), allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.state, "connected")
        self.assertEqual(self.connection.tenant_id, self.sandbox.tenant_id)
        self.assertEqual(self.connection.tenant_name, "Demo Company (Sandbox)")
        self.assertTrue(self.connection.short_code)
        self.assertTrue(self.connection._token().refresh_token)
        self.assertIn("accounting.contacts", self.sandbox.request_log[0]["query"])

    def test_several_organisations_are_offered_to_choose(self):
        second = self.sandbox.add_tenant("Second Org Ltd")
        self.url_open(self.consent(), allow_redirects=False)
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.state, "choose_tenant")
        settings = self.env["res.config.settings"].with_user(self.admin).create({})
        choices = dict(settings._fields["xero_tenant_choice"]._description_selection(settings.env))
        self.assertIn(second, choices)
        settings.xero_tenant_choice = second
        settings.action_xero_choose_tenant()
        self.assertEqual(self.connection.state, "connected")
        self.assertEqual(self.connection.tenant_name, "Second Org Ltd")

    def assert_refused(self, url, words):
        response = self.url_open(url, allow_redirects=False)
        self.assertEqual(response.status_code, 400)
        self.assertIn(words, response.text)
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.state, "disconnected")
        self.assertFalse(self.connection._token())

    def test_forged_state_is_refused_and_nothing_stored(self):
        url = self.consent()
        self.assert_refused(url.replace("state=", "state=x"), "not for this request")

    def test_stale_state_is_refused_and_nothing_stored(self):
        url = self.consent()
        path, query = url.split("?")
        code = dict(p.split("=", 1) for p in query.split("&"))["code"]
        secret = self.env["ir.config_parameter"].get_param("database.secret")
        stale = oauth.sign_state(secret, {"db": self.env.cr.dbname, "conn": self.connection.id, "uid": self.admin.id})
        raw, signature = stale.rsplit(".", 1)
        # Re-sign the same payload with a timestamp from 20 minutes ago.
        import base64
        import hashlib
        import hmac
        import json

        body = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        body["ts"] -= 20 * 60
        raw = base64.urlsafe_b64encode(json.dumps(body, sort_keys=True).encode()).decode().rstrip("=")
        signature = hmac.new(secret.encode(), raw.encode(), hashlib.sha256).hexdigest()
        self.assert_refused(f"{path}?code={code}&state={raw}.{signature}", "expired")

    def test_another_organisation_drops_the_links_to_the_previous_one(self):
        self.url_open(self.consent(), allow_redirects=False)
        self.connection.invalidate_recordset()
        first = self.connection.tenant_id
        contact = self.env["xero.contact"].create(
            {"connection_id": self.connection.id, "xero_id": "c-1", "name": "Old Org Contact"}
        )
        self.connection.with_user(self.admin).action_disconnect()
        self.url_open(self.consent(), allow_redirects=False)  # the same organisation again
        self.assertTrue(contact.exists(), "reconnecting to the same organisation keeps the links")
        second = self.sandbox.add_tenant("Second Org Ltd")
        self.connection.with_user(self.admin).action_disconnect()
        self.url_open(self.consent(), allow_redirects=False)
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.state, "choose_tenant")
        self.connection._choose_tenant(second)
        self.assertNotEqual(first, second)
        self.assertFalse(contact.exists(), "links to another organisation's contacts are dropped")

    def test_disconnect_revokes_at_xero(self):
        self.url_open(self.consent(), allow_redirects=False)
        self.connection.invalidate_recordset()
        refresh_token = self.connection._token().refresh_token
        self.connection.with_user(self.admin).action_disconnect()
        self.assertEqual(self.connection.state, "disconnected")
        self.assertFalse(self.connection._token())
        endpoints = oauth.Endpoints.at(self.sandbox.base_url)
        with self.assertRaises(XeroAuthError):
            oauth.refresh(endpoints, self.sandbox.client_id, self.sandbox.client_secret, refresh_token)


@tagged("post_install", "-at_install")
class TestConnection(XeroCase):
    def test_custom_connection_needs_no_consent(self):
        self.connection._token().unlink()
        self.connection.write({"auth_flow": "client_credentials", "state": "disconnected"})
        self.connection.action_connect()
        self.assertEqual(self.connection.state, "connected")
        self.assertEqual(self.connection.tenant_id, self.sandbox.tenant_id)
        self.assertTrue(self.connection._token().access_token)
        self.assertFalse(self.connection._token().refresh_token)

    def test_todays_api_budget_is_read_from_xero_answers(self):
        self.assertIn("not known yet", self.connection.budget_text)
        self.connection._refresh_organisation()
        self.connection._refresh_organisation()
        self.connection.invalidate_recordset(["day_remaining", "budget_text"])
        calls = len([r for r in self.sandbox.request_log if r["path"].startswith("/api.xro/")])
        self.assertEqual(self.connection.day_remaining, 5000 - calls)
        self.assertEqual(self.connection.budget_text, f"{5000 - calls} calls left today")

    def test_tokens_and_secrets_are_for_administrators_only(self):
        accountant = new_test_user(self.env, "accountant", groups="account.group_account_manager")
        connection = self.connection.with_user(accountant)
        self.assertEqual(connection.tenant_name, "Demo Company (Sandbox)")
        for secret_field in ("client_secret", "client_id"):
            with self.assertRaises(AccessError):
                connection.read([secret_field])
        with self.assertRaises(AccessError):
            self.env["xero.token"].with_user(accountant).search([])

    def test_other_company_sees_nothing(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        user_b = new_test_user(
            self.env,
            "user_b",
            groups="account.group_account_manager",
            company_id=company_b.id,
            company_ids=[(6, 0, company_b.ids)],
        )
        self.env["xero.job"]._enqueue(self.connection, "ping", "Check A")
        self.assertFalse(self.env["xero.connection"].with_user(user_b).search([]))
        self.assertFalse(self.env["xero.job"].with_user(user_b).search([]))
        self.assertTrue(self.env["xero.job"].search([("company_id", "=", self.env.company.id)]))

    def test_neutralization_clears_tokens(self):
        self.connection.accounting_active = True
        self.env.flush_all()
        for query in get_neutralization_queries(["xero_connector"]):
            self.env.cr.execute(query)
        self.env.invalidate_all()
        self.assertFalse(self.connection._token())
        self.assertFalse(self.connection.client_secret)
        self.assertFalse(self.connection.enabled)
        self.assertFalse(self.connection.accounting_active, "a copy never sends invoices")

    def test_identity_key_queues_the_same_work_once(self):
        first = self.env["xero.job"]._enqueue(self.connection, "ping", "Check", identity_key="ping-1")
        second = self.env["xero.job"]._enqueue(self.connection, "ping", "Check", identity_key="ping-1")
        self.assertEqual(first, second)
        first.state = "done"
        third = self.env["xero.job"]._enqueue(self.connection, "ping", "Check", identity_key="ping-1")
        self.assertNotEqual(third, first)

    def test_autovacuum_removes_old_finished_jobs_only(self):
        Job = self.env["xero.job"]
        jobs = {
            state: Job._enqueue(self.connection, "ping", f"Check {state}", identity_key=f"gc-{state}")
            for state in ("done", "cancelled", "failed", "pending")
        }
        for state, job in jobs.items():
            job.state = state
        recent = Job._enqueue(self.connection, "ping", "Recent check", identity_key="gc-recent")
        recent.state = "done"
        self.env.flush_all()
        old = [job.id for job in jobs.values()]
        self.env.cr.execute("UPDATE xero_job SET write_date = now() - interval '31 days' WHERE id = ANY(%s)", [old])
        self.env.cr.execute("UPDATE xero_job SET write_date = now() - interval '1 hour' WHERE id = %s", [recent.id])
        self.env.invalidate_all()
        Job._gc_finished_jobs()
        self.assertFalse(jobs["done"].exists(), "finished a month ago: removed")
        self.assertFalse(jobs["cancelled"].exists())
        self.assertTrue(jobs["failed"].exists(), "a failed job waits for someone to look at it")
        self.assertTrue(jobs["pending"].exists())
        self.assertTrue(recent.exists(), "finished today: kept")
        self.env["ir.config_parameter"].set_param("xero_connector.job_retention_days", 0)
        Job._gc_finished_jobs()
        self.assertFalse(recent.exists(), "the retention is a setting")

    def test_runners_are_a_setting_and_prefer_an_idle_organisation(self):
        Job = self.env["xero.job"]
        self.assertEqual(len(Job._runners()), 2, "two runners by default")
        settings = self.env["res.config.settings"].create({"xero_job_runners": 3})
        settings.execute()
        self.assertEqual(len(Job._runners()), 3)
        self.env["res.config.settings"].create({"xero_job_runners": 1}).execute()
        self.assertEqual(Job._runners(), self.env.ref("xero_connector.ir_cron_xero_jobs"))
        # A runner takes another organisation's job before a second one of a busy organisation.
        company_b = self.env["res.company"].create({"name": "Runner Co B"})
        other = connect(self.env, self.sandbox, company_b)
        busy = Job._enqueue(self.connection, "ping", "Busy")
        waiting = Job._enqueue(self.connection, "ping", "Waiting behind it")
        idle = Job._enqueue(other, "ping", "Other organisation")
        busy.state = "running"
        (busy | waiting | idle).next_try = "2026-01-01 00:00:00"
        self.env.flush_all()
        self.assertEqual(Job._select_due_job(), idle)
        idle.state = "done"
        self.env.flush_all()
        self.assertEqual(Job._select_due_job(), waiting)
