"""OAuth2 with Xero's identity service, on top of `requests`.

Authorization-code flow with a signed `state` and PKCE, code exchange, refresh (every
refresh returns a new refresh token that replaces the old one), client
credentials for Custom Connections, the tenant list (`/connections`) and
revocation.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import requests

from .errors import XeroAuthError, XeroUnavailableError

# What the addon uses (its public API; the rest may change without notice).
__all__ = [
    "Endpoints",
    "authorize_url",
    "client_credentials",
    "delete_connection",
    "exchange_code",
    "get_connections",
    "new_nonce",
    "pkce_pair",
    "refresh",
    "revoke",
    "scopes",
    "sign_state",
    "verify_state",
]

# Exactly what the features need (https://developer.xero.com/documentation/guides/oauth2/scopes/):
# offline_access to refresh; contacts and groups read and written; invoices, credit
# notes and payments written; organisation, accounts and tax rates only read. No
# identity scopes: the addon reads no ID token.
GRANULAR_SCOPES = (
    "offline_access",
    "accounting.contacts",
    "accounting.invoices",
    "accounting.payments",
    "accounting.settings.read",
)
# Apps created before March 2026 still use the broad scope for invoices and payments.
LEGACY_SCOPES = (
    "offline_access",
    "accounting.contacts",
    "accounting.transactions",
    "accounting.settings.read",
)
TIMEOUT = 30  # seconds; a single number (Odoo's test harness rejects tuples)
STATE_MAX_AGE = 15 * 60


@dataclass(frozen=True)
class Endpoints:
    authorize_url: str
    token_url: str
    connections_url: str
    revoke_url: str
    api_url: str

    @classmethod
    def xero(cls):
        return cls(
            authorize_url="https://login.xero.com/identity/connect/authorize",
            token_url="https://identity.xero.com/connect/token",
            connections_url="https://api.xero.com/connections",
            revoke_url="https://identity.xero.com/connect/revocation",
            api_url="https://api.xero.com/api.xro/2.0",
        )

    @classmethod
    def at(cls, base_url):
        """The same endpoints served by another host (the Xero sandbox)."""
        base = base_url.rstrip("/")
        return cls(
            authorize_url=f"{base}/identity/connect/authorize",
            token_url=f"{base}/connect/token",
            connections_url=f"{base}/connections",
            revoke_url=f"{base}/connect/revocation",
            api_url=f"{base}/api.xro/2.0",
        )


@dataclass
class Token:
    access_token: str
    expires_at: float
    refresh_token: str | None
    scope: str


def scopes(legacy=False, attachments=False):
    """The consent's scopes: only what the features switched on need (files: accounting.attachments)."""
    return " ".join(
        (LEGACY_SCOPES if legacy else GRANULAR_SCOPES) + (("accounting.attachments",) if attachments else ())
    )


def new_nonce():
    """The single-use part of a `state`: the caller keeps it where the callback can consume it."""
    return secrets.token_urlsafe(16)


def sign_state(sign, payload):
    """An opaque `state` binding the consent to `payload`, valid 15 minutes.

    `sign` turns the encoded payload into its signature (the caller's keyed
    HMAC: the engine holds no secret).
    """
    body = dict(payload, ts=int(time.time()))
    body.setdefault("nonce", new_nonce())
    raw = base64.urlsafe_b64encode(json.dumps(body, sort_keys=True).encode()).decode().rstrip("=")
    return f"{raw}.{sign(raw)}"


def verify_state(sign, state, max_age=STATE_MAX_AGE):
    """The payload of a state we signed, or XeroAuthError if forged or stale."""
    try:
        raw, signature = (state or "").rsplit(".", 1)
    except ValueError:
        raise XeroAuthError("The answer from Xero is not for this request (unreadable state).") from None
    # Bytes: compare_digest refuses non-ASCII str, and the state comes from the browser.
    if not hmac.compare_digest(sign(raw).encode(), signature.encode("utf-8", "replace")):
        raise XeroAuthError("The answer from Xero is not for this request (forged state).")
    try:
        body = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except ValueError:
        raise XeroAuthError("The answer from Xero is not for this request (unreadable state).") from None
    if time.time() - body.get("ts", 0) > max_age:
        raise XeroAuthError("The connection request has expired: start again from Settings > Xero.")
    return body


