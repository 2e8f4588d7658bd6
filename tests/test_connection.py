import base64
import json
import time
from unittest.mock import patch
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from odoo.exceptions import AccessError, UserError
from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import misc

from odoo.addons.base.models.ir_autovacuum import is_autovacuum
from odoo.addons.xero_connector.models.xero_connection import OAUTH_STATE_SCOPE
from odoo.addons.xero_connector.models.xero_document import NEUTRALIZED_HOLD
from odoo.addons.xero_connector.models.xero_job import XeroJob
from odoo.addons.xero_connector.synchronizers.document_writer import DocumentWriter
from odoo.addons.xero_connector.synchronizers.payment_writer import PaymentWriter
from odoo.addons.xero_connector.xero_connector import oauth
from odoo.addons.xero_connector.xero_connector.errors import XeroAuthError
from odoo.addons.xero_connector.xero_connector.gateway import XeroGateway

from .common import XeroAccountingCase, XeroCase, checking_jobs, connect, enqueue_check, run_queue, start_sandbox


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

    def start_consent(self):
        """Press Connect to Xero, as the web client does (JSON-RPC in the browser's session)."""
        action = self.make_jsonrpc_request(
            "/web/dataset/call_kw/xero.connection/action_connect",
            {"model": "xero.connection", "method": "action_connect", "args": [self.connection.ids], "kwargs": {}},
        )
        self.assertTrue(action["url"].startswith(self.sandbox.authorize_url))
        return action["url"]

    def consent(self):
        """Follow Connect to the consent page; return Xero's redirect back to Odoo."""
        answer = requests.get(self.start_consent(), allow_redirects=False, timeout=10)
        self.assertEqual(answer.status_code, 302)
        back = urlsplit(answer.headers["Location"])
        self.assertEqual(back.path, "/xero/oauth/callback")
        return f"{back.path}?{back.query}"

    def token_requests(self):
        return len([r for r in self.sandbox.request_log if r["path"] == "/connect/token"])

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
        calls = self.token_requests()
        response = self.url_open(url, allow_redirects=False)
        self.assertEqual(response.status_code, 400)
        self.assertIn(words, response.text)
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.state, "disconnected")
        self.assertFalse(self.connection._token())
        self.assertEqual(self.token_requests(), calls, "the code was not even offered to Xero")
        return response

    def test_forged_state_is_refused_and_nothing_stored(self):
        url = self.consent()
        self.assert_refused(url.replace("state=", "state=x"), "not for this request")

    def resign(self, url, scope=OAUTH_STATE_SCOPE, **changes):
        """The callback URL with its state's payload changed and signed again with Odoo's key under `scope`."""
        path, query = url.split("?")
        params = dict(parse_qsl(query))
        raw = params["state"].rsplit(".", 1)[0]
        body = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        body.update(changes)
        raw = base64.urlsafe_b64encode(json.dumps(body, sort_keys=True).encode()).decode().rstrip("=")
        params["state"] = f"{raw}.{misc.hmac(self.env(su=True), scope, raw)}"
        return f"{path}?{urlencode(params)}"

    def test_stale_state_is_refused_and_nothing_stored(self):
        url = self.consent()
        self.assert_refused(self.resign(url, ts=int(time.time()) - 20 * 60), "expired")

    def test_a_state_signed_for_another_purpose_is_refused(self):
        # Odoo's key signs other things (e.g. portal links): only this purpose's signature passes.
        url = self.consent()
        self.assert_refused(self.resign(url, scope="another.purpose"), "not for this request")

    def test_a_state_is_used_once(self):
        url = self.consent()
        self.url_open(url, allow_redirects=False)
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.state, "connected")
        self.connection.with_user(self.admin).action_disconnect()
        self.assert_refused(url, "already used")

    def test_a_state_from_another_browser_session_is_refused(self):
        url = self.consent()  # started in one browser session...
        self.authenticate("admin", "admin")  # ...and brought back in another one (a new session)
        self.assert_refused(url, "another browser session")

    def test_authorization_code_flow_uses_pkce(self):
        url = self.start_consent()
        query = dict(parse_qsl(urlsplit(url).query))
        self.assertEqual(query["code_challenge_method"], "S256")
        self.assertGreaterEqual(len(query["code_challenge"]), 43)
        answer = requests.get(url, allow_redirects=False, timeout=10)
        back = urlsplit(answer.headers["Location"])
        code = dict(parse_qsl(back.query))["code"]
        # A code caught on its way back is worth nothing without the verifier kept in the session.
        endpoints = oauth.Endpoints.at(self.sandbox.base_url)
        with self.assertRaises(XeroAuthError):
            oauth.exchange_code(
                endpoints, self.sandbox.client_id, self.sandbox.client_secret, code, self.connection._redirect_uri()
            )

    def test_another_user_s_callback_shows_and_logs_nothing_of_the_answer(self):
        new_test_user(self.env, "employee", password="employee-password", groups="base.group_user")
        self.authenticate("employee", "employee-password")
        marker = "<b>marker-7f3a</b>"
        with self.assertNoLogs("odoo.addons.xero_connector", "INFO"):
            response = self.url_open(
                f"/xero/oauth/callback?{urlencode({'error': marker, 'code': 'c', 'state': 's'})}",
                allow_redirects=False,
            )
        self.assertEqual(response.status_code, 400)
        self.assertIn("Only a Xero Manager", response.text)
        self.assertNotIn("marker-7f3a", response.text)

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
        enqueue_check(self.env, self.connection, "Check A")
        self.assertFalse(self.env["xero.connection"].with_user(user_b).search([]))
        self.assertFalse(self.env["xero.job"].with_user(user_b).search([]))
        self.assertTrue(self.env["xero.job"].search([("company_id", "=", self.env.company.id)]))

    def test_neutralization_clears_tokens(self):
        self.connection.write(
            {"accounting_active": True, "webhook_key": "key", "push_started": True, "odoo_is_master": True}
        )
        neutralize(self.env)
        self.assertFalse(self.connection._token())
        self.assertFalse(self.connection.client_secret)
        self.assertFalse(self.connection.enabled)
        self.assertFalse(self.connection.accounting_active, "a copy never sends invoices")
        self.assertFalse(self.connection.webhook_key, "a copy takes no webhook delivery")
        self.assertFalse(self.connection.push_started, "a copy pushes no contact")
        self.assertFalse(self.connection.odoo_is_master, "a copy overwrites nothing in Xero")

    def test_consent_outside_a_browser_keeps_its_request_in_the_given_session(self):
        self.connection._token().unlink()
        self.connection.state = "disconnected"
        with self.assertRaisesRegex(UserError, "in the browser"):
            self.connection.action_connect()  # no browser session to keep the request in
        session = {}
        url = self.connection.action_connect(session=session)["url"]
        self.sandbox.auto_consent = True
        back = dict(parse_qsl(urlsplit(requests.get(url, allow_redirects=False, timeout=10).headers["Location"]).query))
        Connection = self.env["xero.connection"]
        with self.assertRaisesRegex(XeroAuthError, "another browser session"):
            Connection._oauth_callback(back["code"], back["state"], {})
        self.assertEqual(Connection._oauth_callback(back["code"], back["state"], session), self.connection)
        self.assertEqual(self.connection.state, "connected")
        with self.assertRaisesRegex(XeroAuthError, "already used"):
            Connection._oauth_callback(back["code"], back["state"], session)

    def test_the_consent_asks_for_exactly_the_scopes_the_features_need(self):
        self.connection.state = "disconnected"
        url = self.connection.action_connect(session={})["url"]
        scopes = dict(parse_qsl(urlsplit(url).query))["scope"].split()
        self.assertEqual(
            scopes,
            [
                "offline_access",
                "accounting.contacts",
                "accounting.invoices",
                "accounting.payments",
                "accounting.settings.read",
            ],
            "granular, read-only settings, no identity scopes",
        )
        self.connection.legacy_scopes = True
        url = self.connection.action_connect(session={})["url"]
        self.assertIn("accounting.transactions", dict(parse_qsl(urlsplit(url).query))["scope"].split())

    def test_identity_key_queues_the_same_work_once(self):
        self.startPatcher(checking_jobs())
        first = enqueue_check(self.env, self.connection, "Check", identity_key="check-1")
        second = enqueue_check(self.env, self.connection, "Check", identity_key="check-1")
        self.assertEqual(first, second)
        run_queue(self.env)
        self.assertEqual(first.state, "done")
        third = enqueue_check(self.env, self.connection, "Check", identity_key="check-1")
        self.assertNotEqual(third, first)

    def test_autovacuum_removes_old_finished_jobs_only(self):
        Job = self.env["xero.job"]
        # Odoo's daily autovacuum calls it (the methods marked @api.autovacuum).
        self.assertTrue(is_autovacuum(type(Job)._gc_finished_jobs))
        self.startPatcher(checking_jobs())

        def check(state, **values):
            return enqueue_check(self.env, self.connection, f"Check {state}", identity_key=f"gc-{state}", **values)

        # Xero keeps failing a check tried once: it fails.
        self.sandbox.inject_fault("503", count=5, path_contains="/Organisation")
        jobs = {"failed": check("failed", max_attempts=1)}
        with patch.object(XeroGateway, "_backoff", staticmethod(lambda attempt: 0)):
            run_queue(self.env)
        jobs["done"] = check("done")
        recent = check("recent")
        run_queue(self.env)
        jobs["cancelled"] = check("cancelled")
        jobs["cancelled"].action_cancel()
        jobs["pending"] = check("pending")
        self.assertEqual({state: job.state for state, job in jobs.items()}, {state: state for state in jobs})
        self.assertEqual(recent.state, "done")
        old = [job.id for job in jobs.values()]
        self.env.cr.execute("UPDATE xero_job SET write_date = now() - interval '31 days' WHERE id = ANY(%s)", [old])
        self.env.cr.execute("UPDATE xero_job SET write_date = now() - interval '1 hour' WHERE id = %s", [recent.id])
        self.env.invalidate_all()
        self.assertEqual(Job._gc_finished_jobs(), (2, 0), "two removed, none left for another call")
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
        self.startPatcher(checking_jobs())
        busy = enqueue_check(self.env, self.connection, "Busy")
        waiting = enqueue_check(self.env, self.connection, "Waiting behind it")
        idle = enqueue_check(self.env, other, "Other organisation")
        # While the runner runs the first job, what would a second runner take?
        seen = []
        run = XeroJob._run

        def look_then_run(job):
            # The runner has claimed this job (committed as running).
            seen.append((job.id, job._select_due_job().id))
            return run(job)

        with patch.object(XeroJob, "_run", look_then_run):
            run_queue(self.env)
        self.assertEqual(seen[0], (busy.id, idle.id), "the idle organisation's job, not the one behind")
        self.assertEqual((busy | waiting | idle).mapped("state"), ["done"] * 3)


