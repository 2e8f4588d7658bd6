"""More behaviours mutation testing found unpinned (`make mutation`: oauth, push, ratelimit, accounting, fieldmap).

Each test states what the addon relies on; each was written because a mutant
passed every other engine test.
"""

import base64
import hashlib
import hmac
import json
import time
from datetime import date

import pytest
import requests
from xero_python.exceptions import ApiException

from xero_connector import accounting as acc
from xero_connector import fieldmap, gateway, oauth
from xero_connector.errors import XeroAuthError
from xero_connector.push import PartnerToPush, XeroContactInfo, plan
from xero_connector.ratelimit import Budget, Limits, MemoryRateLimiter

ENDPOINTS = oauth.Endpoints("a", "https://identity.example/connect/token", "c", "r", "api")


def sign(raw):
    return hmac.new(b"secret", raw.encode(), hashlib.sha256).hexdigest()


def answer(status, body):
    """An answer of the identity service, as `requests` gives it."""
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    return response


@pytest.fixture
def identity(monkeypatch):
    """The identity service's next answer (the sandbox has no app refused a kind of grant)."""
    answers = []
    monkeypatch.setattr(oauth, "_send", lambda method, url, **kwargs: answers.pop(0))
    return answers


# -- oauth ------------------------------------------------------------------------------


def test_an_app_refused_this_kind_of_connection_says_it_and_asks_to_reconnect(identity):
    identity.append(answer(400, {"error": "unauthorized_client"}))
    with pytest.raises(XeroAuthError) as info:
        oauth.client_credentials(ENDPOINTS, "c", "s", oauth.scopes())
    assert str(info.value) == (
        "This Xero app is not allowed this kind of connection: reconnect to Xero in Settings > Xero."
    )
    assert info.value.reconnect_needed and info.value.status == 400


def test_a_token_without_lifetime_or_scope_lives_30_minutes_with_no_scope(identity, monkeypatch):
    monkeypatch.setattr(oauth.time, "time", lambda: 1000.0)
    identity.append(answer(200, {"access_token": "a", "refresh_token": "r"}))
    token = oauth.refresh(ENDPOINTS, "c", "s", "old")
    assert (token.expires_at, token.scope) == (2800.0, "")
    identity.append(answer(200, {"access_token": "a", "expires_in": 60, "scope": "accounting.contacts"}))
    token = oauth.refresh(ENDPOINTS, "c", "s", "old")
    assert (token.expires_at, token.scope) == (1060.0, "accounting.contacts")


def test_nonces_and_pkce_verifiers_carry_their_full_randomness():
    assert len(oauth.new_nonce()) == 22  # 16 random bytes
    verifier, challenge = oauth.pkce_pair()
    assert len(verifier) == 86  # 64 random bytes: within RFC 7636's 43-128 characters
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    assert challenge == digest


def test_a_state_is_the_sorted_json_of_its_body(monkeypatch):
    monkeypatch.setattr(oauth.time, "time", lambda: 1700000000.0)
    monkeypatch.setattr(oauth, "new_nonce", lambda: "n")
    payload = {"zz": "last", "db": "x"}  # not in sorted order
    body = {"db": "x", "nonce": "n", "ts": 1700000000, "zz": "last"}
    raw = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
    state = oauth.sign_state(sign, payload)
    assert state == f"{raw}.{sign(raw)}"
    assert oauth.verify_state(sign, state, max_age=10**10)["zz"] == "last"


def test_a_signature_that_is_not_text_is_a_forged_state():
    with pytest.raises(XeroAuthError) as info:
        oauth.verify_state(sign, "eyJ9.\ud800")
    assert str(info.value) == "The answer from Xero is not for this request (forged state)."


def test_a_signed_state_that_is_not_json_is_unreadable():
    with pytest.raises(XeroAuthError) as info:
        oauth.verify_state(sign, f"!!!.{sign('!!!')}")
    assert str(info.value) == "The answer from Xero is not for this request (unreadable state)."


def test_a_signed_state_without_time_has_expired():
    raw = base64.urlsafe_b64encode(json.dumps({"db": "x"}).encode()).decode().rstrip("=")
    with pytest.raises(XeroAuthError, match="expired"):
        oauth.verify_state(sign, f"{raw}.{sign(raw)}")


# -- push: a tax number written without its country prefix is read in its country -------------


def partner(pid, **values):
    return PartnerToPush(partner_id=pid, values=dict(values, name=f"Partner {pid}"))


