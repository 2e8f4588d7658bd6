"""Xero webhooks: check the signature of a delivery and read its events."""

import base64
import hashlib
import hmac
import json

# What the addon uses (its public API; the rest may change without notice).
__all__ = ["MAX_BODY", "contact_change_digests", "events", "is_signed_by", "remember"]

# A delivery is a few kilobytes; anything near this is not from Xero.
MAX_BODY = 1024 * 1024
# Event digests remembered per organisation against replays (about 20 bytes each).
SEEN_LIMIT = 1000


def signature(key, raw_body):
    """Xero's `x-xero-signature`: base64 HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(key.encode(), raw_body, hashlib.sha256).digest()).decode()


def is_signed_by(key, raw_body, received):
    """Whether `received` is the signature of `raw_body` with `key`.

    Compared as bytes: `hmac.compare_digest` raises on non-ASCII text, and the
    header is whatever the sender put there.
    """
    if not (key and received):
        return False
    if isinstance(received, str):
        try:
            received = received.encode("ascii")
        except UnicodeEncodeError:
            return False
    return hmac.compare_digest(signature(key, raw_body).encode("ascii"), received)


def events(raw_body):
    """The events of a delivery (an empty list for anything unreadable)."""
    try:
        found = json.loads(raw_body or b"{}").get("events") or []
    except (ValueError, AttributeError):
        return []
    return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []


def tenants_with_contact_changes(raw_body):
    """The organisations whose contacts changed, from a delivery's events."""
    return {e.get("tenantId") for e in events(raw_body) if e.get("eventCategory") == "CONTACT" and e.get("tenantId")}


def event_digest(event):
    """What identifies one event across deliveries: Xero resends the same ones."""
    key = "|".join(str(event.get(k) or "") for k in ("tenantId", "resourceId", "eventDateUtc", "eventType"))
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def contact_change_digests(found, tenant_id):
    """The digests of the contact events of `tenant_id`, in delivery order, once each."""
    digests = [event_digest(e) for e in found if e.get("eventCategory") == "CONTACT" and e.get("tenantId") == tenant_id]
    return list(dict.fromkeys(digests))


def remember(seen, digests, limit=SEEN_LIMIT):
    """`seen` with `digests` added, the oldest dropped beyond `limit`."""
    known = set(seen or [])
    merged = list(seen or []) + [d for d in digests if d not in known]
    return merged[-limit:]
