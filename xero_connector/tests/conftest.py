import pytest

from xero_connector.gateway import StaticToken, XeroGateway
from xero_connector.sandbox import XeroSandbox


@pytest.fixture(scope="module")
def sandbox_server():
    sb = XeroSandbox(port=0, seed="empty")
    sb.start()
    yield sb
    sb.stop()


@pytest.fixture
def sandbox(sandbox_server):
    """A running sandbox, emptied before each test."""
    sandbox_server.reset(seed="empty")
    return sandbox_server


class RecordingSleep:
    """Sleeps for real, and remembers every wait the gateway asked for."""

    def __init__(self):
        self.waits = []

    def __call__(self, seconds):
        import time

        self.waits.append(seconds)
        time.sleep(seconds)


@pytest.fixture
def make_gateway(sandbox):
    def make(**kwargs):
        token = sandbox.issue_token()["access_token"]
        kwargs.setdefault("sleep", RecordingSleep())
        return XeroGateway(sandbox.tenant_id, StaticToken(token), base_url=sandbox.accounting_url, **kwargs)

    return make
