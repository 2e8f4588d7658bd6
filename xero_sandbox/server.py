"""The Xero sandbox: identity (OAuth2) and accounting endpoints over HTTP.

One lock guards all state; handlers hold it only while they read or write
state, never while sleeping (timeouts) or writing to the socket.
"""

import base64
import collections
import email.utils
import hashlib
import hmac
import html
import json
import math
import os
import re
import secrets
import socket
import struct
import threading
import time
import uuid
import weakref
from datetime import datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from . import extras
from . import seed as seeds
from .query import UTC, QueryError, dumps, now, parse_datetime
from .query import freeze as query_freeze
from .state import ApiError, Tenant, bad_request, not_found
from .validation import Validator

API_ROOT = "/api.xro/2.0"
DEFAULT_SCOPE = (
    "openid profile email accounting.contacts accounting.invoices accounting.payments "
    "accounting.settings offline_access"
)
# Xero's scopes (https://developer.xero.com/documentation/guides/oauth2/scopes/): each
# accounting family has a write scope and a `.read` one. Apps created since March 2026
# get the granular ones only; accounting.transactions(.read) is for older apps.
IDENTITY_SCOPES = {"openid", "profile", "email", "offline_access"}
GRANULAR_FAMILIES = ("accounting.contacts", "accounting.invoices", "accounting.payments", "accounting.settings")
OTHER_FAMILIES = ("accounting.attachments", "accounting.budgets", "accounting.journals", "accounting.reports")
LEGACY_FAMILY = "accounting.transactions"
# Which family each endpoint (its first path segment) belongs to.
ENDPOINT_FAMILIES = {
    "contacts": "accounting.contacts",
    "contactgroups": "accounting.contacts",
    "invoices": "accounting.invoices",
    "creditnotes": "accounting.invoices",
    "payments": "accounting.payments",
    "organisation": "accounting.settings",
    "accounts": "accounting.settings",
    "taxrates": "accounting.settings",
    "currencies": "accounting.settings",
}
# Refresh tokens (https://developer.xero.com/documentation/guides/oauth2/token-types/#refresh-token):
# each refresh returns a new one; the previous one still works for a grace period
# of 30 minutes (a retry after a lost answer); one unused for 60 days expires.
REFRESH_GRACE = 30 * 60.0
REFRESH_TOKEN_LIFETIME = 60 * 86400.0
FAULT_KINDS = (
    "500",
    "503",
    "timeout",
    "expired_token",
    "429",
    # The organisation's calls of the day are used up, as _admit answers it.
    "429_day",
    # The connection is reset (TCP RST) with no answer; after processing: Xero did the write, its answer is lost.
    "reset",
    # Xero's 409: a request with the same Idempotency-Key is still being processed.
    "409",
    # A write's 200 answer whose items lack their ids, or with fewer items than sent (after processing only).
    "missing_ids",
    "fewer_items",
    # A sandbox started with tls=True: a corrupt TLS record instead of the answer
    # (the client's TLS layer fails: "bad record mac"), then the connection closes.
    "tls_error",
)
# Faults that change the answer of a request already processed.
ANSWER_FAULTS = ("missing_ids", "fewer_items")
LOGGED_HEADERS = ("xero-tenant-id", "idempotency-key", "if-modified-since", "user-agent")
JSON_TYPE = "application/json; charset=utf-8"
# Xero remembers an Idempotency-Key for a limited time (minutes by public
# accounts; https://developer.xero.com/documentation/guides/idempotent-requests/idempotency):
# long enough for a retry, not forever.
IDEMPOTENCY_TTL = 600.0


def _json(status, payload, headers=None):
    return status, dict(headers or {}, **{"Content-Type": JSON_TYPE}), dumps(payload)


def _html(status, body):
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Xero sandbox</title></head><body>{body}</body></html>"
    )
    return status, {"Content-Type": "text/html; charset=utf-8"}, page.encode()


def _oauth_error(error, status=400):
    return _json(status, {"error": error})


def _pkce_ok(code, verifier):
    """RFC 7636: the verifier hashes (S256) or equals (plain) the challenge given at /authorize."""
    if not verifier:
        return False
    if code["code_challenge_method"] == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        verifier = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return hmac.compare_digest(verifier.encode("ascii", "replace"), code["code_challenge"].encode("ascii", "replace"))


class _Query:
    """Query parameters, looked up case-insensitively as Xero does."""

    def __init__(self, pairs):
        self.pairs = pairs

    def get(self, name, default=None):
        for key, value in self.pairs:
            if key.lower() == name.lower():
                return value
        return default

    def list(self, name):
        values = []
        for key, value in self.pairs:
            if key.lower() == name.lower():
                values.extend(v for v in value.split(",") if v.strip())
        return values or None

    def flag(self, name, default=False):
        value = self.get(name)
        return default if value is None else value.strip().lower() == "true"


_INSTANCES = weakref.WeakSet()


def instances():
    """Every sandbox of this process still alive (the test suites check their answers)."""
    return list(_INSTANCES)


