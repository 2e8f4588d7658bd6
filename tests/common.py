import sys
import threading
import time
import traceback
import uuid
from collections import Counter
from unittest.mock import patch

import requests

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.modules.registry import Registry
from odoo.orm.environments import Transaction
from odoo.tests import BaseCase, TransactionCase, get_db_name
from odoo.tests.test_cursor import TestCursor
from odoo.tools import SQL

from odoo.addons.xero_connector import synchronizers
from odoo.addons.xero_connector.models.xero_job import STALE_AFTER
from odoo.addons.xero_connector.synchronizers.contact_reader import ContactReader
from odoo.addons.xero_connector.synchronizers.reference_reader import ReferenceReader
from odoo.addons.xero_connector.xero_connector import oauth
from odoo.addons.xero_connector.xero_sandbox import XeroSandbox


def start_sandbox(case_class, **options):
    """A real Xero sandbox on 127.0.0.1 for the whole test class."""
    # Every answer is checked against Xero's description (see XeroCase.tearDown).
    sandbox = XeroSandbox(port=0, check_responses=True, **options)
    sandbox.start()
    case_class.addClassCleanup(sandbox.stop)
    case_class.addClassCleanup(_check_answers, sandbox)  # classes without XeroCase's per-test check
    return sandbox


def _check_answers(sandbox):
    broken = sandbox.response_violations
    if broken:
        raise AssertionError(f"sandbox answers that break Xero's OpenAPI description: {broken[:3]}")


def connect(env, sandbox, company=None, tenant_id=None):
    """Connect `company` to the sandbox (to organisation `tenant_id`) as if the consent had been given."""
    connection = env["xero.connection"]._for_company(company or env.company)
    connection.sudo().write(
        {
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "service_url": sandbox.base_url,
            "tenant_id": tenant_id or sandbox.tenant_id,
            "tenant_name": "Demo Company (Sandbox)",
            "state": "connected",
        }
    )
    give_token(connection, sandbox)
    return connection


def give_token(connection, sandbox, expires_at=None):
    """Store a fresh sandbox token (for the connection's organisation) on it; return its refresh token."""
    token = sandbox.issue_token(tenant_ids=[connection.tenant_id] if connection.tenant_id else None)
    connection._store_token(
        oauth.Token(
            access_token=token["access_token"],
            refresh_token=token["refresh_token"],
            expires_at=time.time() + 1800 if expires_at is None else expires_at,
            scope=token["scope"],
        )
    )
    return token["refresh_token"]


# The queue's own tests need work that makes one call to Xero (where a fault can be put):
# jobs of a real kind, marked in their payload, whose step `checking_jobs` replaces.
CHECK_KIND = "contacts_fetch"


def enqueue_check(env, connection, name, **values):
    """Queue a check job: under `checking_jobs`, its one step reads the organisation from Xero."""
    return env["xero.job"]._enqueue(connection, CHECK_KIND, name, payload={"check": True}, **values)


def check_step(job):
    """A check job's step: one call to Xero (the organisation), then finished."""
    job.connection_id._refresh_organisation()
    job.progress_total = job.progress_done = 1
    return True


def checking_jobs():
    """A patcher: check jobs run `check_step`, every other job its kind's own steps."""
    job_step = synchronizers.job_step
    return patch.object(
        synchronizers, "job_step", lambda job: check_step if (job.payload or {}).get("check") else job_step(job)
    )


