"""OAuth against the sandbox: the URLs, the tenant list, disconnecting, and every refusal in plain words."""

import hashlib
import hmac
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from xero_connector import oauth
from xero_connector.errors import XeroAuthError, XeroUnavailableError


@pytest.fixture
def endpoints(sandbox):
    return oauth.Endpoints.at(sandbox.base_url + "/")


def signer(secret):
    return lambda raw: hmac.new(secret.encode(), raw.encode(), hashlib.sha256).hexdigest()


def test_xero_s_own_endpoints():
    xero = oauth.Endpoints.xero()
    assert xero.authorize_url == "https://login.xero.com/identity/connect/authorize"
    assert xero.token_url == "https://identity.xero.com/connect/token"
    assert xero.connections_url == "https://api.xero.com/connections"
    assert xero.revoke_url == "https://identity.xero.com/connect/revocation"
    assert xero.api_url == "https://api.xero.com/api.xro/2.0"


def test_endpoints_at_another_host(sandbox, endpoints):
    assert endpoints.token_url == sandbox.token_url
    assert endpoints.authorize_url == sandbox.authorize_url
    assert endpoints.connections_url == sandbox.connections_url
    assert endpoints.revoke_url == sandbox.revoke_url
    assert endpoints.api_url == sandbox.accounting_url


def test_scopes_granular_or_legacy():
    assert oauth.scopes().split() == list(oauth.GRANULAR_SCOPES)
    assert "accounting.transactions" in oauth.scopes(legacy=True).split()
    assert "offline_access" in oauth.scopes(legacy=True).split() and "offline_access" in oauth.scopes().split()


def test_authorize_url_carries_every_parameter(endpoints):
    url = oauth.authorize_url(endpoints, "cid", "https://odoo.example/xero/oauth/callback", "openid email", "s t")
    parts = urlsplit(url)
    assert url.startswith(endpoints.authorize_url + "?")
    assert parse_qs(parts.query) == {
        "response_type": ["code"],
        "client_id": ["cid"],
        "redirect_uri": ["https://odoo.example/xero/oauth/callback"],
        "scope": ["openid email"],
        "state": ["s t"],
    }


def test_a_state_is_valid_for_its_max_age_only(monkeypatch):
    now = float(int(time.time()))  # a state keeps whole seconds
    monkeypatch.setattr(oauth.time, "time", lambda: now)
    state = oauth.sign_state(signer("secret"), {"db": "x"})
    monkeypatch.setattr(oauth.time, "time", lambda: now + 60)
    assert oauth.verify_state(signer("secret"), state, max_age=60)["db"] == "x"
    monkeypatch.setattr(oauth.time, "time", lambda: now + 61)
    with pytest.raises(XeroAuthError, match="expired"):
        oauth.verify_state(signer("secret"), state, max_age=60)
    with pytest.raises(XeroAuthError, match="unreadable"):
        oauth.verify_state(signer("secret"), None)


def test_two_states_for_the_same_payload_differ_and_carry_it():
    one, two = oauth.sign_state(signer("secret"), {"conn": 1}), oauth.sign_state(signer("secret"), {"conn": 1})
    assert one != two
    body = oauth.verify_state(signer("secret"), one)
    assert body["conn"] == 1 and body["nonce"] and abs(body["ts"] - time.time()) < 5


def test_a_token_lives_as_long_as_xero_says(sandbox, endpoints):
    before = time.time()
    token = oauth.client_credentials(endpoints, sandbox.client_id, sandbox.client_secret, oauth.scopes())
    assert before + 1800 <= token.expires_at <= time.time() + 1800
    assert token.scope


def test_disconnecting_removes_the_organisation_once(sandbox, endpoints):
    token = sandbox.issue_token()["access_token"]
    [connection] = oauth.get_connections(endpoints, token)
    oauth.delete_connection(endpoints, token, connection["id"])
    assert oauth.get_connections(endpoints, token) == []
    oauth.delete_connection(endpoints, token, connection["id"])  # gone already: nothing to do


def test_the_tenant_list_with_a_refused_token(endpoints):
    with pytest.raises(XeroAuthError, match="while listing organisations") as info:
        oauth.get_connections(endpoints, "not-a-token")
    assert info.value.status == 401


def test_disconnecting_with_a_refused_token_is_an_auth_error(endpoints):
    with pytest.raises(XeroAuthError, match=r"refused the request \(HTTP 401\)"):
        oauth.delete_connection(endpoints, "not-a-token", "some-id")


def test_revoking_with_a_wrong_client_is_refused(sandbox, endpoints):
    with pytest.raises(XeroAuthError, match=r"HTTP 401"):
        oauth.revoke(endpoints, "nobody", "nothing", "some-refresh-token")
    oauth.revoke(endpoints, sandbox.client_id, sandbox.client_secret, "unknown-token")  # nothing to revoke: fine


def test_a_used_code_is_refused_with_reconnect(sandbox, endpoints):
    with pytest.raises(XeroAuthError, match="reconnect to Xero in Settings > Xero") as info:
        oauth.exchange_code(endpoints, sandbox.client_id, sandbox.client_secret, "no-such-code", "http://x/cb")
    assert info.value.reconnect_needed and info.value.status == 400


def test_a_token_request_refused_for_another_reason_says_it(sandbox):
    # A token URL that answers 401 without an OAuth error: the accounting API.
    wrong = oauth.Endpoints.at(sandbox.base_url)
    wrong = oauth.Endpoints(wrong.authorize_url, sandbox.accounting_url + "/Contacts", "", "", "")
    with pytest.raises(XeroAuthError, match=r"^Xero refused the token request \(401\)\.$") as info:
        oauth.refresh(wrong, sandbox.client_id, sandbox.client_secret, "r")
    assert not info.value.reconnect_needed


