"""The gateway against the running sandbox, through the real xero-python SDK."""

import threading
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

import pytest
import requests

from xero_connector import errors, fieldmap
from xero_connector.gateway import XeroGateway, idempotency_key, parse_xero_datetime


def api_requests(sandbox, path_part):
    return [r for r in sandbox.request_log if path_part in r["path"]]


def test_reads_every_page_with_tenant_header(sandbox, make_gateway):
    sandbox.seed_contacts(250)
    gateway = make_gateway()
    contacts = gateway.get_contacts(page_size=100)
    assert len(contacts) == 250
    assert len({c["ContactID"] for c in contacts}) == 250
    calls = api_requests(sandbox, "/Contacts")
    assert [parse_qs(r["query"])["page"] for r in calls] == [["1"], ["2"], ["3"]]
    assert all(r["headers"].get("xero-tenant-id") == sandbox.tenant_id for r in calls)
    assert gateway.calls == 3


def test_exact_pages_need_no_extra_call(sandbox, make_gateway):
    sandbox.seed_contacts(200)
    gateway = make_gateway()
    assert len(gateway.get_contacts(page_size=100)) == 200
    assert gateway.calls == 2


def test_incremental_read_returns_only_the_changed_contact(sandbox, make_gateway):
    ids = sandbox.seed_contacts(30)
    gateway = make_gateway()
    # If-Modified-Since has a resolution of one second: the sandbox's clock moves by hours.
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    try:
        sandbox.freeze_clock(later)
        sandbox.update_contact(ids[3], FirstName="Seen")
        since = max(parse_xero_datetime(c["UpdatedDateUTC"]) for c in gateway.get_contacts())
        sandbox.freeze_clock(later + timedelta(hours=1))
        sandbox.update_contact(ids[7], FirstName="Changed")
    finally:
        sandbox.freeze_clock(None)
    changed = gateway.get_contacts(modified_since=since)
    # the changed contact, and the one of the last second already seen (read again: see below)
    assert {c["ContactID"]: c["FirstName"] for c in changed} == {ids[3]: "Seen", ids[7]: "Changed"}


def test_incremental_read_reads_the_last_second_again(sandbox, make_gateway):
    # Xero works to the second (see the sandbox's contract test): a change made in the
    # second of the last change seen shares its UpdatedDateUTC and must not be missed.
    ids = sandbox.seed_contacts(2)
    gateway = make_gateway()
    moment = datetime.now(timezone.utc) + timedelta(hours=1)
    sandbox.freeze_clock(moment)
    try:
        sandbox.update_contact(ids[0], FirstName="First")
        [seen] = gateway.get_contacts(modified_since=moment - timedelta(minutes=1))
        watermark = parse_xero_datetime(seen["UpdatedDateUTC"])
        sandbox.update_contact(ids[1], FirstName="Second")  # the same second, after the read
    finally:
        sandbox.freeze_clock(None)
    again = gateway.get_contacts(modified_since=watermark)
    assert {c["ContactID"]: c["FirstName"] for c in again} == {ids[0]: "First", ids[1]: "Second"}


def test_not_modified_is_an_empty_answer_not_an_error(sandbox, make_gateway):
    sandbox.seed_contacts(3)
    gateway = make_gateway()
    assert gateway.get_contacts(modified_since=parse_xero_datetime("2100-01-01T00:00:00")) == []
    assert api_requests(sandbox, "/Contacts")[-1]["status"] == 304


def test_xero_s_clock_at_its_last_answer_is_kept_even_when_nothing_changed(sandbox, make_gateway):
    gateway = make_gateway()
    assert gateway.served_at is None
    served = datetime(2026, 11, 2, 9, 30, 15, tzinfo=timezone.utc)
    sandbox.freeze_clock(served)
    try:
        gateway.get_contacts()
        assert gateway.served_at == served  # from the answer's Date header
        sandbox.freeze_clock(served + timedelta(hours=2))
        assert gateway.get_contacts(modified_since=served + timedelta(hours=3)) == []  # a 304
        assert gateway.served_at == served + timedelta(hours=2)
    finally:
        sandbox.freeze_clock(None)


