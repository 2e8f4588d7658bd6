"""The sandbox and its checks, shared with the sandbox's own tests (xero_sandbox/testing.py)."""

from xero_sandbox.testing import *  # noqa: F403 - pytest finds fixtures in the conftest's namespace