def run_queue(env, wait=False, rounds=20, passed=None):
    """Run the queue to the end, as the cron *Xero: run queued jobs* does: the real runner
    (`xero.job` `_cron_run`, as the cron's user) claims each due job, runs its steps, commits
    after each, rolls back and records a failure, and queues the retry.

    Inside a test's one transaction the registry is in test mode: the runner's cursor is a
    test cursor, whose commit and rollback are savepoints of that transaction, so a failed
    step is undone as in production and nothing reaches the database for good. The one thing
    a single transaction cannot do is change its isolation level (the runner asks READ
    COMMITTED to skip rows another worker locked; there is no other worker here): that
    statement alone is left out.

    passed: before the run, this much time has passed (a timedelta; True: until every waiting
    job's next try): the jobs whose wait ends within it are due. A job that fails in the run
    then waits for its retry, unless `wait` is given.

    wait: time passes, as if the clock moved on, until nothing is left to do or retry (at most
    `rounds` runs): the waits the jobs were given (the posting delay, a retry's back-off) end,
    and a job whose worker died (a test interrupted the runner) is taken over once its worker
    has been silent long enough. A pause Xero asked for (429) is kept in the organisation's
    budget by a transaction of its own: inside the test's one transaction the runner's rollback
    undoes it too, so 429s are tested with real cursors (tests/test_queue.py).
    """
    env.flush_all()
    if passed:
        _time_passes(env, within=None if passed is True else passed, workers_died=False)
    try:
        for _round in range(rounds):
            with env.registry.cursor() as cr:
                assert isinstance(cr, TestCursor), "run_queue commits: only in a test transaction (registry test mode)"
                execute = cr.execute

                def one_transaction(query, *args, execute=execute, **kwargs):
                    if str(query).lstrip().upper().startswith("SET TRANSACTION ISOLATION LEVEL"):
                        return None
                    return execute(query, *args, **kwargs)

                with patch.object(cr, "execute", one_transaction):
                    api.Environment(cr, SUPERUSER_ID, {})["xero.job"]._cron_run()
            env.invalidate_all()
            if not wait or not _time_passes(env):
                return
    finally:
        env.invalidate_all()


def _time_passes(env, within=None, workers_died=True):
    """The clock moves on past every wait of a job still to do (only the waits ending `within`
    this long, if given); True if any was waiting. workers_died: a running job's worker has
    been silent since (no runner runs between two runs here)."""
    now = fields.Datetime.now()
    query = "UPDATE xero_job SET next_try = %s WHERE state = 'pending' AND next_try > %s"
    params = [now, now]
    if within is not None:
        query += " AND next_try <= %s"
        params.append(now + within)
    env.cr.execute(query + " RETURNING id", params)
    waiting = env.cr.fetchall()
    if workers_died:
        # No runner is running between two runs here: a running job's worker died.
        env.cr.execute(
            "UPDATE xero_job SET heartbeat = %s WHERE state = 'running' RETURNING id", [now - STALE_AFTER * 2]
        )
        waiting += env.cr.fetchall()
    env.invalidate_all()
    return bool(waiting)


class XeroCase(TransactionCase):
    """A company connected to a demo-seeded sandbox."""

    sandbox_seed = "demo"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Token refreshes and the rate budget use short transactions of their
        # own: in test mode those share (and never commit) the test's one.
        if not cls._registry_patched:  # an HttpCase has done it already
            cls.registry_enter_test_mode_cls()
        cls.sandbox = start_sandbox(cls, seed=cls.sandbox_seed)

    def setUp(self):
        super().setUp()
        self.sandbox.reset(seed=self.sandbox_seed)
        self.connection = connect(self.env, self.sandbox)
        self.addCleanup(self.assert_sandbox_answers_fit_xero)

    def assert_sandbox_answers_fit_xero(self):
        """The sandbox answered nothing Xero's OpenAPI description says Xero never answers."""
        broken = self.sandbox.response_violations
        self.sandbox.clear_response_violations()
        self.assertFalse(broken, "sandbox answers that break Xero's OpenAPI description")


def stuck_threads_report():
    """Where every other thread stands: said when a thread of a test does not end."""
    frames = sys._current_frames()
    return "\n".join(
        f"--- {t.name}\n" + "".join(traceback.format_stack(frames[t.ident]))
        for t in threading.enumerate()
        if t.ident in frames and t is not threading.current_thread()
    )


