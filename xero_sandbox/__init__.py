"""Xero API sandbox: a stateful fake of the Xero accounting and identity APIs
served over real HTTP on 127.0.0.1, for tests and the demo mode.

    sb = XeroSandbox(port=0, seed="demo")
    sb.start()  # -> "http://127.0.0.1:PORT"

Never imports odoo.
"""

from .server import XeroSandbox

__all__ = ["XeroSandbox"]