def pkce_pair():
    """(code_verifier, S256 code_challenge) of RFC 7636: a stolen code is useless without the verifier."""
    verifier = secrets.token_urlsafe(64)
    return verifier, pkce_challenge(verifier)


def pkce_challenge(verifier):
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def authorize_url(endpoints, client_id, redirect_uri, scope, state, code_challenge=None):
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": scope}
    params["state"] = state
    if code_challenge:
        params.update(code_challenge=code_challenge, code_challenge_method="S256")
    return f"{endpoints.authorize_url}?{urlencode(params)}"


def exchange_code(endpoints, client_id, client_secret, code, redirect_uri, code_verifier=None):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if code_verifier:
        data["code_verifier"] = code_verifier
    return _token_request(endpoints, client_id, client_secret, data)


def refresh(endpoints, client_id, client_secret, refresh_token):
    return _token_request(
        endpoints, client_id, client_secret, {"grant_type": "refresh_token", "refresh_token": refresh_token}
    )


def client_credentials(endpoints, client_id, client_secret, scope):
    return _token_request(endpoints, client_id, client_secret, {"grant_type": "client_credentials", "scope": scope})


def get_connections(endpoints, access_token):
    response = _send("get", endpoints.connections_url, headers={"Authorization": f"Bearer {access_token}"})
    if response.status_code in (401, 403):
        raise XeroAuthError("Xero refused the access token while listing organisations.", response.status_code)
    _raise_for_status(response)
    return response.json()


def delete_connection(endpoints, access_token, connection_id):
    response = _send(
        "delete", f"{endpoints.connections_url}/{connection_id}", headers={"Authorization": f"Bearer {access_token}"}
    )
    if response.status_code not in (200, 204, 404):
        _raise_for_status(response)


def revoke(endpoints, client_id, client_secret, refresh_token):
    response = _send("post", endpoints.revoke_url, data={"token": refresh_token}, auth=(client_id, client_secret))
    if response.status_code not in (200, 400):
        _raise_for_status(response)


def _token_request(endpoints, client_id, client_secret, data):
    sent_at = time.time()
    response = _send("post", endpoints.token_url, data=data, auth=(client_id, client_secret))
    if response.status_code in (400, 401):
        error = _json(response).get("error", "")
        if error in ("invalid_grant", "unauthorized_client", "invalid_client"):
            what = {
                "invalid_grant": "Xero no longer accepts this connection (its refresh token was used or revoked)",
                "invalid_client": "Xero does not know this client id / secret",
                "unauthorized_client": "This Xero app is not allowed this kind of connection",
            }[error]
            raise XeroAuthError(
                f"{what}: reconnect to Xero in Settings > Xero.", response.status_code, reconnect_needed=True
            )
        raise XeroAuthError(f"Xero refused the token request ({error or response.status_code}).", response.status_code)
    _raise_for_status(response)
    body = response.json()
    return Token(
        access_token=body["access_token"],
        expires_at=sent_at + float(body.get("expires_in") or 1800),
        refresh_token=body.get("refresh_token"),
        scope=body.get("scope", ""),
    )


def _send(method, url, **kwargs):
    try:
        return requests.request(method, url, timeout=TIMEOUT, **kwargs)
    except requests.Timeout:
        raise XeroUnavailableError("Xero's identity service did not answer in time.") from None
    except requests.RequestException as exc:
        raise XeroUnavailableError(f"Xero's identity service could not be reached ({type(exc).__name__}).") from None


def _raise_for_status(response):
    if response.status_code >= 500:
        raise XeroUnavailableError(f"Xero's identity service is not answering properly (HTTP {response.status_code}).")
    if response.status_code >= 400:
        raise XeroAuthError(
            f"Xero's identity service refused the request (HTTP {response.status_code}).", response.status_code
        )


def _json(response):
    try:
        return response.json()
    except ValueError:
        return {}