class RealCursorCase(BaseCase):
    """Tests whose work commits in transactions of its own (the runner, workers, threads):
    their data is committed, so the workers' own transactions see it.

    One company connected to its own sandbox for the class; what the class
    made for it (jobs, contacts, the connection, its budget) is removed after,
    and its partners are never pushed by a later class. Subclasses set
    `sandbox_options`, `company_prefix`, `remove_company` and may override
    `_make_company` and `_set_up_connection`.
    """

    sandbox_options = {"seed": "demo"}
    company_prefix = "Xero Test Co"
    # A company left behind makes every later class's database one of several companies.
    remove_company = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        cls.sandbox = start_sandbox(cls, **cls.sandbox_options)
        with cls.registry.cursor() as cr:
            env = cls._env(cr)
            company = cls._make_company(env, f"{cls.company_prefix} {uuid.uuid4().hex[:8]}")
            cls.company_id = company.id
            connection = connect(env(context={"allowed_company_ids": company.ids}), cls.sandbox, company)
            cls.connection_id = connection.id
            cls._set_up_connection(connection)
            cr.commit()  # pylint: disable=invalid-commit
        cls.addClassCleanup(cls._cleanup)

    @classmethod
    def _make_company(cls, env, name):
        return env["res.company"].create({"name": name})

    @classmethod
    def _set_up_connection(cls, connection):
        """What the whole class shares (mappings, imported partners...), committed with the connection."""

    @classmethod
    def _env(cls, cr, uid=SUPERUSER_ID, company_id=None):
        # The test runner holds the registry's lock: a worker thread must not
        # look the registry up by name, so its transaction is set here.
        if cr.transaction is None:
            cr.transaction = Transaction(cls.registry)
        return api.Environment(cr, uid, {"allowed_company_ids": [company_id]} if company_id else {})

    @classmethod
    def _cleanup(cls):
        with cls.registry.cursor() as cr:
            env = cls._env(cr)
            env["xero.job"].search([("connection_id", "=", cls.connection_id)]).unlink()
            env["xero.contact"].search([("connection_id", "=", cls.connection_id)]).unlink()
            env["res.partner"].search([("company_id", "=", cls.company_id)]).xero_do_not_sync = True
            env["xero.connection"].browse(cls.connection_id).unlink()
            env["xero.rate.budget"].search([("tenant_id", "=", cls.sandbox.tenant_id)]).unlink()
            env["ir.config_parameter"].set_param("xero_connector.job_stale_seconds", False)
            if cls.remove_company:
                env["res.company"].browse(cls.company_id).unlink()
            cr.commit()  # pylint: disable=invalid-commit

    def env_of(self, cr, uid=SUPERUSER_ID):
        return self._env(cr, uid)

    def connection(self, cr):
        return self.env_of(cr)["xero.connection"].browse(self.connection_id)

    def start_connected(self, **token):
        """The demo sandbox; this company connected with a fresh token (`give_token(**token)`), no
        budget, jobs, contacts or outbox left by the test before; jobs that check the connection
        (`enqueue_check`) run as such. Returns the refresh token."""
        self.startPatcher(checking_jobs())
        self.sandbox.reset(seed="demo")
        with self.registry.cursor() as cr:
            connection = self.connection(cr)
            connection.state = "connected"
            refresh_token = give_token(connection, self.sandbox, **token)
            cr.execute("DELETE FROM xero_rate_budget")
            for table in ("xero_job", "xero_contact", "xero_outbox"):
                cr.execute(SQL("DELETE FROM %s WHERE connection_id = %s", SQL.identifier(table), self.connection_id))
            cr.commit()  # pylint: disable=invalid-commit
        return refresh_token


def setup_nz_company(env, name="Xero NZ Test Ltd"):
    """A company kept in NZD (the sandbox organisation's currency) with Odoo's generic chart of accounts."""
    company = env["res.company"].create(
        {"name": name, "currency_id": env.ref("base.NZD").id, "country_id": env.ref("base.nz").id}
    )
    env.user.company_ids |= company
    env["account.chart.template"].try_loading("generic_coa", company=company, install_demo=False)
    # The generic chart brings USD: the company's own currency wins, as in Odoo's tests.
    company.write({"currency_id": env.ref("base.NZD").id, "tax_calculation_rounding_method": "round_per_line"})
    return company


