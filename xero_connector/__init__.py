"""Pure-Python engine of the Xero connector (never imports odoo).

Its public API: the modules below, and in each the names of its `__all__`; the
addon (models/, synchronizers/, wizard/, controllers/) uses nothing else of it
(xero_connector/tests/test_layout.py checks)."""

__all__ = [
    "accounting",
    "errors",
    "fieldmap",
    "gateway",
    "matching",
    "messages",
    "names",
    "oauth",
    "outbox",
    "phones",
    "places",
    "push",
    "ratelimit",
    "reading",
    "webhooks",
]
