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
