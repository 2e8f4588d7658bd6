import json

from xero_connector import webhooks


def test_signature_matches_xero_example():
    body = json.dumps({"events": [], "firstEventSequence": 0, "lastEventSequence": 0}).encode()
    good = webhooks.signature("key", body)
    assert webhooks.is_signed_by("key", body, good)
    assert not webhooks.is_signed_by("other key", body, good)
    assert not webhooks.is_signed_by("key", body + b" ", good)
    assert not webhooks.is_signed_by("", body, good)
    assert not webhooks.is_signed_by("key", body, None)
    # Whatever the sender puts in the header is a refusal, never an exception.
    assert not webhooks.is_signed_by("key", body, "é" + good[1:])
    assert not webhooks.is_signed_by("key", body, "not base64 at all")
    assert not webhooks.is_signed_by("key", body, good.encode() + b"\xff")
    assert webhooks.is_signed_by("key", body, good.encode())


def test_contact_events_name_their_tenants():
    body = json.dumps(
        {
            "events": [
                {"tenantId": "t1", "eventCategory": "CONTACT", "eventType": "UPDATE"},
                {"tenantId": "t2", "eventCategory": "INVOICE", "eventType": "CREATE"},
            ]
        }
    ).encode()
    assert webhooks.tenants_with_contact_changes(body) == {"t1"}
    assert webhooks.tenants_with_contact_changes(b"not json") == set()


def event(tenant="t1", resource="r1", when="2026-12-01T10:00:00.000", category="CONTACT", kind="UPDATE"):
    return {
        "tenantId": tenant,
        "resourceId": resource,
        "eventDateUtc": when,
        "eventCategory": category,
        "eventType": kind,
    }


def test_events_of_unreadable_deliveries_are_none():
    assert webhooks.events(b"not json") == []
    assert webhooks.events(b"[1, 2]") == []
    assert webhooks.events(b'{"events": "x"}') == []
    assert webhooks.events(json.dumps({"events": [event(), 3]}).encode()) == [event()]


def test_digests_tell_new_events_from_replayed_ones():
    found = [event(), event(), event(resource="r2"), event(tenant="t2"), event(category="INVOICE")]
    digests = webhooks.contact_change_digests(found, "t1")
    assert len(digests) == 2, "one digest per contact event of the organisation"
    assert webhooks.contact_change_digests([event(when="2026-12-01T10:00:01.000")], "t1")[0] not in digests
    assert webhooks.contact_change_digests([event(kind="CREATE")], "t1")[0] not in digests


def test_remembered_digests_are_bounded():
    seen = webhooks.remember([], ["a", "b"], limit=3)
    assert seen == ["a", "b"]
    assert webhooks.remember(seen, ["b", "c", "d"], limit=3) == ["b", "c", "d"]
