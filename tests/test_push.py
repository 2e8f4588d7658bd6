from unittest.mock import patch

import requests

from odoo.tests import tagged

from odoo.addons.xero_connector.synchronizers.contact_writer import ContactWriter

from .common import XeroCase, run_queue


@tagged("post_install", "-at_install")
class TestPush(XeroCase):
    def setUp(self):
        super().setUp()
        # The partners made here are the company's own: a shared partner (no company) is pushed
        # only in a database of one company, and classes that commit leave companies behind.
        self.env = self.env(context=dict(self.env.context, default_company_id=self.env.company.id))
        # Only the partners of each test are pushed.
        self.env["res.partner"].search(self.connection._push_domain()).xero_do_not_sync = True

    def push(self):
        job = self.connection._enqueue_contacts_push()
        run_queue(self.env)
        self.assertEqual(job.state, "done", job.error)
        return job

    def group_members(self, name):
        token = self.sandbox.issue_token()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "xero-tenant-id": self.sandbox.tenant_id}
        groups = requests.get(f"{self.sandbox.accounting_url}/ContactGroups", headers=headers, timeout=10).json()
        group = next(g for g in groups["ContactGroups"] if g["Name"] == name)
        detail = requests.get(
            f"{self.sandbox.accounting_url}/ContactGroups/{group['ContactGroupID']}", headers=headers, timeout=10
        ).json()
        return {c["ContactID"] for c in detail["ContactGroups"][0].get("Contacts") or []}

    def binding(self, partner):
        return self.env["xero.contact"].search([("partner_id", "in", partner.ids)])

    def xero_calls(self, method="POST", path="/Contacts"):
        return [r for r in self.sandbox.request_log if r["method"] == method and r["path"].endswith(path)]

    def test_1000_partners_go_to_xero_into_two_groups(self):
        Partner = self.env["res.partner"]
        customers = Partner.create(
            [{"name": f"Push Customer {n:04d}", "customer_rank": 1, "city": "Wellington"} for n in range(600)]
        )
        suppliers = Partner.create([{"name": f"Push Supplier {n:04d}", "supplier_rank": 1} for n in range(400)])
        job = self.push()
        self.assertEqual(job.progress_total, 1000)
        self.assertEqual(len(self.xero_calls()), 20, "50 contacts a request")
        for partner in customers[:3] | suppliers[-3:]:
            self.assertEqual(self.sandbox.count_contacts_named(partner.name), 1)
        self.assertEqual(self.group_members("Odoo Customers"), set(self.binding(customers).mapped("xero_id")))
        self.assertEqual(self.group_members("Odoo Suppliers"), set(self.binding(suppliers).mapped("xero_id")))
        self.assertEqual(len(self.binding(customers | suppliers)), 1000)
        self.assertFalse((customers | suppliers).xero_difference_ids)

    def test_one_invalid_partner_fails_alone(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Batch Partner {n:02d}", "customer_rank": 1} for n in range(50)]
        )
        partners[7].email = "not an email"
        self.push()
        self.assertEqual(len(self.xero_calls()), 1)
        self.assertIn('Xero refused contact "Batch Partner 07" (field EmailAddress)', partners[7].xero_push_error)
        self.assertFalse(self.binding(partners[7]))
        self.assertEqual(len(self.binding(partners - partners[7])), 49)
        self.assertFalse(any((partners - partners[7]).mapped("xero_push_error")))

    def test_existing_xero_contact_is_linked_not_created_again(self):
        partner = self.env["res.partner"].create(
            {"name": "Bayside Club Incorporated", "vat": "111 222 333", "customer_rank": 1}
        )
        self.push()
        self.assertEqual(self.binding(partner).name, "Bayside Club")
        self.assertEqual(self.sandbox.count_contacts_named("Bayside Club Incorporated"), 0)
        self.assertEqual(self.sandbox.count_contacts_named("Bayside Club"), 1)

    def test_same_names_get_a_documented_suffix(self):
        napier = self.env["res.partner"].create({"name": "Boom FM", "city": "Napier", "customer_rank": 1})
        twins = self.env["res.partner"].create(
            [
                {"name": "Twin Traders", "city": "Nelson", "customer_rank": 1},
                {"name": "Twin Traders", "city": "Nelson", "supplier_rank": 1},
            ]
        )
        self.push()
        self.assertEqual(self.binding(napier).name, "Boom FM (Napier)")
        self.assertEqual(self.binding(twins[0]).name, "Twin Traders")
        self.assertEqual(self.binding(twins[1]).name, "Twin Traders (Nelson)")
        self.assertFalse(napier.xero_difference_ids, "the suffix is not a difference")
        self.assertIn('Created in Xero as "Boom FM (Napier)"', napier.message_ids[0].body)
        self.assertEqual(napier.xero_name, "Boom FM (Napier)")

    def test_do_not_sync_keeps_a_partner_out(self):
        kept_out = self.env["res.partner"].create(
            {"name": "Private Customer", "customer_rank": 1, "xero_do_not_sync": True}
        )
        self.push()
        self.assertFalse(self.binding(kept_out))
        self.assertEqual(self.sandbox.count_contacts_named("Private Customer"), 0)

    def test_linked_partners_are_updated_not_created(self):
        self.push()  # nothing to push yet; reads Xero
        bayside = self.env["xero.contact"].search([("name", "=", "Bayside Club")])
        bayside.action_import()
        partner = bayside.partner_id
        partner.write({"customer_rank": 1, "email": "accounts@bayside.example"})
        self.push()
        xero = next(c for c in self.sandbox.contacts() if c["ContactID"] == bayside.xero_id)
        self.assertEqual(xero["EmailAddress"], "accounts@bayside.example")
        self.assertEqual(self.sandbox.count_contacts_named("Bayside Club"), 1)
        self.assertIn(bayside.xero_id, self.group_members("Odoo Customers"))
        self.assertIn("Email: bob@baysideclub.example → accounts@bayside.example", partner.message_ids[0].body)

    def test_later_changes_are_gathered_when_odoo_is_the_master(self):
        self.connection.write({"odoo_is_master": True, "push_started": True})
        self.env["xero.job"].search([("kind", "=", "contacts_push")]).unlink()
        partner = self.env["res.partner"].create({"name": "New Customer", "customer_rank": 1})
        partner.email = "new@customer.example"
        partner.phone = "+64 4 000 0000"
        jobs = self.env["xero.job"].search([("kind", "=", "contacts_push"), ("state", "=", "pending")])
        self.assertEqual(len(jobs), 1, "one job gathers every change")
        self.assertFalse(self.xero_calls(), "nothing is sent from the user's transaction")

    def test_a_read_of_xero_at_the_same_time_adds_no_second_binding(self):
        partner = self.env["res.partner"].create({"name": "Racing Customer", "customer_rank": 1})
        original = ContactWriter._outbox_record

        def read_meanwhile(writer, batch, partners, answers, partial=False):
            # Another worker reads Xero between the creation and this step's bookkeeping.
            batch.connection_id._enqueue_contacts_fetch()
            run_queue(batch.env)
            return original(writer, batch, partners, answers, partial)

        with patch.object(ContactWriter, "_outbox_record", read_meanwhile):
            self.push()
        bindings = self.env["xero.contact"].search([("name", "=", "Racing Customer")])
        self.assertEqual(len(bindings), 1)
        self.assertEqual(bindings.partner_id, partner)

    def test_archived_contacts_stay_out_of_the_groups(self):
        # Xero refuses a whole group request naming an archived contact ("Unable to assign
        # an Archived contact."): those are left out, and only they fail.
        partners = self.env["res.partner"].create(
            [{"name": f"Group Customer {n}", "customer_rank": 1} for n in range(3)]
        )
        self.push()
        first, second, third = (self.binding(p) for p in partners)
        self.assertEqual(self.group_members("Odoo Customers"), {first.xero_id, second.xero_id, third.xero_id})
        self.sandbox.update_contact(second.xero_id, ContactStatus="ARCHIVED")
        self.push()  # reads Xero first: the archived contact is known and left out
        self.assertEqual(second.xero_status, "ARCHIVED")
        self.assertFalse(any(partners.mapped("xero_push_error")))
        original = ContactWriter.plan_groups

        def archive_meanwhile(writer, job, payload):
            # Archived in Xero after this push read it: Xero refuses the group request.
            original(writer, job, payload)
            self.sandbox.update_contact(third.xero_id, ContactStatus="ARCHIVED")

        late = self.env["res.partner"].create({"name": "Group Customer late", "customer_rank": 1})
        with patch.object(ContactWriter, "plan_groups", archive_meanwhile):
            job = self.push()
        self.assertIn(self.binding(late).xero_id, self.group_members("Odoo Customers"))
        self.assertIn("archived in Xero", partners[2].xero_push_error)
        self.assertFalse(partners[0].xero_push_error or late.xero_push_error)
        self.assertEqual(third.xero_status, "ARCHIVED")
        self.assertEqual(job.state, "done")

    def test_answers_in_another_order_land_each_on_its_own_partner(self):
        # Xero does not promise a batch's answers in the request's order: matched by id or name.
        self.push()  # nothing to push yet; reads Xero
        bayside = self.env["xero.contact"].search([("name", "=", "Bayside Club")])
        bayside.action_import()
        bayside.partner_id.write({"customer_rank": 1, "email": "accounts@bayside.example"})
        fresh = self.env["res.partner"].create(
            [{"name": f"Shuffled Customer {n}", "customer_rank": 1} for n in range(3)]
        )
        self.sandbox.shuffle_write_answers(count=5)
        self.push()
        xero = {c["ContactID"]: c for c in self.sandbox.contacts()}
        for partner in fresh | bayside.partner_id:
            binding = self.binding(partner)
            self.assertEqual(xero[binding.xero_id]["Name"], partner.name)
            self.assertFalse(partner.xero_push_error)
        self.assertEqual(xero[bayside.xero_id]["EmailAddress"], "accounts@bayside.example")