def test_an_answer_without_a_readable_date_keeps_the_clock_seen_before(make_gateway):
    gateway = make_gateway()
    gateway.served_at = seen = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
    for header in ({}, {"Date": ""}, {"Date": "yesterday"}):
        gateway._observe(header)
        assert gateway.served_at == seen
    gateway._observe({"Date": "Mon, 02 Nov 2026 10:00:00"})  # no zone: HTTP dates are GMT
    assert gateway.served_at == seen + timedelta(hours=1)
    gateway._observe({"Date": "Mon, 02 Nov 2026 12:00:00 +0100"})  # not GMT: put in UTC
    assert gateway.served_at == seen + timedelta(hours=2) and gateway.served_at.utcoffset() == timedelta(0)


def test_429_waits_as_long_as_xero_asks(sandbox_server, make_gateway):
    sandbox = sandbox_server
    sandbox.reset(seed="empty")
    sandbox.minute_limit, sandbox.minute_seconds = 3, 2.0
    try:
        gateway = make_gateway()
        for _ in range(4):
            gateway.get_organisation()
        log = api_requests(sandbox, "/Organisation")
        limited = [r for r in log if r["status"] == 429]
        assert len(limited) == 1
        retry_after = float(limited[0]["response_headers"]["retry-after"])
        assert gateway.sleep.waits == [retry_after]
        after = log[log.index(limited[0]) + 1]
        assert after["status"] == 200
        assert after["time"] - limited[0]["time"] >= retry_after
    finally:
        sandbox.minute_limit, sandbox.minute_seconds = 60, 60.0


def test_a_concurrency_429_without_retry_after_waits_a_moment(sandbox, make_gateway):
    # Xero's concurrency 429 carries no Retry-After (see the sandbox's contract test):
    # the gateway waits a moment and tries again, not a whole minute.
    gateway = make_gateway()
    sandbox.concurrent_limit = 0
    timer = threading.Timer(0.5, lambda: setattr(sandbox, "concurrent_limit", 5))
    timer.start()
    try:
        assert gateway.get_organisation()["Name"]
    finally:
        timer.cancel()
        sandbox.concurrent_limit = 5
    limited = [r for r in api_requests(sandbox, "/Organisation") if r["status"] == 429]
    assert limited and "retry-after" not in limited[0]["response_headers"]
    assert gateway.sleep.waits and all(wait <= 1.0 for wait in gateway.sleep.waits)


def test_lost_answer_then_retry_creates_one_contact(sandbox, make_gateway):
    sandbox.inject_fault("500", method="POST", path_contains="/Contacts", when="after")
    gateway = make_gateway()
    result = gateway.save_contacts([{"Name": "Idempotent Ltd"}], operation="test-push:1")
    assert [item.ok for item in result.items] == [True]
    assert sandbox.count_contacts_named("Idempotent Ltd") == 1
    posts = [r for r in api_requests(sandbox, "/Contacts") if r["method"] == "POST"]
    assert [r["status"] for r in posts] == [500, 200]
    keys = {r["headers"]["idempotency-key"] for r in posts}
    assert len(keys) == 1 and len(next(iter(keys))) <= 128


def test_idempotency_key_follows_operation_and_content():
    a = idempotency_key("t", "push:1", {"Contacts": [{"Name": "A"}]})
    assert a == idempotency_key("t", "push:1", {"Contacts": [{"Name": "A"}]})
    assert a != idempotency_key("t", "push:1", {"Contacts": [{"Name": "B"}]})
    assert a != idempotency_key("t", "push:2", {"Contacts": [{"Name": "A"}]})
    assert len(idempotency_key("t", "x" * 300, {})) <= 128


def test_validation_error_names_the_contact_and_field(sandbox, make_gateway):
    gateway = make_gateway()
    gateway.save_contacts([{"Name": "Bayside Club"}], operation="first")
    result = gateway.save_contacts(
        [{"Name": "Bayside Club"}, {"Name": "Fresh Co"}, {"Name": "Bad Mail", "EmailAddress": "not-an-email"}],
        operation="second",
    )
    assert [item.ok for item in result.items] == [False, True, False]
    duplicate, bad_mail = (item.problems[0] for item in result.failed)
    assert duplicate.message.startswith('Xero refused contact "Bayside Club" (field Name): ')
    assert "must be unique" in duplicate.message
    assert bad_mail.message.startswith('Xero refused contact "Bad Mail" (field EmailAddress): ')
    assert sandbox.count_contacts_named("Fresh Co") == 1