def test_identity_service_down_is_unavailable(sandbox, endpoints):
    sandbox.inject_fault("500", path_contains="/connect/token")
    with pytest.raises(XeroUnavailableError, match=r"not answering properly \(HTTP 500\)"):
        oauth.refresh(endpoints, sandbox.client_id, sandbox.client_secret, "r")


def test_identity_service_too_slow_is_unavailable(sandbox, endpoints, monkeypatch):
    monkeypatch.setattr(oauth, "TIMEOUT", 0.3)
    sandbox.fault_delay = 1.0
    sandbox.inject_fault("timeout", path_contains="/connect/token")
    with pytest.raises(XeroUnavailableError, match="did not answer in time"):
        oauth.client_credentials(endpoints, sandbox.client_id, sandbox.client_secret, oauth.scopes())


def test_identity_service_unreachable_is_unavailable():
    closed = oauth.Endpoints.at("http://127.0.0.1:9")
    with pytest.raises(XeroUnavailableError, match=r"could not be reached \(ConnectionError\)"):
        oauth.client_credentials(closed, "c", "s", oauth.scopes())


def test_an_answer_that_is_not_json_reads_as_empty():
    answer = requests.Response()
    answer._content = b"<html>Bad gateway</html>"
    assert oauth._json(answer) == {}


def test_state_refusals_in_full_words(monkeypatch):
    state = oauth.sign_state(signer("secret"), {"db": "x"})
    assert "=" not in state  # it travels in URLs: no padding
    with pytest.raises(XeroAuthError) as info:
        oauth.verify_state(signer("secret"), "no-dot")
    assert str(info.value) == "The answer from Xero is not for this request (unreadable state)."
    with pytest.raises(XeroAuthError) as info:
        oauth.verify_state(signer("secret"), "a.b.c")  # extra dots: still one signature, a forged one
    assert str(info.value) == "The answer from Xero is not for this request (forged state)."
    later = time.time() + 3600
    monkeypatch.setattr(oauth.time, "time", lambda: later)
    with pytest.raises(XeroAuthError) as info:
        oauth.verify_state(signer("secret"), state)
    assert str(info.value) == "The connection request has expired: start again from Settings > Xero."


@pytest.mark.parametrize("size", range(8))
def test_states_of_every_length_round_trip(size):
    payload = {"db": "d" * size}
    assert oauth.verify_state(signer("secret"), oauth.sign_state(signer("secret"), payload))["db"] == payload["db"]


def test_a_tenant_list_refused_as_forbidden(sandbox):
    # The accounting API answers 403 to a token without an organisation: as /connections would.
    token = sandbox.issue_token()["access_token"]
    forbidden = oauth.Endpoints("", "", sandbox.accounting_url + "/Organisation", "", "")
    with pytest.raises(XeroAuthError) as info:
        oauth.get_connections(forbidden, token)
    assert str(info.value) == "Xero refused the access token while listing organisations."
    assert info.value.status == 403


def test_refusals_of_the_identity_service_keep_their_status(endpoints):
    with pytest.raises(XeroAuthError) as info:
        oauth.delete_connection(endpoints, "not-a-token", "some-id")
    assert str(info.value) == "Xero's identity service refused the request (HTTP 401)."
    assert info.value.status == 401


def test_a_bad_request_from_the_identity_service_is_refused_in_words(sandbox):
    # The consent page answers 400 to a request without parameters.
    odd = oauth.Endpoints("", "", sandbox.authorize_url, "", "")
    with pytest.raises(XeroAuthError) as info:
        oauth.get_connections(odd, sandbox.issue_token()["access_token"])
    assert str(info.value) == "Xero's identity service refused the request (HTTP 400)." and info.value.status == 400


def test_token_refusals_in_full_words(sandbox, endpoints):
    with pytest.raises(XeroAuthError) as info:
        oauth.client_credentials(endpoints, "nobody", "nothing", oauth.scopes())
    assert str(info.value) == "Xero does not know this client id / secret: reconnect to Xero in Settings > Xero."
    assert info.value.status == 401
    with pytest.raises(XeroAuthError) as info:
        oauth.refresh(endpoints, sandbox.client_id, sandbox.client_secret, "used")
    assert str(info.value) == (
        "Xero no longer accepts this connection (its refresh token was used or revoked): "
        "reconnect to Xero in Settings > Xero."
    )


def test_the_scope_asked_is_the_scope_given(sandbox, endpoints):
    token = oauth.client_credentials(endpoints, sandbox.client_id, sandbox.client_secret, "accounting.contacts")
    assert token.scope == "accounting.contacts"


def test_a_token_refused_for_another_reason_keeps_its_status(sandbox):
    wrong = oauth.Endpoints("", sandbox.accounting_url + "/Contacts", "", "", "")
    with pytest.raises(XeroAuthError) as info:
        oauth.refresh(wrong, sandbox.client_id, sandbox.client_secret, "r")
    assert info.value.status == 401


def test_a_slow_identity_service_in_full_words(sandbox, endpoints, monkeypatch):
    monkeypatch.setattr(oauth, "TIMEOUT", 0.3)
    sandbox.fault_delay = 1.0
    sandbox.inject_fault("timeout", path_contains="/connect/token")
    with pytest.raises(XeroUnavailableError) as info:
        oauth.client_credentials(endpoints, sandbox.client_id, sandbox.client_secret, oauth.scopes())
    assert str(info.value) == "Xero's identity service did not answer in time."
