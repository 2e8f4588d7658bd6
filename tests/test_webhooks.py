import json

from odoo.tests import HttpCase, tagged

from odoo.addons.xero_connector.xero_connector import webhooks

from .common import XeroCase, connect, run_queue

KEY_A = "webhook-key-from-xero"
KEY_B = "company-b-webhook-key"


@tagged("post_install", "-at_install")
class TestWebhooks(XeroCase, HttpCase):
    """Xero's change notifications at /xero/webhooks, as Xero (or anyone on the Internet) posts them."""

    def setUp(self):
        super().setUp()
        self.connection.webhook_key = KEY_A
        self.fetch_jobs().unlink()
        self.body = self.delivery(self.event(self.sandbox.tenant_id, "x"))

    @staticmethod
    def event(tenant_id, resource_id, when="2026-12-01T10:00:00.000", category="CONTACT"):
        return {
            "tenantId": tenant_id,
            "eventCategory": category,
            "eventType": "UPDATE",
            "resourceId": resource_id,
            "eventDateUtc": when,
            "resourceUrl": f"https://api.xero.com/api.xro/2.0/Contacts/{resource_id}",
        }

    @staticmethod
    def delivery(*events):
        return json.dumps({"events": list(events), "firstEventSequence": 1, "lastEventSequence": len(events)}).encode()

    def post(self, signature, body=None, **headers):
        headers = {"Content-Type": "application/json", **headers}
        if signature is not None:
            headers["x-xero-signature"] = signature
        return self.url_open("/xero/webhooks", data=self.body if body is None else body, headers=headers)

    def post_signed(self, body, key=KEY_A):
        return self.post(webhooks.signature(key, body), body)

    def fetch_jobs(self, connection=None):
        return self.env["xero.job"].search(
            [("kind", "=", "contacts_fetch"), ("connection_id", "=", (connection or self.connection).id)]
        )

    def test_signed_delivery_queues_a_contacts_read(self):
        response = self.post_signed(self.body)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self.fetch_jobs()), 1)

    def test_xero_s_intent_to_receive_is_answered(self):
        # Xero checks a new webhook with an empty delivery: 200 signed, 401 otherwise.
        empty = self.delivery()
        self.assertEqual(self.post_signed(empty).status_code, 200)
        self.assertEqual(self.post_signed(empty, key="not-the-key").status_code, 401)
        self.assertFalse(self.fetch_jobs())

    def test_badly_signed_delivery_is_refused(self):
        response = self.post(webhooks.signature("someone-else", self.body))
        self.assertEqual(response.status_code, 401)
        self.assertEqual(self.post("").status_code, 401)
        self.assertFalse(self.fetch_jobs())

    def test_missing_malformed_or_non_ascii_signature_is_refused_not_an_error(self):
        good = webhooks.signature(KEY_A, self.body)
        for signature in (
            None,  # no header at all
            "not base64 !",
            good[:-4],
            good + "AAAA",
            "é" + good[1:],  # latin-1 on the wire
            ("✓" + good[1:]).encode(),  # UTF-8 bytes on the wire
        ):
            with self.subTest(signature=signature):
                self.assertEqual(self.post(signature).status_code, 401)
        self.assertFalse(self.fetch_jobs())

    def test_a_body_over_one_mebibyte_is_refused_unread(self):
        padding = "x" * webhooks.MAX_BODY
        big = self.delivery(dict(self.event(self.sandbox.tenant_id, "x"), padding=padding))
        self.assertGreater(len(big), webhooks.MAX_BODY)
        response = self.post_signed(big)  # even correctly signed
        self.assertEqual(response.status_code, 413)
        # Without a Content-Length (chunked), no more than the limit is read either.
        chunks = (big[i : i + 65536] for i in range(0, len(big), 65536))
        response = self.post(webhooks.signature(KEY_A, big), chunks)
        self.assertEqual(response.status_code, 413)
        self.assertFalse(self.fetch_jobs())
        # A delivery of ordinary size still goes through, chunked too.
        self.assertEqual(self.post(webhooks.signature(KEY_A, self.body), iter([self.body])).status_code, 200)
        self.assertEqual(len(self.fetch_jobs()), 1)

    def test_a_key_only_vouches_for_its_own_organisation(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        tenant_b = self.sandbox.add_tenant("Company B Ltd")
        connection_b = connect(self.env, self.sandbox, company=company_b)
        connection_b.write({"tenant_id": tenant_b, "webhook_key": KEY_B})
        self.fetch_jobs(connection_b).unlink()
        # Signed with A's key (A's app, or someone holding A's key), about B's organisation.
        body = self.delivery(self.event(tenant_b, "b-contact"))
        self.assertEqual(self.post_signed(body, key=KEY_A).status_code, 200)
        self.assertFalse(self.fetch_jobs(connection_b), "A's key queues nothing for B")
        self.assertFalse(self.fetch_jobs(), "nor for A, whose organisation is not in it")
        # B's own key does.
        self.assertEqual(self.post_signed(body, key=KEY_B).status_code, 200)
        self.assertEqual(len(self.fetch_jobs(connection_b)), 1)
        self.assertFalse(self.fetch_jobs())

    def test_one_app_for_several_companies_each_gets_its_own_events(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        tenant_b = self.sandbox.add_tenant("Company B Ltd")
        connection_b = connect(self.env, self.sandbox, company=company_b)
        connection_b.write({"tenant_id": tenant_b, "webhook_key": KEY_A})  # the same Xero app
        self.fetch_jobs(connection_b).unlink()
        body = self.delivery(self.event(tenant_b, "b-contact"))
        self.assertEqual(self.post_signed(body).status_code, 200)
        self.assertEqual(len(self.fetch_jobs(connection_b)), 1)
        self.assertFalse(self.fetch_jobs())

    def test_a_replayed_delivery_queues_no_new_job(self):
        self.assertEqual(self.post_signed(self.body).status_code, 200)
        job = self.fetch_jobs()
        self.assertEqual(len(job), 1)
        run_queue(self.env)  # the read has been made since
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(self.post_signed(self.body).status_code, 200, "Xero expects 200 to a replay too")
        self.assertEqual(self.fetch_jobs(), job, "a replay queues no new job")
        # A delivery with a new event among old ones does.
        tenant = self.sandbox.tenant_id
        newer = self.delivery(self.event(tenant, "x"), self.event(tenant, "x", when="2026-12-01T10:05:00.000"))
        self.assertEqual(self.post_signed(newer).status_code, 200)
        self.assertEqual(len(self.fetch_jobs()), 2)

    def test_events_of_other_kinds_queue_no_contacts_read(self):
        body = self.delivery(self.event(self.sandbox.tenant_id, "inv-1", category="INVOICE"))
        self.assertEqual(self.post_signed(body).status_code, 200)
        self.assertFalse(self.fetch_jobs())
