"""Pytest fixtures for the sandbox's clients: the sandbox's own contract tests
and the engine's tests both start it the same way (their conftest.py
imports these). The gateway of the engine is the client of `make_gateway`.
"""

import os

import pytest

from . import server, validation
from .server import XeroSandbox

__all__ = [
    "RecordingSleep",
    "make_gateway",
    "pytest_sessionstart",
    "sandbox",
    "sandbox_answers_fit_xero_s_description",
    "sandbox_server",
]

# Every sandbox answer of the suite is checked against Xero's description too.
os.environ.setdefault("XERO_SANDBOX_CHECK_RESPONSES", "1")


def pytest_sessionstart(session):
    # Without Xero's OpenAPI description nothing would be validated: the tests
    # would pass against a sandbox kinder than Xero. Fail instead.
    if validation.load_spec() is None:
        folder = validation.default_openapi_dir()
        pytest.exit(
            f"Xero's OpenAPI description ({validation.SPEC_FILE}) is missing from {folder}: "
            "set XERO_OPENAPI_DIR to the folder holding it (and install requirements-test.txt).",
            returncode=3,
        )


@pytest.fixture(autouse=True)
def sandbox_answers_fit_xero_s_description():
    """A test fails when any sandbox answered what Xero's description says Xero never answers."""
    yield
    broken = []
    for sandbox in server.instances():
        broken += sandbox.response_violations
        sandbox.clear_response_violations()
    assert not broken, f"sandbox answers that break Xero's OpenAPI description: {broken[:3]}"


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
    sandbox_server.legacy_app = False
    sandbox_server.refresh_grace = server.REFRESH_GRACE
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
    # The engine's gateway is the client; imported here so the sandbox never needs the engine.
    from xero_connector.gateway import StaticToken, XeroGateway

    def make(**kwargs):
        token = sandbox.issue_token()["access_token"]
        kwargs.setdefault("sleep", RecordingSleep())
        return XeroGateway(sandbox.tenant_id, StaticToken(token), base_url=sandbox.accounting_url, **kwargs)

    return make


class _Answer:
    """An HTTP answer as the SDK keeps it in its ApiException."""

    def __init__(self, status, data, reason):
        self.status, self.data, self.reason = status, data, reason

    def getheaders(self):
        return {}


def sdk_error(status, body=None, reason="Reason"):
    """The SDK's ApiException for an answer the sandbox cannot give (status 0, an HTML page...)."""
    from xero_python.exceptions import ApiException

    return ApiException(http_resp=_Answer(status, body, reason))