def neutralize(env):
    """What `odoo-bin neutralize` does to the addon's tables in a copied database."""
    env.flush_all()
    for query in get_neutralization_queries(["xero_connector"]):
        env.cr.execute(query)
    env.invalidate_all()


@tagged("post_install", "-at_install")
class TestNeutralizedCopy(XeroAccountingCase):
    def test_a_copy_has_nothing_left_to_write_to_xero(self):
        paid = self.invoice()
        self.start()
        self.pay(paid)
        changed = self.invoice(lines=[("Audit", 1, 500.0, self.gst)])
        self.send()
        Document, Payment = self.env["xero.document"], self.env["xero.payment"]
        [payment] = Payment.search([("connection_id", "=", self.connection.id)])
        self.assertEqual((paid.xero_state, changed.xero_state, payment.state), ("sent", "sent", "sent"))
        # In production, just before the copy: a void, a deletion, an update and a new invoice are pending.
        paid.button_cancel()
        changed.button_draft()
        changed.invoice_line_ids.price_unit = 550.0
        changed.action_post()
        new = self.invoice(lines=[("Training", 2, 80.0, self.gst)])
        DocumentWriter(self.connection).discover()  # what the sending job does first
        self.assertEqual(
            (paid.xero_state, changed.xero_state, new.xero_state, payment.state),
            ("to_void", "to_update", "to_send", "to_delete"),
        )

        neutralize(self.env)

        bindings = Document.search([("connection_id", "=", self.connection.id)])
        self.assertFalse(bindings.filtered(lambda d: d.state in ("to_send", "to_update", "to_void")))
        self.assertFalse(Payment.search([("state", "in", ("to_send", "to_delete"))]))
        self.assertEqual(DocumentWriter(self.connection).count_to_do(), 0, "nothing pending")
        held = paid.xero_document_ids | changed.xero_document_ids | new.xero_document_ids
        for record in (*held, payment):
            self.assertEqual(record.state, "blocked")
            self.assertIn(NEUTRALIZED_HOLD, record.error)
        self.assertIn("neutralized copy", paid.xero_error, "the invoice says why")
        # A mapping fixed in the copy releases what waited for a mapping, not this.
        self.connection._requeue_blocked()
        self.assertEqual(set(held.mapped("state")) | {payment.state}, {"blocked"})

        # Sending them again is a deliberate act, and does what was pending: the void stays a void,
        # the deletion a deletion (never a second payment), the update an update.
        paid.xero_document_ids.action_send_again()
        changed.xero_document_ids.action_send_again()
        self.assertEqual((paid.xero_state, changed.xero_state, payment.state), ("to_void", "to_update", "to_delete"))

    def test_a_payment_held_back_by_a_copy_is_sent_again_from_its_document(self):
        move = self.invoice()
        self.start()
        self.send()
        self.pay(move)
        PaymentWriter(self.connection).discover()
        payment = move.xero_document_ids.payment_ids
        self.assertEqual((move.xero_state, payment.state), ("sent", "to_send"))
        neutralize(self.env)
        self.assertEqual((move.xero_state, payment.state), ("sent", "blocked"))
        move.xero_document_ids.action_send_again()  # Contacts > Xero > Invoices and credit notes: Send again
        self.assertEqual((move.xero_state, payment.state, payment.error), ("sent", "to_send", False))