def test_a_tax_number_without_prefix_is_read_in_the_partner_s_country():
    # Belgium's compact form adds the leading 0 a number written without it lacks.
    xero = [XeroContactInfo("x1", "Brussels Co", vat="BE 0123456789")]
    assert plan([partner(1, vat="123456789", country="BE")], xero).link == {1: "x1"}
    assert plan([partner(1, vat="123456789")], xero).link == {}


def test_a_tax_number_without_prefix_is_read_in_the_xero_contact_s_country():
    xero = [XeroContactInfo("x1", "Brussels Co", vat="123456789", country="Belgium")]
    assert plan([partner(1, vat="BE0123456789")], xero).link == {1: "x1"}


def test_a_contact_whose_number_is_only_its_country_is_matched_by_nothing():
    # "BE" alone is no tax number: it must not match a partner without one.
    xero = [XeroContactInfo("x1", "Brussels Co", vat="BE", country="BE")]
    assert plan([partner(1)], xero).link == {}


# -- ratelimit ----------------------------------------------------------------------------


def test_a_free_slot_is_taken_at_once_and_released_once():
    budget = Budget()
    wait, token = budget.try_acquire(100.0, Limits())
    assert wait == 0.0 and token
    budget.release(token)
    budget.release(token)  # a second release (a retried finally) is harmless
    budget.release("unknown")
    assert budget.in_flight == {}


def test_waits_are_as_short_as_the_budget_allows():
    limits = Limits(per_minute=2, concurrent=1, window=10.0, stale_after=5.0)
    budget = Budget()
    assert budget.try_acquire(0.0, limits)[1]
    # Calls at once: the one in flight ends soon, try again in a moment.
    assert budget.try_acquire(1.0, limits) == (0.05, None)
    assert budget.try_acquire(4.999, limits) == (0.05, None)
    # A call in flight for stale_after was lost with its worker: its slot is free again.
    assert budget.try_acquire(5.0, limits)[1]
    budget.in_flight.clear()
    # The minute is full until the oldest call leaves the window: the floor is a millisecond.
    assert budget.try_acquire(9.9999999, limits)[0] == pytest.approx(0.001)


def test_a_memory_limiter_knows_no_day_budget_until_xero_tells_it():
    limiter = MemoryRateLimiter()
    assert limiter.day_remaining is None
    limiter.observe({})
    assert limiter.day_remaining is None
    limiter.observe({"day_remaining": 4000})
    assert limiter.day_remaining == 4000


# -- accounting: lock dates and the words of a missing mapping -------------------------------


def test_the_lock_date_is_the_later_of_xero_s_two():
    assert acc.lock_date({}) is None
    assert acc.lock_date({"PeriodLockDate": None, "EndOfYearLockDate": "2024-06-30T00:00:00"}) == date(2024, 6, 30)
    # Xero's raw "/Date(...)/" (midnight UTC, 31 March 2024), with or without its offset.
    raw = {"PeriodLockDate": "/Date(1711843200000+0000)/", "EndOfYearLockDate": date(2023, 12, 31)}
    assert acc.lock_date(raw) == date(2024, 3, 31)
    assert acc.lock_date({"EndOfYearLockDate": "/Date(1711843200000)/"}) == date(2024, 3, 31)


def test_what_is_dated_on_or_before_the_lock_date_is_held_back_in_words():
    lock = date(2024, 3, 31)
    assert acc.locked("INV-1", "2024-03-31", lock) == (
        "INV-1 is dated 2024-03-31, on or before Xero's lock date (2024-03-31): Xero refuses anything dated in a "
        "locked period. Ask your adviser to move the lock date in Xero, or date it after the lock date in Odoo."
    )
    assert acc.locked("INV-2", date(2024, 3, 1), lock).startswith("INV-2 is dated 2024-03-01,")
    assert acc.locked("INV-3", "2024-04-01", lock) is None
    assert acc.locked("INV-4", None, lock) is None
    assert acc.locked("INV-5", "2024-03-01", None) is None


def test_an_unmapped_account_of_a_described_line_is_named_by_the_line():
    line = acc.Line("Chair", 1, 10, None, "OUTPUT")
    doc = acc.Document("k", "invoice", "INV-1", "c", "2024-05-01", lines=(line,))
    assert acc.missing_mappings(doc, {"200"}, {"OUTPUT"}) == [
        'The account of line "Chair" is not mapped to a Xero account.'
    ]


# -- fieldmap: phone and tax numbers read in the partner's (else Xero's) country ---------------


