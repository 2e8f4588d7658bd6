import hashlib
import hmac
import time
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import requests

from xero_connector import oauth
from xero_connector.errors import XeroAuthError
from xero_connector.gateway import StaticToken, XeroGateway


def signer(secret):
    return lambda raw: hmac.new(secret.encode(), raw.encode(), hashlib.sha256).hexdigest()


def test_state_round_trip_and_forgery():
    state = oauth.sign_state(signer("secret"), {"db": "x", "conn": 3})
    body = oauth.verify_state(signer("secret"), state)
    assert body["conn"] == 3 and body["nonce"]
    with pytest.raises(XeroAuthError, match="forged"):
        oauth.verify_state(signer("other secret"), state)
    raw, signature = state.rsplit(".", 1)
    with pytest.raises(XeroAuthError, match="forged"):
        oauth.verify_state(signer("secret"), raw[:-2] + "AA." + signature)
    with pytest.raises(XeroAuthError, match="forged"):
        oauth.verify_state(signer("secret"), raw + ".é" + signature)
    with pytest.raises(XeroAuthError, match="unreadable"):
        oauth.verify_state(signer("secret"), "nonsense")


def test_each_state_has_its_own_nonce():
    first = oauth.verify_state(signer("s"), oauth.sign_state(signer("s"), {"db": "x"}))
    second = oauth.verify_state(signer("s"), oauth.sign_state(signer("s"), {"db": "x"}))
    assert first["nonce"] != second["nonce"]
    assert oauth.verify_state(signer("s"), oauth.sign_state(signer("s"), {"nonce": "mine"}))["nonce"] == "mine"


def test_stale_state_is_refused(monkeypatch):
    state = oauth.sign_state(signer("secret"), {"db": "x"})
    later = time.time() + oauth.STATE_MAX_AGE + 5
    monkeypatch.setattr(oauth.time, "time", lambda: later)
    with pytest.raises(XeroAuthError, match="expired"):
        oauth.verify_state(signer("secret"), state)


def test_pkce_challenge_is_rfc_7636_s256():
    # RFC 7636, appendix B.
    assert oauth.pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    verifier, challenge = oauth.pkce_pair()
    assert 43 <= len(verifier) <= 128 and oauth.pkce_challenge(verifier) == challenge


def test_code_flow_with_pkce(sandbox):
    sandbox.auto_consent = True
    endpoints = oauth.Endpoints.at(sandbox.base_url)
    verifier, challenge = oauth.pkce_pair()

    def consent():
        url = oauth.authorize_url(
            endpoints, sandbox.client_id, "http://127.0.0.1:1/cb", oauth.scopes(), "st", code_challenge=challenge
        )
        query = parse_qs(urlsplit(url).query)
        assert query["code_challenge"] == [challenge] and query["code_challenge_method"] == ["S256"]
        answer = requests.get(url, allow_redirects=False, timeout=10)
        return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]

    args = (endpoints, sandbox.client_id, sandbox.client_secret)
    with pytest.raises(XeroAuthError):
        oauth.exchange_code(*args, consent(), "http://127.0.0.1:1/cb")
    with pytest.raises(XeroAuthError):
        oauth.exchange_code(*args, consent(), "http://127.0.0.1:1/cb", code_verifier=oauth.pkce_pair()[0])
    token = oauth.exchange_code(*args, consent(), "http://127.0.0.1:1/cb", code_verifier=verifier)
    assert token.refresh_token


def test_code_flow_and_refresh_rotation(sandbox):
    sandbox.auto_consent = True
    sandbox.refresh_grace = 0  # the old refresh token dies at once (grace period: see test_sandbox)
    endpoints = oauth.Endpoints.at(sandbox.base_url)
    url = oauth.authorize_url(endpoints, sandbox.client_id, "http://127.0.0.1:1/cb", oauth.scopes(), "st4te")
    answer = requests.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["state"] == ["st4te"]
    token = oauth.exchange_code(
        endpoints, sandbox.client_id, sandbox.client_secret, query["code"][0], "http://127.0.0.1:1/cb"
    )
    tenants = oauth.get_connections(endpoints, token.access_token)
    assert [t["tenantId"] for t in tenants] == [sandbox.tenant_id]

    fresh = oauth.refresh(endpoints, sandbox.client_id, sandbox.client_secret, token.refresh_token)
    assert fresh.refresh_token != token.refresh_token
    with pytest.raises(XeroAuthError) as info:
        oauth.refresh(endpoints, sandbox.client_id, sandbox.client_secret, token.refresh_token)
    assert info.value.reconnect_needed

    oauth.revoke(endpoints, sandbox.client_id, sandbox.client_secret, fresh.refresh_token)
    with pytest.raises(XeroAuthError):
        oauth.refresh(endpoints, sandbox.client_id, sandbox.client_secret, fresh.refresh_token)