def test_5xx_retried_then_given_up_in_plain_words(sandbox, make_gateway):
    sandbox.inject_fault("503", count=10, path_contains="/Organisation")
    gateway = make_gateway(max_retries=2)
    with pytest.raises(errors.XeroUnavailableError, match=r"not answering properly \(HTTP 503\)") as info:
        gateway.get_organisation()
    assert info.value.retryable
    assert len(api_requests(sandbox, "/Organisation")) == 3
    assert len(gateway.sleep.waits) == 2


def test_timeout_is_retried(sandbox, make_gateway):
    sandbox.fault_delay = 1.0
    sandbox.inject_fault("timeout", path_contains="/Organisation")
    gateway = make_gateway(timeout=(1.0, 0.3))
    assert gateway.get_organisation()["Name"]
    assert len(gateway.sleep.waits) == 1


def test_timeout_gives_up_with_a_clear_message(sandbox, make_gateway):
    sandbox.fault_delay = 1.0
    sandbox.inject_fault("timeout", count=5, path_contains="/Organisation")
    gateway = make_gateway(timeout=(1.0, 0.3), max_retries=1)
    with pytest.raises(errors.XeroUnavailableError, match=r"did not answer within 0.3 seconds"):
        gateway.get_organisation()


class RefreshingToken:
    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.refreshes = 0
        self.token = sandbox.issue_token()["access_token"]

    def access_token(self):
        return self.token

    def refresh(self):
        self.refreshes += 1
        self.token = self.sandbox.issue_token()["access_token"]
        return self.token


def test_expired_token_is_refreshed_once(sandbox):
    source = RefreshingToken(sandbox)
    sandbox.expire_access_tokens()
    gateway = XeroGateway(sandbox.tenant_id, source, base_url=sandbox.accounting_url)
    assert gateway.get_organisation()["Name"]
    assert source.refreshes == 1


def test_forbidden_tenant_is_an_auth_error(sandbox):
    other = sandbox.add_tenant("Other Org")
    token = sandbox.issue_token(tenant_ids=[sandbox.tenant_id])["access_token"]
    from xero_connector.gateway import StaticToken

    gateway = XeroGateway(other, StaticToken(token), base_url=sandbox.accounting_url)
    with pytest.raises(errors.XeroAuthError, match="refused access to this organisation"):
        gateway.get_organisation()


def test_sandbox_rejects_what_xero_schema_rejects(sandbox):
    token = sandbox.issue_token()["access_token"]
    response = requests.post(
        f"{sandbox.accounting_url}/Contacts",
        json={"Contacts": [{"Name": "Typed", "ContactStatus": "SOMETIMES"}]},
        headers={"Authorization": f"Bearer {token}", "xero-tenant-id": sandbox.tenant_id},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["Type"] == "SchemaValidationException"
    assert sandbox.count_contacts_named("Typed") == 0


def test_parse_xero_datetime_iso_forms_python_310_reads():
    # Python 3.10's fromisoformat takes neither "Z" nor .NET's 7-digit fractions: both come from Xero.
    expected = datetime(2026, 3, 1, 10, 0, 0, 120000, tzinfo=timezone.utc)
    assert parse_xero_datetime("2026-03-01T10:00:00.12Z") == expected
    assert parse_xero_datetime("2026-03-01T10:00:00.1200000") == expected
    assert parse_xero_datetime("/Date(1772359200120+0000)/") == expected


def test_xero_null_is_absent_not_the_text_none(sandbox, make_gateway):
    (contact_id,) = sandbox.seed_contacts(1)
    sandbox.update_contact(contact_id, EmailAddress=None, TaxNumber=None, FirstName=None)
    contact = make_gateway().get_contacts()[0]
    # Live Xero sends such nulls although its own description calls these fields not
    # nullable: this answer is outside the description on purpose, and only for them.
    assert {(v["path"], "None for not nullable" in v["message"]) for v in sandbox.response_violations} == {
        ("/api.xro/2.0/Contacts", True)
    }
    sandbox.clear_response_violations()
    # The SDK alone reads a null text as "None", which became an invalid e-mail address "None".
    assert "None" not in (contact.get("EmailAddress"), contact.get("TaxNumber"), contact.get("FirstName"))
    values = fieldmap.from_xero(contact)
    assert (values["email"], values["vat"], values["first_name"]) == (None, None, None)
    assert contact["Name"].startswith("Contact 0001")