class XeroAccountingCase(XeroCase):
    """A New Zealand company with a chart of accounts, connected to the demo sandbox,
    its accounts, taxes and bank journal mapped to Xero's, and two customers:
    Bayside Club (linked to its Xero contact) and a customer Xero does not know."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = setup_nz_company(cls.env)
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[company.id]))
        cls.company = company
        env = cls.env
        env.ref("base.AUD").active = True
        env["res.currency.rate"].create(
            {"name": "2026-01-01", "currency_id": env.ref("base.AUD").id, "rate": 0.9, "company_id": company.id}
        )
        Tax = env["account.tax"]
        cls.gst = Tax.search([("company_id", "=", company.id), ("type_tax_use", "=", "sale"), ("amount", "=", 15)])[:1]
        cls.exempt = Tax.create({"name": "Exempt sales", "amount": 0, "type_tax_use": "sale", "company_id": company.id})
        cls.gst_included = Tax.create(
            {
                "name": "GST 15% included",
                "amount": 15,
                "type_tax_use": "sale",
                "price_include_override": "tax_included",
                "company_id": company.id,
            }
        )
        Account = env["account.account"].with_company(company)
        cls.sales = Account.search([("company_ids", "in", company.id), ("account_type", "=", "income")], limit=1)
        cls.bank = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
        cls.sale_journal = env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "sale")], limit=1
        )

    def setUp(self):
        super().setUp()
        # The start of the sandbox's demo organisation, as an accountant would set it up.
        ReferenceReader(self.connection).read_reference()
        xero = {a.code: a for a in self.connection.xero_account_ids}
        rates = {r.tax_type: r for r in self.connection.xero_tax_rate_ids}
        self.connection.account_mapping_ids.filtered(lambda m: m.account_id == self.sales).xero_account_id = xero["200"]
        for mapping in self.connection.tax_mapping_ids:
            mapping.xero_tax_rate_id = rates["EXEMPTOUTPUT" if mapping.tax_id == self.exempt else "OUTPUT"]
        self.connection.journal_mapping_ids.filtered(lambda m: m.journal_id == self.bank).xero_account_id = xero["090"]
        contacts = self.env["xero.contact"]
        ContactReader(self.connection.with_env(contacts.env)).fetch_changes()
        self.bayside_contact = contacts.search(
            [("connection_id", "=", self.connection.id), ("name", "=", "Bayside Club")]
        )
        self.bayside_contact.action_import()
        self.bayside = self.bayside_contact.partner_id
        self.newcomer = self.env["res.partner"].create(
            {"name": "Kiwi Newcomer Ltd", "email": "accounts@newcomer.example", "company_id": self.company.id}
        )

    # -- helpers --------------------------------------------------------------------

    def invoice(self, partner=None, lines=None, date="2026-11-10", move_type="out_invoice", currency=None, post=True):
        """A customer invoice (or credit note); `lines` are (label, quantity, price, taxes[, discount])."""
        lines = lines or [("Consulting", 3, 150.0, self.gst)]
        move = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": (partner or self.bayside).id,
                "invoice_date": date,
                "journal_id": self.sale_journal.id,
                "currency_id": (currency or self.company.currency_id).id,
                "invoice_line_ids": [
                    invoice_line(label, quantity, price, taxes, *rest, account=self.sales)
                    for label, quantity, price, taxes, *rest in lines
                ],
            }
        )
        if post:
            move.action_post()
        return move

    def pay(self, move, amount=None, date="2026-11-20", journal=None):
        """Register a payment of `move` in Odoo (the whole amount unless said), as an accountant does."""
        wizard = self.env["account.payment.register"].with_context(active_model="account.move", active_ids=move.ids)
        values = {"journal_id": (journal or self.bank).id, "payment_date": date}
        if amount is not None:
            values["amount"] = amount
        return wizard.create(values)._create_payments()

    def start(self, start_date="2026-01-01"):
        """Set the start date, preview, confirm: what an accountant does in Settings > Xero."""
        self.connection.accounting_start_date = start_date
        action = self.connection.action_accounting_preview()
        preview = self.env["xero.accounting.preview"].browse(action["res_id"])
        preview.action_confirm()
        return preview

    def send(self):
        """Let the queued sending run to its end (the posting delay over), as the job runner does."""
        job = self.env["xero.job"].search(
            [("kind", "=", "accounting_push"), ("connection_id", "=", self.connection.id)], limit=1
        )
        job = job or self.connection._enqueue_accounting_push()
        run_queue(self.env, wait=True)
        return job

    def xero(self, kind="Invoices"):
        """What the sandbox organisation holds, as Xero's API lists it (with lines)."""
        token = self.sandbox.issue_token()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "xero-tenant-id": self.sandbox.tenant_id}
        url = f"{self.sandbox.accounting_url}/{kind}?page=1&pageSize=1000"
        answer = requests.get(url, headers=headers, timeout=10)
        self.assertEqual(answer.status_code, 200, answer.text)
        return answer.json()[kind]

    def xero_numbers(self, kind="Invoices"):
        """How many documents Xero holds under each number."""
        field = "InvoiceNumber" if kind == "Invoices" else "CreditNoteNumber"
        return Counter(doc.get(field) for doc in self.xero(kind))

    def xero_named(self, number, kind="Invoices"):
        field = "InvoiceNumber" if kind == "Invoices" else "CreditNoteNumber"
        return [doc for doc in self.xero(kind) if doc.get(field) == number]


def invoice_line(label, quantity, price, taxes, discount=0.0, account=None):
    return Command.create(
        {
            "name": label,
            "quantity": quantity,
            "price_unit": price,
            "discount": discount,
            "tax_ids": [Command.set(taxes.ids if taxes else [])],
            "account_id": account.id,
        }
    )