class XeroSandbox:
    """A stateful fake of the Xero API on 127.0.0.1 (see the package docstring)."""

    def __init__(
        self,
        port=0,
        seed="demo",
        minute_limit=60,
        day_limit=5000,
        concurrent_limit=5,
        minute_seconds=60.0,
        openapi_dir=None,
        idempotency_ttl=IDEMPOTENCY_TTL,
        check_responses=None,
        tls=False,
    ):
        self.host = "127.0.0.1"
        # Served over HTTPS with a certificate of its own (`ca_file`), for TLS faults.
        self.tls = tls
        self.ca_file = None
        self.port = port
        self.minute_limit = minute_limit
        self.day_limit = day_limit
        self.concurrent_limit = concurrent_limit
        self.minute_seconds = float(minute_seconds)
        self.app_minute_limit = 10000
        self.client_id = "sandbox-client-id"
        self.client_secret = "sandbox-client-secret"
        self.auto_consent = False
        # Seconds a rotated refresh token still works (Xero's grace period).
        self.refresh_grace = REFRESH_GRACE
        # An app created before March 2026 may still use accounting.transactions.
        self.legacy_app = False
        self.fault_delay = 5.0
        self.provider_name = "Xero Sandbox"
        # Seconds a key is remembered (Xero keeps keys for a limited time only).
        self.idempotency_ttl = float(idempotency_ttl)
        # The clock of its rate limits and key lifetimes: a test moves it instead of waiting.
        self.ticks = time.monotonic
        # The test suites check every accounting answer against Xero's description too.
        if check_responses is None:
            check_responses = os.environ.get("XERO_SANDBOX_CHECK_RESPONSES", "") not in ("", "0")
        self.check_responses = check_responses
        _INSTANCES.add(self)
        self._lock = threading.RLock()
        self._validator = Validator(openapi_dir)
        self._server = None
        self._thread = None
        self.reset(seed)

    # -- life cycle ---------------------------------------------------------------

    def start(self):
        handler = type("Handler", (_Handler,), {"sandbox": self})
        self._server = _Server((self.host, self.port), handler)
        if self.tls:
            self.ca_file, self._server.tls_context = _tls_context(self.host)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="xero-sandbox", daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base_url(self):
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def accounting_url(self):
        return self.base_url + API_ROOT

    @property
    def token_url(self):
        return self.base_url + "/connect/token"

    @property
    def authorize_url(self):
        return self.base_url + "/identity/connect/authorize"

    @property
    def connections_url(self):
        return self.base_url + "/connections"

    @property
    def revoke_url(self):
        return self.base_url + "/connect/revocation"

    # -- state controls (test shortcuts) -----------------------------------------

    def reset(self, seed="empty"):
        if seed not in ("demo", "empty"):
            raise ValueError("seed must be 'demo' or 'empty'")
        with self._lock:
            self.tenants = {}
            self._codes = {}
            self._grants = {}
            self._refresh = {}
            self._access = {}
            self._connections = {}
            self._idempotent = {}
            self._keys_in_flight = set()
            self._faults = []
            self._shuffles = 0
            self._calls = collections.defaultdict(collections.deque)
            self._app_calls = collections.deque()
            self._day = {}
            self._in_flight = collections.Counter()
            self._stats = {
                "requests": 0,
                "http_429": 0,
                "max_calls_in_window": 0,
                "max_concurrent": 0,
                "per_path": collections.Counter(),
            }
            self._log = []
            self._violations = []
            self._response_violations = []
            self._validator.calls, self._validator.seconds = 0, 0.0
            tenant = self._new_tenant(seeds.DEMO_NAME)
            if seed == "demo":
                seeds.seed_demo(tenant)
            self.tenant_id = tenant.id

    def _new_tenant(self, name):
        tenant_id = seeds.tenant_id_for(name)
        if tenant_id in self.tenants:
            raise ValueError(f"an organisation named {name!r} exists already")
        tenant = Tenant(tenant_id, name, seeds.short_code_for(name))
        seeds.install_reference(tenant)
        self.tenants[tenant_id] = tenant
        return tenant

    def add_tenant(self, name):
        with self._lock:
            return self._new_tenant(name).id

    def _tenant(self, tenant_id):
        return self.tenants[tenant_id or self.tenant_id]

    def issue_token(self, tenant_ids=None, expires_in=1800, scope=DEFAULT_SCOPE):
        with self._lock:
            grant = self._new_grant(list(tenant_ids or [self.tenant_id]), scope, "authorization_code")
            return self._token_answer(grant, expires_in)

    def age_refresh_tokens(self, days):
        """Tests: make every refresh token `days` older (unused ones expire after 60)."""
        with self._lock:
            for entry in self._refresh.values():
                entry["issued"] -= days * 86400
                if entry["retired"] is not None:
                    entry["retired"] -= days * 86400

    def expire_access_tokens(self):
        with self._lock:
            for info in self._access.values():
                info["expires_at"] = min(info["expires_at"], time.time() - 1)

    def seed_contacts(self, n, tenant_id=None, prefix="Contact"):
        with self._lock:
            return seeds.generate_contacts(self._tenant(tenant_id), n, prefix)

    def seed_invoices(self, n, tenant_id=None):
        """n sales invoices for the contacts there are (benchmarks)."""
        with self._lock:
            tenant = self._tenant(tenant_id)
            return seeds.generate_invoices(tenant, n, list(tenant.contacts))

    def clear_faults(self):
        """Drop the injected faults not used up yet (a test that failed midway leaves some)."""
        with self._lock:
            self._faults = []

    def inject_fault(self, kind, count=1, method=None, path_contains=None, when="before", retry_after=None):
        """Answer the next `count` matching requests with a fault.

        Without `path_contains` only accounting calls match; with it, any path
        containing it (so the token endpoint can fail too). `when="after"`:
        the request is processed first (a write is done), then its answer is
        lost or spoilt. `retry_after` (a 429's Retry-After, as text or number)
        defaults to 1 second.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}")
        if when not in ("before", "after"):
            raise ValueError("when must be 'before' or 'after'")
        if kind in ANSWER_FAULTS and when != "after":
            raise ValueError(f"a {kind} fault spoils an answer: it needs when='after'")
        if kind == "tls_error" and not self.tls:
            raise ValueError("a tls_error fault needs a sandbox started with tls=True")
        with self._lock:
            self._faults.append(
                {
                    "kind": kind,
                    "count": count,
                    "method": method and method.upper(),
                    "path_contains": path_contains,
                    "when": when,
                    "retry_after": retry_after,
                }
            )

    def shuffle_write_answers(self, count=1):
        """Answer the next `count` batch writes with their items in another order.

        Xero does not promise that a batch's answer lists its items in the
        request's order; the items themselves are unchanged.
        """
        with self._lock:
            self._shuffles += count

    def _shuffled(self, response):
        """`response` with the items of its one list in another order (the first last)."""
        status, out_headers, payload = response
        data = json.loads(payload)
        lists = [k for k, v in data.items() if isinstance(v, list) and len(v) > 1]
        if not lists:
            return response
        items = data[lists[0]]
        data[lists[0]] = items[1:] + items[:1]
        return status, out_headers, dumps(data)

    def forget_idempotency_keys(self):
        """Xero remembers an Idempotency-Key for a limited time only: after that a retry is a new write."""
        with self._lock:
            self._idempotent.clear()

    def set_lock_dates(self, period=None, end_of_year=None, tenant_id=None):
        """What an adviser sets in Xero (Settings > Advanced > Lock dates); None clears."""
        with self._lock:
            organisation = self._tenant(tenant_id).organisation
            for field, value in (("PeriodLockDate", period), ("EndOfYearLockDate", end_of_year)):
                if value is None:
                    organisation.pop(field, None)
                else:
                    organisation[field] = parse_datetime(value).date()

    def set_day_rate(self, currency, rate, tenant_id=None):
        """The day rate Xero would use for `currency` (units for one unit of the base currency)."""
        with self._lock:
            self._tenant(tenant_id).day_rates[currency] = Decimal(str(rate))

    @staticmethod
    def freeze_clock(moment=None):
        """Stop the clock of every sandbox in this process at `moment` (a datetime; None: let it run).

        Lets a test make several changes in one second, as happens in Xero.
        """
        query_freeze(parse_datetime(moment) if moment else None)

    def record_payment(
        self, document_id, amount, account_code="090", date=None, credit_note=False, tenant_id=None, **fields
    ):
        """A payment made in Xero (as the accountant reconciling the bank feed there does): the
        invoice (or with `credit_note`, the credit note refunded) paid into a bank account.
        Xero's rules apply as to PUT /Payments (a ValidationException when it would refuse it).
        `fields`: other Payment fields (Reference, CurrencyRate). Returns the payment as
        GET /Payments lists it."""
        item = {
            "CreditNote" if credit_note else "Invoice": (
                {"CreditNoteID": document_id} if credit_note else {"InvoiceID": document_id}
            ),
            "Account": {"Code": account_code},
            "Amount": amount,
            **({"Date": str(date)} if date else {}),
            **fields,
        }
        with self._lock:
            return json.loads(dumps(self._tenant(tenant_id).record_payment(item)))

    def merge_contacts(self, from_id, into_id, tenant_id=None):
        with self._lock:
            self._tenant(tenant_id).merge(from_id, into_id)

    def update_contact(self, contact_id, tenant_id=None, **fields):
        with self._lock:
            self._tenant(tenant_id).edit_contact(contact_id, fields)

    def contacts(self, tenant_id=None):
        with self._lock:
            tenant = self._tenant(tenant_id)
            return json.loads(dumps([tenant.contact_out(c) for c in tenant.contacts.values()]))

    def count_contacts_named(self, name, tenant_id=None):
        with self._lock:
            return sum(1 for c in self._tenant(tenant_id).contacts.values() if c["Name"] == name)

    @property
    def stats(self):
        with self._lock:
            out = dict(self._stats, per_path=collections.Counter(self._stats["per_path"]))
            out["validations"] = self._validator.calls
            out["validation_ms_avg"] = (
                1000 * self._validator.seconds / self._validator.calls if self._validator.calls else 0.0
            )
            return out

    @property
    def request_log(self):
        with self._lock:
            return list(self._log)

    @property
    def validation_errors(self):
        with self._lock:
            return list(self._violations)

    @property
    def response_violations(self):
        """Answers of this sandbox that Xero's description says Xero never gives."""
        with self._lock:
            return list(self._response_violations)

    def clear_response_violations(self):
        with self._lock:
            self._response_violations.clear()

    def _check_response(self, method, path, query, response):
        status, headers, payload = response
        route, match = _route(method, path[len(API_ROOT) :])
        if route is None:
            return
        canonical = API_ROOT + re.sub(r"\{(\w+)\}", lambda m: match.group(m.group(1)), route[2])
        message = self._validator.validate_response(method, canonical, query, status, headers, payload)
        if message:
            with self._lock:
                self._response_violations.append({"method": method, "path": path, "status": status, "message": message})

    # -- OAuth2 / identity -------------------------------------------------------

    def _new_grant(self, tenant_ids, scope, kind):
        grant = {
            "id": str(uuid.uuid4()),
            "tenant_ids": tenant_ids,
            "scope": scope,
            "kind": kind,
            "refresh_token": None,
            "alive": True,
        }
        self._grants[grant["id"]] = grant
        stamp = datetime.now(UTC)
        for tenant_id in tenant_ids:
            connection = next((c for c in self._connections.values() if c["tenantId"] == tenant_id), None)
            if connection is None:
                connection = {
                    "id": str(uuid.uuid4()),
                    "tenantId": tenant_id,
                    "tenantType": "ORGANISATION",
                    "createdDateUtc": stamp,
                }
                self._connections[connection["id"]] = connection
            connection.update(authEventId=grant["id"], updatedDateUtc=stamp)
        return grant

    def _token_answer(self, grant, expires_in=1800, rotate=True):
        access = secrets.token_urlsafe(32)
        self._access[access] = {"grant": grant["id"], "expires_at": time.time() + expires_in}
        answer = {"access_token": access, "expires_in": expires_in, "token_type": "Bearer", "scope": grant["scope"]}
        # Xero gives a refresh token only for offline_access, never to custom connections.
        if grant["kind"] != "client_credentials" and "offline_access" in grant["scope"].split():
            if rotate:
                if grant["refresh_token"] in self._refresh:
                    # rotation: the old one dies once its grace period is over
                    self._refresh[grant["refresh_token"]]["retired"] = time.time()
                grant["refresh_token"] = secrets.token_urlsafe(32)
                self._refresh[grant["refresh_token"]] = {"grant": grant["id"], "issued": time.time(), "retired": None}
            answer["refresh_token"] = grant["refresh_token"]
        answer["expires_at"] = int(self._access[access]["expires_at"])
        return answer

    def _scope_refusal(self, scope):
        """None when Xero grants every scope asked for, else why not (invalid_scope)."""
        known = set(IDENTITY_SCOPES)
        families = GRANULAR_FAMILIES + OTHER_FAMILIES + ((LEGACY_FAMILY,) if self.legacy_app else ())
        for family in families:
            known |= {family, family + ".read"}
        unknown = [s for s in (scope or "").split() if s not in known]
        return f"invalid_scope: {' '.join(unknown)}" if unknown else None

    @staticmethod
    def _scope_covers(scope, method, path):
        """Whether a token's scope allows this accounting call (writes need the write scope)."""
        segment = path[len(API_ROOT) + 1 :].split("/", 1)[0].lower()
        family = ENDPOINT_FAMILIES.get(segment)
        if "/attachments" in path.lower():
            family = "accounting.attachments"  # a document's files have their own scope
        if family is None:
            return True
        granted = set((scope or "").split())
        families = {family}
        if family in ("accounting.invoices", "accounting.payments"):
            families.add(LEGACY_FAMILY)  # what the broad scope of older apps covers
        wanted = families if method != "GET" else families | {f + ".read" for f in families}
        return bool(granted & wanted)

    def _client_ok(self, headers, form):
        auth = headers.get("Authorization", "")
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if auth.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(auth[6:].strip()).decode().partition(":")
            except ValueError:
                return False
        return client_id == self.client_id and secret == self.client_secret

    def _token(self, headers, form):
        if not self._client_ok(headers, form):
            return _oauth_error("invalid_client", 401)
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                code = self._codes.pop(form.get("code", ""), None)  # single use
                if code is None or code["expires_at"] < time.time() or code["redirect_uri"] != form.get("redirect_uri"):
                    return _oauth_error("invalid_grant")
                if code["code_challenge"] and not _pkce_ok(code, form.get("code_verifier")):
                    return _oauth_error("invalid_grant")  # as Xero: PKCE asked, no matching verifier
                grant = self._new_grant(code["tenant_ids"], code["scope"], "authorization_code")
                return _json(200, self._public(self._token_answer(grant)))
            if grant_type == "refresh_token":
                entry = self._refresh.get(form.get("refresh_token", ""))
                grant = self._grants.get(entry["grant"]) if entry else None
                if grant is None or not grant["alive"]:
                    return _oauth_error("invalid_grant")
                moment = time.time()
                if entry["retired"] is not None:
                    # Xero: a rotated refresh token still works for a grace period, so a
                    # client that lost the answer can retry; it gets the current token.
                    if moment - entry["retired"] > self.refresh_grace:
                        return _oauth_error("invalid_grant")
                    return _json(200, self._public(self._token_answer(grant, rotate=False)))
                if moment - entry["issued"] > REFRESH_TOKEN_LIFETIME:
                    return _oauth_error("invalid_grant")  # unused for 60 days: expired
                return _json(200, self._public(self._token_answer(grant)))
            if grant_type == "client_credentials":
                scope = form.get("scope") or DEFAULT_SCOPE.replace(" offline_access", "")
                if self._scope_refusal(scope):
                    return _oauth_error("invalid_scope")
                grant = self._new_grant([self.tenant_id], scope, "client_credentials")
                return _json(200, self._public(self._token_answer(grant)))
        return _oauth_error("unsupported_grant_type")

    @staticmethod
    def _public(answer):
        return {k: v for k, v in answer.items() if k != "expires_at"}

    def _revoke(self, headers, form):
        if not self._client_ok(headers, form):
            return _oauth_error("invalid_client", 401)
        with self._lock:
            entry = self._refresh.pop(form.get("token", ""), None)
            grant = self._grants.get(entry["grant"]) if entry else None
            if grant is not None:
                grant["alive"] = False
                for token in [t for t, info in self._access.items() if info["grant"] == grant["id"]]:
                    del self._access[token]
                for cid in [c for c, conn in self._connections.items() if conn["authEventId"] == grant["id"]]:
                    del self._connections[cid]
        return 200, {"Content-Length": "0"}, b""

    def _authorize(self, method, query, form):
        params = dict(query) if method == "GET" else form
        if params.get("client_id") != self.client_id:
            return _html(400, "<h1>Unknown client</h1><p>client_id is not registered with this sandbox.</p>")
        redirect = params.get("redirect_uri", "")
        if not redirect.startswith(("http://", "https://")):
            return _html(400, "<h1>Invalid redirect_uri</h1>")
        if method == "GET" and params.get("response_type") != "code":
            return _html(400, "<h1>Unsupported response_type</h1><p>Use response_type=code.</p>")
        state = params.get("state", "")
        if self._scope_refusal(params.get("scope") or DEFAULT_SCOPE):
            # Xero sends the user back with the error instead of a consent page.
            return self._redirect(redirect, error="invalid_scope", state=state)
        with self._lock:
            tenants = list(self.tenants.values())
            if method == "GET" and not self.auto_consent:
                return self._consent_page(params, tenants)
            if method == "POST" and params.get("decision") != "allow":
                return self._redirect(redirect, error="access_denied", state=state)
            chosen = (
                [t.id for t in tenants]
                if method == "GET"
                else [tid for tid in params.get("tenant", []) if tid in self.tenants]
            )
            if not chosen:
                return _html(400, "<h1>Choose at least one organisation</h1>")
            code = secrets.token_urlsafe(24)
            self._codes[code] = {
                "redirect_uri": redirect,
                "tenant_ids": chosen,
                "expires_at": time.time() + 300,
                "scope": params.get("scope") or DEFAULT_SCOPE,
                "code_challenge": params.get("code_challenge") or "",
                "code_challenge_method": params.get("code_challenge_method") or "plain",
            }
        return self._redirect(redirect, code=code, state=state)

    @staticmethod
    def _redirect(uri, **params):
        glue = "&" if "?" in uri else "?"
        return 302, {"Location": uri + glue + urlencode(params), "Content-Length": "0"}, b""

    @staticmethod
    def _consent_page(params, tenants):
        hidden = "".join(
            f"<input type='hidden' name='{k}' value='{html.escape(params.get(k, ''), quote=True)}'>"
            for k in ("client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method")
            if params.get(k) is not None or not k.startswith("code_")
        )
        if len(tenants) > 1:
            boxes = "".join(
                f"<label><input type='checkbox' name='tenant' value='{t.id}' checked> {html.escape(t.name)}</label><br>"
                for t in tenants
            )
            orgs = f"<p>Choose the organisations to connect:</p>{boxes}"
        else:
            orgs = (
                f"<p>Organisation: <b>{html.escape(tenants[0].name)}</b></p>"
                f"<input type='hidden' name='tenant' value='{tenants[0].id}'>"
            )
        scope = html.escape(params.get("scope", ""))
        return _html(
            200,
            "<h1>Xero sandbox</h1><p>The app <b>sandbox-client-id</b> asks for access: "
            f"<code>{scope}</code></p><form method='post' action='/identity/connect/authorize'>{hidden}{orgs}"
            "<button type='submit' name='decision' value='allow'>Allow access</button> "
            "<button type='submit' name='decision' value='deny'>Cancel</button></form>",
        )

    def _bearer(self, headers):
        """(grant, None) for a live token, else (None, 401 response)."""
        auth = headers.get("Authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        info = self._access.get(token)
        grant = self._grants.get(info["grant"]) if info else None
        if grant is None or not grant["alive"]:
            return None, self._unauthorized("AuthenticationUnsuccessful")
        if info["expires_at"] < time.time():
            expired = datetime.fromtimestamp(info["expires_at"], UTC).strftime("%m/%d/%Y %H:%M:%S")
            return None, self._unauthorized(f"TokenExpired: token expired at {expired}")
        return grant, None

    @staticmethod
    def _unauthorized(detail):
        return _json(
            401,
            {"Type": None, "Title": "Unauthorized", "Status": 401, "Detail": detail, "Instance": None},
            {"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )

    def _covered(self, grant):
        """Tenant ids this grant may use: consented and still connected."""
        connected = {c["tenantId"] for c in self._connections.values()}
        return [t for t in grant["tenant_ids"] if t in connected and t in self.tenants]

    def _connections_api(self, method, path, headers):
        with self._lock:
            grant, failure = self._bearer(headers)
            if failure:
                return failure
            covered = self._covered(grant)
            mine = [c for c in self._connections.values() if c["tenantId"] in covered]
            if method == "GET":
                return _json(
                    200,
                    [
                        {
                            **c,
                            "tenantName": self.tenants[c["tenantId"]].name,
                            "createdDateUtc": c["createdDateUtc"].strftime("%Y-%m-%dT%H:%M:%S.%f0"),
                            "updatedDateUtc": c["updatedDateUtc"].strftime("%Y-%m-%dT%H:%M:%S.%f0"),
                        }
                        for c in mine
                    ],
                )
            connection_id = path.rstrip("/").rsplit("/", 1)[-1].lower()
            if method == "DELETE" and any(c["id"] == connection_id for c in mine):
                del self._connections[connection_id]
                return 204, {}, b""
            return _json(404, {"Title": "Not Found", "Status": 404, "Detail": "Connection not found"})

    # -- accounting pipeline -----------------------------------------------------

    def _take_fault(self, method, path, when, accounting):
        with self._lock:
            for fault in self._faults:
                if fault["when"] != when or (fault["method"] and fault["method"] != method):
                    continue
                if fault["path_contains"] is None and not accounting:
                    continue
                if fault["path_contains"] is not None and fault["path_contains"] not in path:
                    continue
                fault["count"] -= 1
                if fault["count"] <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _fault_response(self, fault, answer=None):
        kind = fault["kind"]
        if kind in ("reset", "tls_error"):
            return 0, {"X-Sandbox-Drop": kind}, b""  # the handler drops the connection without an answer
        if kind == "409":
            return _json(
                409,
                {
                    "Title": "Conflict",
                    "Status": 409,
                    "Detail": "A request with this Idempotency-Key is still being processed.",
                },
            )
        if kind in ANSWER_FAULTS:
            return _spoilt(kind, answer)
        if kind == "500":
            return _json(
                500,
                {
                    "Title": "An error occurred",
                    "Status": 500,
                    "Detail": "An error occurred in Xero. Check the API Status page for current status.",
                },
            )
        if kind == "503":
            return _json(
                503,
                {"Title": "Service Unavailable", "Status": 503, "Detail": "The Xero API is temporarily unavailable."},
            )
        if kind == "expired_token":
            expired = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%m/%d/%Y %H:%M:%S")
            return self._unauthorized(f"TokenExpired: token expired at {expired}")
        if kind == "429":
            return self._too_many("minute", 1 if fault["retry_after"] is None else fault["retry_after"])
        if kind == "429_day":
            return self._too_many("day", _seconds_to_midnight(datetime.now(UTC).date()))
        return None

    def _too_many(self, problem, retry_after):
        with self._lock:
            self._stats["http_429"] += 1
        return _json(
            429,
            {"Title": "Too Many Requests", "Status": 429, "Detail": f"You have exceeded the {problem} rate limit"},
            {"X-Rate-Limit-Problem": problem, **({"Retry-After": str(retry_after)} if retry_after else {})},
        )

    def _admit(self, tenant_id):
        """Count one call against the tenant's budgets, or the 429 answer."""
        moment = self.ticks()
        with self._lock:
            window = self._calls[tenant_id]
            while window and window[0] <= moment - self.minute_seconds:
                window.popleft()
            while self._app_calls and self._app_calls[0] <= moment - 60:
                self._app_calls.popleft()
            today = datetime.now(UTC).date()
            day = self._day.get(tenant_id)
            if day is None or day[0] != today:
                day = self._day[tenant_id] = [today, 0]
            if day[1] >= self.day_limit:
                return None, ("day", _seconds_to_midnight(today))
            if len(self._app_calls) >= self.app_minute_limit:
                # The app as a whole: 10,000 calls a minute across all organisations
                # (https://developer.xero.com/documentation/guides/oauth2/limits/).
                wait = self._app_calls[0] + 60 - moment
                return None, ("appminute", max(1, math.ceil(wait)))
            if len(window) >= self.minute_limit:
                wait = window[0] + self.minute_seconds - moment
                return None, ("minute", max(1, math.ceil(wait)))
            window.append(moment)
            self._app_calls.append(moment)
            day[1] += 1
            self._stats["max_calls_in_window"] = max(self._stats["max_calls_in_window"], len(window))
            return {
                "X-MinLimit-Remaining": str(self.minute_limit - len(window)),
                "X-DayLimit-Remaining": str(self.day_limit - day[1]),
                "X-AppMinLimit-Remaining": str(self.app_minute_limit - len(self._app_calls)),
            }, None

    def _limit_headers(self, tenant_id):
        with self._lock:
            window = self._calls.get(tenant_id, ())
            day = self._day.get(tenant_id, [None, 0])
            return {
                "X-MinLimit-Remaining": str(max(0, self.minute_limit - len(window))),
                "X-DayLimit-Remaining": str(max(0, self.day_limit - day[1])),
                "X-AppMinLimit-Remaining": str(max(0, self.app_minute_limit - len(self._app_calls))),
            }

    def _accounting(self, method, path, query, headers, body):
        with self._lock:
            self._stats["requests"] += 1
            self._stats["per_path"][path] += 1
            grant, failure = self._bearer(headers)
            if failure:
                return failure
            tenant_id = (headers.get("xero-tenant-id") or "").strip().lower()
            if not tenant_id and grant["kind"] == "client_credentials" and len(self._covered(grant)) == 1:
                # A custom connection reaches one organisation: Xero needs no tenant header
                # (https://developer.xero.com/documentation/guides/oauth2/custom-connections/).
                tenant_id = self._covered(grant)[0]
            if tenant_id not in self._covered(grant):
                return _json(
                    403,
                    {
                        "Type": None,
                        "Title": "Forbidden",
                        "Status": 403,
                        "Detail": "AuthenticationUnsuccessful",
                        "Instance": None,
                    },
                )
            if not self._scope_covers(grant["scope"], method, path):
                # The token's scopes do not cover this endpoint (or only its .read form for a write).
                return _json(
                    403,
                    {
                        "Type": None,
                        "Title": "Forbidden",
                        "Status": 403,
                        "Detail": "AuthorizationUnsuccessful",
                        "Instance": None,
                    },
                )
            if self._in_flight[tenant_id] >= self.concurrent_limit:
                # Xero's concurrency 429 carries no Retry-After (a call ends any moment).
                return self._too_many("concurrent", None)
            self._in_flight[tenant_id] += 1
            self._stats["max_concurrent"] = max(self._stats["max_concurrent"], self._in_flight[tenant_id])
        try:
            status, out_headers, payload = self._accounting_admitted(method, path, query, headers, body, tenant_id)
            return status, {**self._limit_headers(tenant_id), **out_headers}, payload
        finally:
            with self._lock:
                self._in_flight[tenant_id] -= 1

    def _accounting_admitted(self, method, path, query, headers, body, tenant_id):
        key = headers.get("Idempotency-Key") if method in ("POST", "PUT") else None
        with self._lock:
            if key and (tenant_id, key) in self._keys_in_flight:
                # Xero answers 409 while a request with the same key is still being processed
                # (https://developer.xero.com/documentation/guides/idempotent-requests/idempotency).
                return self._fault_response({"kind": "409"})
            if key:
                self._keys_in_flight.add((tenant_id, key))
        try:
            return self._accounting_keyed(method, path, query, headers, body, tenant_id, key)
        finally:
            with self._lock:
                self._keys_in_flight.discard((tenant_id, key))

    def _accounting_keyed(self, method, path, query, headers, body, tenant_id, key):
        fault = self._take_fault(method, path, "before", True)
        if fault and fault["kind"] == "timeout":
            time.sleep(self.fault_delay)
        elif fault:
            return self._fault_response(fault)
        limits, refused = self._admit(tenant_id)
        if refused:
            return self._too_many(*refused)
        route, match = _route(method, path[len(API_ROOT) :])
        refusal = self._refusal(route, match, method, path, query, headers, body, tenant_id)
        if refusal:
            return refusal
        # A file (an attachment) is sent as raw bytes, everything else as JSON.
        data = body if _binary(headers) else json.loads(body) if body else None
        with self._lock:
            remembered = self._remembered(tenant_id, key)
            # Xero ties a key to its request: the same key with another endpoint,
            # method or body is refused with 400, never answered with the first
            # request's answer (https://developer.xero.com/documentation/guides/idempotent-requests/idempotency).
            content = hashlib.sha256(data).hexdigest() if isinstance(data, bytes) else json.dumps(data, sort_keys=True)
            request_id = (method, path.lower().rstrip("/"), tuple(query), content)
            if remembered is not None and remembered["request"] != request_id:
                response = _json(
                    400,
                    {
                        "ErrorNumber": 10,
                        "Type": "ValidationException",
                        "Message": "The Idempotency-Key has already been used with a different request.",
                    },
                )
            elif remembered is not None:
                response = remembered["response"]
            else:
                response = self._run(route[3], match, tenant_id, _Query(query), headers, data)
                if key and response[0] < 500:
                    self._idempotent[(tenant_id, key)] = {
                        "request": request_id,
                        "response": response,
                        "expires": self.ticks() + self.idempotency_ttl,
                    }
        if method in ("POST", "PUT") and response[0] == 200:
            with self._lock:
                shuffle, self._shuffles = self._shuffles > 0, max(self._shuffles - 1, 0)
            if shuffle:
                response = self._shuffled(response)
        fault = self._take_fault(method, path, "after", True)
        if fault and fault["kind"] == "timeout":
            time.sleep(self.fault_delay)
        elif fault:
            response = self._fault_response(fault, response)
        status, out_headers, payload = response
        return status, {**out_headers, **limits}, payload

    def _remembered(self, tenant_id, key):
        """The live entry of an Idempotency-Key (expired ones are dropped)."""
        if not key:
            return None
        moment = self.ticks()
        for stale in [k for k, v in self._idempotent.items() if v["expires"] <= moment]:
            del self._idempotent[stale]
        return self._idempotent.get((tenant_id, key))

    def _refusal(self, route, match, method, path, query, headers, body, tenant_id=None):
        """404, schema violation, bad Idempotency-Key or JSON: the answer, else None."""
        if route is None:
            return _json(
                404, {"Title": "Not Found", "Status": 404, "Detail": "The resource you're looking for cannot be found"}
            )
        # Validate against the spec's own spelling of the path (Xero's paths ignore case).
        canonical = API_ROOT + re.sub(r"\{(\w+)\}", lambda m: match.group(m.group(1)), route[2])
        checked = dict(headers.items())
        if not headers.get("xero-tenant-id"):  # a custom connection may leave it out
            checked["xero-tenant-id"] = tenant_id
        message = self._validator.validate(
            method, canonical, query, checked, body, "application/octet-stream" if _binary(headers) else None
        )
        if message:
            with self._lock:
                self._violations.append({"method": method, "path": path, "message": message})
            return _json(400, {"ErrorNumber": 14, "Type": "SchemaValidationException", "Message": message})
        if len(headers.get("Idempotency-Key") or "") > 128:
            return _json(
                400,
                {
                    "ErrorNumber": 10,
                    "Type": "ValidationException",
                    "Message": "The Idempotency-Key header must be 128 characters or fewer.",
                },
            )
        try:
            json.loads(body) if body and not _binary(headers) else None
        except ValueError:
            return _json(400, {"ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": "Invalid JSON"})
        return None

    def _run(self, handler, match, tenant_id, query, headers, data):
        tenant = self.tenants[tenant_id]
        try:
            result = handler(self, tenant, match, query, headers, data)
        except ApiError as exc:
            return _json(exc.status, exc.payload)
        except QueryError as exc:
            return _json(400, {"ErrorNumber": 16, "Type": "QueryParseException", "Message": str(exc)})
        if result is None:  # 304 Not Modified
            return 304, {}, b""
        if isinstance(result, tuple):
            return result
        return _json(200, result)

    # -- accounting endpoints ------------------------------------------------------

    def envelope(self, key, items, pagination=None):
        out = {"Id": str(uuid.uuid4()), "Status": "OK", "ProviderName": self.provider_name, "DateTimeUTC": now()}
        if pagination:
            out["pagination"] = pagination
        out[key] = items
        return out

    def listing(self, key, records, query, headers):
        """Paging and If-Modified-Since's 304, shared by every list endpoint."""
        if headers.get("If-Modified-Since") and not records:
            return None
        page = query.get("page")
        if page is None:
            return self.envelope(key, list(records))
        try:
            page = max(1, int(page))
            size = min(max(1, int(query.get("pageSize") or 100)), 1000)
        except ValueError:
            raise bad_request("page and pageSize must be whole numbers") from None
        pagination = {
            "page": page,
            "pageSize": size,
            "pageCount": math.ceil(len(records) / size),
            "itemCount": len(records),
        }
        return self.envelope(key, records[(page - 1) * size : page * size], pagination)


def _binary(headers):
    return (headers.get("Content-Type") or "").split(";")[0].strip().lower() == "application/octet-stream"


def _spoilt(kind, answer):
    """A write's 200 answer, its items without their ids or one item short."""
    status, headers, payload = answer
    if status != 200 or not payload:
        return answer
    data = json.loads(payload, parse_float=Decimal)
    for key, items in data.items():
        if isinstance(items, list) and items and isinstance(items[0], dict):
            if kind == "fewer_items":
                data[key] = items[:-1]
            else:
                id_key = key[:-1] + "ID"  # Contacts -> ContactID, CreditNotes -> CreditNoteID
                data[key] = [{k: v for k, v in item.items() if k != id_key} for item in items]
    return status, headers, dumps(data)


def _tls_context(host):
    """A server TLS context with a fresh self-signed certificate for `host`; its file for clients."""
    import ipaddress
    import ssl
    import tempfile

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xero-sandbox")])
    moment = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(moment - timedelta(days=1))
        .not_valid_after(moment + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tempfile.mkdtemp(prefix="xero-sandbox-tls-")
    cert_file, key_file = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    with open(cert_file, "wb") as out:
        out.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_file, "wb") as out:
        out.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return cert_file, context


def _since(headers):
    """If-Modified-Since, to the second as Xero reads it (an HTTP date has no fraction)."""
    value = headers.get("If-Modified-Since")
    if not value:
        return None
    try:
        return parse_datetime(value).replace(microsecond=0)
    except ValueError:
        return None


def _items(data, key):
    """The list under `key`; Xero also takes a single bare object."""
    if isinstance(data, dict) and key in data:
        return data[key]
    if isinstance(data, dict):
        return [data]
    raise bad_request(f"The request body must be a JSON object with {key}.")


def _summarize(query):
    return query.get("summarizeErrors", "true").strip().lower() != "false"


def get_organisation(sb, tenant, match, query, headers, data):
    return sb.envelope("Organisations", [tenant.organisation])


def get_accounts(sb, tenant, match, query, headers, data):
    from .query import order_records, where_filter

    records = [a for a in tenant.accounts if not _since(headers) or a["UpdatedDateUTC"] > _since(headers)]
    if query.get("where"):
        records = [a for a in records if where_filter(query.get("where"))(a)]
    return sb.listing("Accounts", order_records(records, query.get("order"), lambda a: a["Code"]), query, headers)


def get_account(sb, tenant, match, query, headers, data):
    account = tenant.account_by(account_id=match["AccountID"])
    if account is None:
        raise not_found()
    return sb.envelope("Accounts", [account])


def get_tax_rates(sb, tenant, match, query, headers, data):
    from .query import where_filter

    records = tenant.tax_rates
    if query.get("where"):
        records = [t for t in records if where_filter(query.get("where"))(t)]
    if query.get("TaxType"):
        records = [t for t in records if t["TaxType"] == query.get("TaxType")]
    return sb.envelope("TaxRates", records)


def get_currencies(sb, tenant, match, query, headers, data):
    return sb.envelope("Currencies", tenant.currencies)


def get_contacts(sb, tenant, match, query, headers, data):
    records = tenant.list_contacts(
        where=query.get("where"),
        order=query.get("order"),
        ids=query.list("IDs"),
        include_archived=query.flag("includeArchived"),
        search=query.get("searchTerm"),
        since=_since(headers),
    )
    return sb.listing("Contacts", records, query, headers)


def get_contact(sb, tenant, match, query, headers, data):
    return sb.envelope("Contacts", [tenant.get_contact(match["ContactID"])])


def put_contacts(sb, tenant, match, query, headers, data):
    return sb.envelope("Contacts", tenant.save_contacts(_items(data, "Contacts"), _summarize(query)))


def post_contact(sb, tenant, match, query, headers, data):
    tenant.get_contact(match["ContactID"])
    items = _items(data, "Contacts")[:1]
    return sb.envelope("Contacts", tenant.save_contacts(items, _summarize(query), match["ContactID"]))


def get_groups(sb, tenant, match, query, headers, data):
    from .query import order_records, where_filter

    records = [tenant.group_out(g) for g in tenant.groups.values()]
    if query.get("where"):
        records = [g for g in records if where_filter(query.get("where"))(g)]
    return sb.envelope("ContactGroups", order_records(records, query.get("order"), lambda g: g["Name"].casefold()))


def get_group(sb, tenant, match, query, headers, data):
    return sb.envelope("ContactGroups", [tenant.group_out(tenant.get_group(match["ContactGroupID"]), True)])


def put_groups(sb, tenant, match, query, headers, data):
    return sb.envelope("ContactGroups", tenant.save_groups(_items(data, "ContactGroups")))


def post_group(sb, tenant, match, query, headers, data):
    tenant.get_group(match["ContactGroupID"])
    return sb.envelope("ContactGroups", tenant.save_groups(_items(data, "ContactGroups")[:1], match["ContactGroupID"]))


def put_group_contacts(sb, tenant, match, query, headers, data):
    return sb.envelope("Contacts", tenant.add_to_group(match["ContactGroupID"], _items(data, "Contacts")))


def delete_group_contacts(sb, tenant, match, query, headers, data):
    tenant.remove_from_group(match["ContactGroupID"])
    return 204, {}, b""


def delete_group_contact(sb, tenant, match, query, headers, data):
    tenant.remove_from_group(match["ContactGroupID"], match["ContactID"])
    return 204, {}, b""


def _documents(kind, key):
    id_field = Tenant.DOCS[kind]["id"]

    def listing(sb, tenant, match, query, headers, data):
        records = tenant.list_documents(
            kind,
            where=query.get("where"),
            order=query.get("order"),
            since=_since(headers),
            ids=query.list("IDs"),
            numbers=query.list(key[:-1] + "Numbers"),
            contact_ids=query.list("ContactIDs"),
            statuses=query.list("Statuses"),
            # Xero leaves line items out of unpaged lists.
            with_lines=query.get("page") is not None,
        )
        return sb.listing(key, records, query, headers)

    def single(sb, tenant, match, query, headers, data):
        return sb.envelope(key, [tenant.document_out(tenant.get_document(kind, match[id_field]))])

    def create(sb, tenant, match, query, headers, data):
        results = tenant.save_documents(
            kind, _items(data, key), _summarize(query), allow_update=False, unitdp=query.get("unitdp")
        )
        return sb.envelope(key, results)

    def update(sb, tenant, match, query, headers, data):
        items = _items(data, key)
        return sb.envelope(key, tenant.save_documents(kind, items, _summarize(query), unitdp=query.get("unitdp")))

    def update_one(sb, tenant, match, query, headers, data):
        doc = tenant.get_document(kind, match[id_field])
        items = _items(data, key)[:1]
        saved = tenant.save_documents(kind, items, _summarize(query), doc[id_field], unitdp=query.get("unitdp"))
        return sb.envelope(key, saved)

    return listing, single, create, update, update_one


get_invoices, get_invoice, put_invoices, post_invoices, post_invoice = _documents("Invoice", "Invoices")
get_notes, get_note, put_notes, post_notes, post_note = _documents("CreditNote", "CreditNotes")


def put_allocations(sb, tenant, match, query, headers, data):
    return sb.envelope("Allocations", tenant.allocate(match["CreditNoteID"], _items(data, "Allocations")))


def delete_allocation(sb, tenant, match, query, headers, data):
    # Xero answers with the allocation itself (not a list), marked deleted.
    return tenant.delete_allocation(match["CreditNoteID"], match["AllocationID"])


def get_payments(sb, tenant, match, query, headers, data):
    from .query import order_records, where_filter

    since = _since(headers)
    records = [tenant.payment_out(p) for p in tenant.payments.values() if not since or p["UpdatedDateUTC"] > since]
    if query.get("where"):
        records = [p for p in records if where_filter(query.get("where"))(p)]
    records = order_records(records, query.get("order"), lambda p: (p["Date"], p["PaymentID"]))
    return sb.listing("Payments", records, query, headers)


def get_payment(sb, tenant, match, query, headers, data):
    payment = tenant.payments.get(match["PaymentID"].lower())
    if payment is None:
        raise not_found()
    return sb.envelope("Payments", [tenant.payment_out(payment)])


def put_payments(sb, tenant, match, query, headers, data):
    return sb.envelope("Payments", tenant.save_payments(_items(data, "Payments"), _summarize(query)))


def post_payment(sb, tenant, match, query, headers, data):
    items = _items(data, "Payments")
    return sb.envelope("Payments", tenant.delete_payment(match["PaymentID"], items[0] if items else {}))


_ID = r"[^/]+"
ROUTES = [
    # method, regex of the path under /api.xro/2.0, the spec's path, handler
    ("GET", r"/Organisation", "/Organisation", get_organisation),
    ("GET", r"/Accounts", "/Accounts", get_accounts),
    ("GET", rf"/Accounts/(?P<AccountID>{_ID})", "/Accounts/{AccountID}", get_account),
    ("GET", r"/TaxRates", "/TaxRates", get_tax_rates),
    ("GET", r"/Currencies", "/Currencies", get_currencies),
    ("GET", r"/Contacts", "/Contacts", get_contacts),
    ("PUT", r"/Contacts", "/Contacts", put_contacts),
    ("POST", r"/Contacts", "/Contacts", put_contacts),
    ("GET", rf"/Contacts/(?P<ContactID>{_ID})", "/Contacts/{ContactID}", get_contact),
    ("POST", rf"/Contacts/(?P<ContactID>{_ID})", "/Contacts/{ContactID}", post_contact),
    ("GET", r"/ContactGroups", "/ContactGroups", get_groups),
    ("PUT", r"/ContactGroups", "/ContactGroups", put_groups),
    ("GET", rf"/ContactGroups/(?P<ContactGroupID>{_ID})", "/ContactGroups/{ContactGroupID}", get_group),
    ("POST", rf"/ContactGroups/(?P<ContactGroupID>{_ID})", "/ContactGroups/{ContactGroupID}", post_group),
    (
        "PUT",
        rf"/ContactGroups/(?P<ContactGroupID>{_ID})/Contacts",
        "/ContactGroups/{ContactGroupID}/Contacts",
        put_group_contacts,
    ),
    (
        "DELETE",
        rf"/ContactGroups/(?P<ContactGroupID>{_ID})/Contacts",
        "/ContactGroups/{ContactGroupID}/Contacts",
        delete_group_contacts,
    ),
    (
        "DELETE",
        rf"/ContactGroups/(?P<ContactGroupID>{_ID})/Contacts/(?P<ContactID>{_ID})",
        "/ContactGroups/{ContactGroupID}/Contacts/{ContactID}",
        delete_group_contact,
    ),
    ("GET", r"/Invoices", "/Invoices", get_invoices),
    ("PUT", r"/Invoices", "/Invoices", put_invoices),
    ("POST", r"/Invoices", "/Invoices", post_invoices),
    ("GET", rf"/Invoices/(?P<InvoiceID>{_ID})", "/Invoices/{InvoiceID}", get_invoice),
    ("GET", rf"/Invoices/(?P<InvoiceID>{_ID})/History", "/Invoices/{InvoiceID}/History", extras.get_history),
    ("PUT", rf"/Invoices/(?P<InvoiceID>{_ID})/History", "/Invoices/{InvoiceID}/History", extras.put_history),
    (
        "GET",
        rf"/Invoices/(?P<InvoiceID>{_ID})/Attachments",
        "/Invoices/{InvoiceID}/Attachments",
        extras.get_attachments,
    ),
    (
        "GET",
        rf"/Invoices/(?P<InvoiceID>{_ID})/Attachments/(?P<FileName>[^/]+)",
        "/Invoices/{InvoiceID}/Attachments/{FileName}",
        extras.get_attachment,
    ),
    (
        "PUT",
        rf"/Invoices/(?P<InvoiceID>{_ID})/Attachments/(?P<FileName>[^/]+)",
        "/Invoices/{InvoiceID}/Attachments/{FileName}",
        extras.put_attachment,
    ),
    (
        "GET",
        rf"/Invoices/(?P<InvoiceID>{_ID})/OnlineInvoice",
        "/Invoices/{InvoiceID}/OnlineInvoice",
        extras.get_online_invoice,
    ),
    ("POST", rf"/Invoices/(?P<InvoiceID>{_ID})", "/Invoices/{InvoiceID}", post_invoice),
    ("GET", r"/CreditNotes", "/CreditNotes", get_notes),
    ("PUT", r"/CreditNotes", "/CreditNotes", put_notes),
    ("POST", r"/CreditNotes", "/CreditNotes", post_notes),
    ("GET", rf"/CreditNotes/(?P<CreditNoteID>{_ID})", "/CreditNotes/{CreditNoteID}", get_note),
    (
        "GET",
        rf"/CreditNotes/(?P<CreditNoteID>{_ID})/History",
        "/CreditNotes/{CreditNoteID}/History",
        extras.get_history,
    ),
    (
        "PUT",
        rf"/CreditNotes/(?P<CreditNoteID>{_ID})/History",
        "/CreditNotes/{CreditNoteID}/History",
        extras.put_history,
    ),
    ("POST", rf"/CreditNotes/(?P<CreditNoteID>{_ID})", "/CreditNotes/{CreditNoteID}", post_note),
    (
        "PUT",
        rf"/CreditNotes/(?P<CreditNoteID>{_ID})/Allocations",
        "/CreditNotes/{CreditNoteID}/Allocations",
        put_allocations,
    ),
    (
        "DELETE",
        rf"/CreditNotes/(?P<CreditNoteID>{_ID})/Allocations/(?P<AllocationID>{_ID})",
        "/CreditNotes/{CreditNoteID}/Allocations/{AllocationID}",
        delete_allocation,
    ),
    ("GET", r"/Payments", "/Payments", get_payments),
    ("PUT", r"/Payments", "/Payments", put_payments),
    ("POST", r"/Payments", "/Payments", put_payments),
    ("GET", rf"/Payments/(?P<PaymentID>{_ID})", "/Payments/{PaymentID}", get_payment),
    ("POST", rf"/Payments/(?P<PaymentID>{_ID})", "/Payments/{PaymentID}", post_payment),
]
_COMPILED = [(m, re.compile(p + r"/?", re.IGNORECASE), spec, fn) for m, p, spec, fn in ROUTES]


def _route(method, subpath):
    for route in _COMPILED:
        if route[0] == method:
            match = route[1].fullmatch(subpath)
            if match:
                return route, match
    return None, None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    tls_context = None

    def get_request(self):
        sock, address = super().get_request()
        if self.tls_context is not None:
            # The handshake happens in the request's own thread, on its first read.
            sock = self.tls_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request, client_address):
        pass  # clients that gave up (timeouts) close their sockets: not our error


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    server_version = "XeroSandbox/1.0"
    sandbox = None  # set on the subclass made by XeroSandbox.start

    def log_message(self, format, *args):
        pass

    def date_time_string(self, timestamp=None):
        # The Date header is Xero's clock: the sandbox's, which the tests may stop.
        if timestamp is None:
            return email.utils.format_datetime(now(), usegmt=True)
        return super().date_time_string(timestamp)

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_GET

    def _dispatch(self):
        sb = self.sandbox
        started = time.time()
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qsl(parts.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        method = self.command
        headers = self.headers
        try:
            if path.startswith(API_ROOT + "/"):
                response = sb._accounting(method, path, query, headers, body)
                if sb.check_responses:
                    sb._check_response(method, path, query, response)
            else:
                response = self._identity(method, path, query, headers, body)
        except Exception as exc:  # noqa: BLE001 (a sandbox bug must still answer, loudly)
            response = _json(500, {"Title": "Sandbox error", "Status": 500, "Detail": repr(exc)})
        status, out_headers, payload = response
        with sb._lock:
            sb._log.append(
                {
                    "method": method,
                    "path": path,
                    "query": parts.query,
                    "status": status,
                    "time": started,
                    "headers": {k: headers[k] for k in LOGGED_HEADERS if headers.get(k) is not None},
                    "response_headers": {k.lower(): v for k, v in out_headers.items()},
                }
            )
        if status == 0:
            self.close_connection = True
            if out_headers.get("X-Sandbox-Drop") == "tls_error":
                # Bytes under the TLS layer: an application-data record that fails its MAC.
                os.write(self.connection.fileno(), b"\x17\x03\x03\x00\x20" + os.urandom(32))
                return
            # A reset: close at once with SO_LINGER 0, so the client reads an RST, no answer.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        try:
            self.send_response(status)
            for name, value in out_headers.items():
                if name != "Content-Length":
                    self.send_header(name, value)
            if status not in (204, 304):
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if payload and status not in (204, 304):
                self.wfile.write(payload)
        except OSError:
            self.close_connection = True

    def _identity(self, method, path, query, headers, body):
        sb = self.sandbox
        if path == "/_sandbox/stats" and method == "GET":
            # For a sandbox run as its own process (benchmarks): its counters.
            return _json(200, {k: dict(v) if k == "per_path" else v for k, v in sb.stats.items()})
        if path == "/_sandbox/log" and method == "GET":
            # Every request it answered since the `start`-th (benchmarks count calls and pages).
            start = int(dict(query).get("start") or 0)
            entries = [
                {k: e[k] for k in ("method", "path", "query", "status")}
                | {"if_modified_since": e["headers"].get("if-modified-since")}
                for e in sb.request_log[start:]
            ]
            return _json(200, {"entries": entries})
        fault = sb._take_fault(method, path, "before", False)
        if fault and fault["kind"] == "timeout":
            time.sleep(sb.fault_delay)
        elif fault:
            return sb._fault_response(fault)
        form = {}
        if method == "POST":
            pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
            form = {k: v for k, v in pairs}
            form["tenant"] = [v for k, v in pairs if k == "tenant"]
        lowered = path.lower().rstrip("/")
        if lowered == "/connect/token" and method == "POST":
            return sb._token(headers, form)
        if lowered == "/connect/revocation" and method == "POST":
            return sb._revoke(headers, form)
        if lowered == "/identity/connect/authorize" and method in ("GET", "POST"):
            return sb._authorize(method, query, form)
        if (lowered, method) == ("/connections", "GET") or (lowered.startswith("/connections/") and method == "DELETE"):
            return sb._connections_api(method, path, headers)
        return _json(404, {"Title": "Not Found", "Status": 404, "Detail": f"No such endpoint: {method} {path}"})


def _seconds_to_midnight(today):
    """Xero's day limit resets at midnight UTC: its Retry-After is the wait until then."""
    midnight = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return max(1, math.ceil((midnight - datetime.now(UTC)).total_seconds()))
