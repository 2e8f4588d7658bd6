"""Xero webhooks: check the signature of a delivery and read its events."""

import base64
import hashlib
import hmac
import json


def signature(key, raw_body):
    """Xero's `x-xero-signature`: base64 HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(key.encode(), raw_body, hashlib.sha256).digest()).decode()


def is_signed_by(key, raw_body, received):
    return bool(key and received) and hmac.compare_digest(signature(key, raw_body), received)


def tenants_with_contact_changes(raw_body):
    """The organisations whose contacts changed, from a delivery's events."""
    try:
        events = json.loads(raw_body or b"{}").get("events") or []
    except (ValueError, AttributeError):
        return set()
    return {e.get("tenantId") for e in events if e.get("eventCategory") == "CONTACT" and e.get("tenantId")}