def test_client_credentials(sandbox):
    endpoints = oauth.Endpoints.at(sandbox.base_url)
    token = oauth.client_credentials(endpoints, sandbox.client_id, sandbox.client_secret, oauth.scopes())
    assert token.access_token and token.refresh_token is None
    assert oauth.get_connections(endpoints, token.access_token)[0]["tenantId"] == sandbox.tenant_id


def test_wrong_client_is_refused(sandbox):
    endpoints = oauth.Endpoints.at(sandbox.base_url)
    with pytest.raises(XeroAuthError, match="does not know this client"):
        oauth.client_credentials(endpoints, "nobody", "nothing", oauth.scopes())


def test_consent_page_carries_the_pkce_challenge(sandbox):
    sandbox.auto_consent = False
    endpoints = oauth.Endpoints.at(sandbox.base_url)
    verifier, challenge = oauth.pkce_pair()
    url = oauth.authorize_url(endpoints, sandbox.client_id, "https://app.example/cb", oauth.scopes(), "s", challenge)
    page = requests.get(url, timeout=5)
    assert page.status_code == 200 and challenge in page.text
    # The administrator presses Allow: the browser posts the page's form.
    form = dict(parse_qsl(urlsplit(url).query), decision="allow", tenant=[sandbox.tenant_id])

    def code():
        answer = requests.post(endpoints.authorize_url, data=form, allow_redirects=False, timeout=5)
        return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]

    args = (endpoints, sandbox.client_id, sandbox.client_secret)
    with pytest.raises(XeroAuthError):
        oauth.exchange_code(*args, code(), "https://app.example/cb")
    assert oauth.exchange_code(*args, code(), "https://app.example/cb", code_verifier=verifier).access_token


def test_the_scopes_asked_for_are_exactly_what_the_features_need(sandbox):
    # Granular by default; nothing the addon does not use (no identity scopes, settings
    # only read); every call the addon makes is allowed by them (the sandbox enforces
    # Xero's scopes per endpoint), and accounting.transactions only for older apps.
    assert oauth.scopes().split() == [
        "offline_access",
        "accounting.contacts",
        "accounting.invoices",
        "accounting.payments",
        "accounting.settings.read",
    ]
    for legacy in (False, True):
        sandbox.legacy_app = legacy
        token = sandbox.issue_token(scope=oauth.scopes(legacy))
        gateway = XeroGateway(sandbox.tenant_id, StaticToken(token["access_token"]), base_url=sandbox.accounting_url)
        assert gateway.get_organisation()["Name"] and gateway.get_accounts() and gateway.get_tax_rates()
        [contact] = gateway.save_contacts([{"Name": f"Scoped {legacy}"}], operation=f"c{legacy}").items
        group = gateway.create_contact_group(f"Group {legacy}", operation=f"g{legacy}")
        gateway.add_contacts_to_group(group["ContactGroupID"], [contact.record["ContactID"]], operation=f"m{legacy}")
        line = {"Description": "x", "Quantity": 1, "UnitAmount": 10, "AccountCode": "200", "TaxType": "OUTPUT"}
        invoice = {
            "Type": "ACCREC",
            "Contact": {"ContactID": contact.record["ContactID"]},
            "Status": "AUTHORISED",
            "LineItems": [line],
        }
        [saved] = gateway.create_invoices([invoice], operation=f"i{legacy}").items
        payment = {"Invoice": {"InvoiceID": saved.record["InvoiceID"]}, "Account": {"Code": "090"}, "Amount": 5}
        assert gateway.save_payments([payment], operation=f"p{legacy}").items[0].ok
        assert gateway.get_invoices() and gateway.get_contacts()
    sandbox.legacy_app = False
    endpoints = oauth.Endpoints.at(sandbox.base_url)
    sandbox.auto_consent = True
    url = oauth.authorize_url(endpoints, sandbox.client_id, "http://127.0.0.1:1/cb", oauth.scopes(True), "s")
    answer = requests.get(url, allow_redirects=False, timeout=10)
    assert "error=invalid_scope" in answer.headers["Location"], "a new app may not ask for accounting.transactions"
