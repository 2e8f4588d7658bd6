import time

from odoo.tests import TransactionCase

from odoo.addons.xero_connector.xero_connector import oauth
from odoo.addons.xero_connector.xero_connector.sandbox import XeroSandbox


def start_sandbox(case_class, **options):
    """A real Xero sandbox on 127.0.0.1 for the whole test class."""
    sandbox = XeroSandbox(port=0, **options)
    sandbox.start()
    case_class.addClassCleanup(sandbox.stop)
    return sandbox


def connect(env, sandbox, company=None):
    """Connect `company` to the sandbox as if the consent had been given."""
    connection = env["xero.connection"]._for_company(company or env.company)
    connection.sudo().write(
        {
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "service_url": sandbox.base_url,
            "tenant_id": sandbox.tenant_id,
            "tenant_name": "Demo Company (Sandbox)",
            "state": "connected",
        }
    )
    give_token(connection, sandbox)
    return connection


def give_token(connection, sandbox, expires_at=None):
    """Store a fresh sandbox token on the connection; return its refresh token."""
    token = sandbox.issue_token()
    connection._store_token(
        oauth.Token(
            access_token=token["access_token"],
            refresh_token=token["refresh_token"],
            expires_at=time.time() + 1800 if expires_at is None else expires_at,
            scope=token["scope"],
        )
    )
    return token["refresh_token"]


class XeroCase(TransactionCase):
    """A company connected to a demo-seeded sandbox."""

    sandbox_seed = "demo"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Token refreshes and the rate budget use short transactions of their
        # own: in test mode those share (and never commit) the test's one.
        cls.registry_enter_test_mode_cls()
        cls.sandbox = start_sandbox(cls, seed=cls.sandbox_seed)

    def setUp(self):
        super().setUp()
        self.sandbox.reset(seed=self.sandbox_seed)
        self.connection = connect(self.env, self.sandbox)