def test_a_national_phone_is_sent_in_the_given_region_when_the_values_carry_no_country():
    payload = fieldmap.to_xero({"phone": "09 379 4567"}, region="NZ")
    [entry] = payload["Phones"]
    assert (entry["PhoneCountryCode"], entry["PhoneAreaCode"], entry["PhoneNumber"]) == ("64", "9", "3794567")


def test_a_national_tax_number_is_read_in_its_country():
    assert fieldmap.normalise("vat", "123456789", "BE") == "0123456789"
    assert fieldmap.same("vat", "BE0123456789", "123456789", "BE")


def test_xero_s_country_reads_the_numbers_when_the_partner_has_none():
    diffs = fieldmap.compare({"vat": "BE0123456789"}, {"vat": "123456789", "country": "Belgium"}, None)
    assert [d.key for d in diffs if d.key == "vat"] == []


def test_a_change_is_seen_on_the_side_that_made_it_in_national_form():
    # Odoo writes the prefix, Xero the national form: the same number, unchanged on that side.
    local = {"vat": "BE0123456789", "country": "BE"}
    pulled = fieldmap.compare(local, {"vat": "0999999999", "country": "BE"}, {"vat": "123456789"})
    assert [(d.key, d.kind) for d in pulled if d.key == "vat"] == [("vat", "pull")]
    pushed = fieldmap.compare(
        {"vat": "BE0999999999", "country": "BE"}, {"vat": "123456789", "country": "BE"}, {"vat": "BE0123456789"}
    )
    assert [(d.key, d.kind) for d in pushed if d.key == "vat"] == [("vat", "push")]


# -- gateway ----------------------------------------------------------------------------------


class _Answer:
    """An HTTP answer as the SDK keeps it in its ApiException."""

    def __init__(self, status, data, reason):
        self.status, self.data, self.reason = status, data, reason

    def getheaders(self):
        return {}


def test_another_refusal_says_xero_s_detail():
    refused = gateway._translate(ApiException(http_resp=_Answer(422, b'{"Detail": "Not processable"}', "R")), None)
    assert str(refused) == "Xero refused the request (HTTP 422): Not processable" and refused.status == 422


def test_a_document_link_goes_to_invoices_only():
    line = acc.Line("Chair", 1, 10, "200", "OUTPUT")
    invoice = acc.Document("k", acc.INVOICE, "INV-1", "c", "2024-05-01", lines=(line,), url="https://odoo.example/i")
    note = acc.Document("k", acc.CREDIT_NOTE, "RINV-1", "c", "2024-05-01", lines=(line,), url="https://odoo.example/r")
    assert acc.document_payload(invoice)["Url"] == "https://odoo.example/i"
    assert "Url" not in acc.document_payload(note)


def test_a_credit_note_line_with_any_discount_goes_as_odoo_s_amount():
    # Xero's credit notes take no DiscountRate: Odoo's discounted amount is sent, to the cent.
    for line, amount in (
        (acc.Line("Desk", 1, 100, "200", "OUTPUT", discount_rate=1), 99.0),
        (acc.Line("Desk", 1, 100, "200", "OUTPUT", discount_rate=10, line_amount="89.99"), 89.99),
    ):
        note = acc.Document("k", acc.CREDIT_NOTE, "RINV-1", "c", "2024-05-01", lines=(line,))
        [sent] = acc.document_payload(note)["LineItems"]
        assert "DiscountRate" not in sent and "UnitAmount" not in sent
        assert sent["LineAmount"] == amount


def test_xero_s_raw_dates_are_utc_days_whatever_the_server_s_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Pacific/Auckland")
    time.tzset()
    try:
        # 23:00 UTC on 30 March 2024 is already 31 March in Auckland.
        assert acc.lock_date({"PeriodLockDate": "/Date(1711839600000+0000)/"}) == date(2024, 3, 30)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_contacts_are_read_with_the_archived_ones_by_default(make_gateway):
    # An archived contact must stay known: a partner linked to it is not created again.
    gateway = make_gateway()
    [saved] = [item.record for item in gateway.save_contacts([{"Name": "Old Customer"}], operation="test:create").saved]
    gateway.save_contacts([{"ContactID": saved["ContactID"], "ContactStatus": "ARCHIVED"}], operation="test:archive")
    read = {c["ContactID"]: c for c in gateway.get_contacts()}
    assert read[saved["ContactID"]]["ContactStatus"] == "ARCHIVED"
