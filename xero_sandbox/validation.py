"""Check accounting requests against Xero's own OpenAPI description.

The description is ~1 MB of YAML: it is parsed once per process and the
openapi-core object is shared by every sandbox (it is read-only).
"""

import base64
import collections
import contextlib
import hashlib
import json
import os
import sys
import threading
import time
from pathlib import Path

from .query import parse_datetime

SPEC_SERVER = "https://api.xero.com"
SPEC_FILE = "xero_accounting.yaml"
# The header parameters of the accounting description (the rest is transport).
_CHECKED_HEADERS = ("xero-tenant-id", "if-modified-since", "idempotency-key")

_cache = {}  # resolved path -> OpenAPI object, or None when absent
_cache_lock = threading.Lock()
_noticed = set()


def default_openapi_dir():
    """XERO_OPENAPI_DIR, else `shared/xero-openapi` beside the repository."""
    env = os.environ.get("XERO_OPENAPI_DIR")
    if env:
        return Path(env)
    # xero_sandbox/ -> repository -> its parent, which holds shared/
    return Path(__file__).resolve().parents[2] / "shared" / "xero-openapi"


def _strip_security(data):
    """The sandbox checks tokens itself; openapi-core cannot check OAuth2 and
    warns on every request that names it."""
    data.pop("security", None)
    for item in data.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation.pop("security", None)


def _repair(node):
    """Fix the description where it disagrees with Xero and with its own SDK.

    - boolean properties declare `default: "false"` (a string): made booleans;
    - `readOnly` properties are dropped from the check: Xero ignores read-only
      fields in requests, and the official SDK sends some (e.g. an Invoice's
      HasAttachments=false) on every write, which openapi-core would refuse.
    """
    if isinstance(node, dict):
        if node.get("type") == "boolean" and isinstance(node.get("default"), str):
            node["default"] = node["default"].lower() == "true"
        node.pop("readOnly", None)
        for value in node.values():
            _repair(value)
    elif isinstance(node, list):
        for value in node:
            _repair(value)


def load_spec(openapi_dir=None):
    """The shared OpenAPI object for that folder, or None (notice printed once)."""
    folder = Path(openapi_dir) if openapi_dir else default_openapi_dir()
    path = (folder / SPEC_FILE).resolve()
    with _cache_lock:
        if path in _cache:
            return _cache[path]
        if not path.is_file():
            if path not in _noticed:
                _noticed.add(path)
                sys.stderr.write(
                    f"Xero OpenAPI description not found at {path}: requests are NOT validated against Xero's schema\n"
                )
                sys.stderr.flush()
            _cache[path] = None
            return None
        try:
            import yaml
            from openapi_core import Config, OpenAPI
        except ImportError as exc:
            sys.stderr.write(f"Xero sandbox: {exc}: requests are NOT validated against Xero's schema\n")
            _cache[path] = None
            return None

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        with path.open("rb") as handle:
            data = yaml.load(handle, Loader=loader)
        _repair(data)
        _strip_security(data)
        # Spec validation off: the file itself has small schema errors.
        _cache[path] = OpenAPI.from_dict(data, config=Config(spec_validator_cls=None))
        return _cache[path]


class _Request:
    """The minimal request object openapi-core reads (its Request protocol)."""

    def __init__(self, method, path, query, headers, body, content_type=None):
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        self.host_url = SPEC_SERVER
        self.path = path
        self.method = method.lower()
        self.body = body or None
        self.content_type = (content_type or "application/json") if body else ""
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(query),
            header=Headers(headers),
        )


def _normalise_query(query):
    # Python's SDK sends booleans as "True"/"False" (str of a bool); Xero
    # accepts any case, openapi-core only lowercase.
    return [(key, value.lower() if value in ("True", "False") else value) for key, value in query]


def _normalise_headers(headers):
    # If-Modified-Since is a date-time in the description, but Xero also takes
    # HTTP's own format (RFC 1123) and the SDK sends naive datetimes' isoformat():
    # validate what the value means, not how it is spelt.
    out = dict(headers)
    for key in list(out):
        if key.lower() == "if-modified-since":
            # Left as sent when unreadable: the check then reports it.
            with contextlib.suppress(ValueError):
                out[key] = parse_datetime(out[key]).isoformat()
    return out


def describe(error):
    """A plain sentence for an openapi-core error and its causes."""
    chain = []
    while error is not None and error not in chain:
        chain.append(error)
        error = error.__cause__
    for item in chain:
        if getattr(item, "schema_errors", None):
            # The outer messages repeat the whole (possibly huge) value: keep their head only.
            head = str(chain[0])
            if len(chain) > 1:
                head = head.replace(str(chain[1]), "").rstrip(": ")
            details = []
            for problem in item.schema_errors:
                where = ".".join(str(p) for p in problem.absolute_path)
                details.append(f"{where}: {problem.message}" if where else problem.message)
            return f"{head}: " + "; ".join(details)
    parts = []
    for item in chain:
        text = str(item)
        if text and not any(text in part for part in parts):
            parts.append(text)
    return "; ".join(parts) or chain[0].__class__.__name__


class _Response:
    """The minimal response object openapi-core reads (its Response protocol)."""

    def __init__(self, status, headers, payload):
        from werkzeug.datastructures import Headers

        self.status_code = status
        self.data = payload or b""
        self.headers = Headers(dict(headers))
        self.content_type = self.headers.get("Content-Type", "application/json").split(";")[0].strip()


# Statuses whose answers the description specifies (others, e.g. 401, 429 and 5xx,
# come from Xero's gateway in shapes the description does not give).
_CHECKED_STATUSES = (200, 400)


class Validator:
    """Validates one accounting request; measures its own cost.

    openapi-core takes 1.5-6 ms a request (it re-resolves every parameter of
    the operation), so verdicts are remembered for identical requests: paging
    loops and retries then cost nothing. Header values the description only
    types as strings (tenant id, idempotency key) are left out of the key.
    """

    CACHE_SIZE = 4096

    def __init__(self, openapi_dir=None):
        self.spec = load_spec(openapi_dir)
        if self.spec is not None:
            from openapi_core.exceptions import OpenAPIError

            self.error_class = OpenAPIError
        self.calls = 0
        self.seconds = 0.0
        self._verdicts = collections.OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self):
        return self.spec is not None

    def validate(self, method, path, query, headers, body, content_type=None):
        """None when valid, else a description of the violation.

        `path` is the full request path (/api.xro/2.0/...), `query` a list of
        (name, value) pairs, `headers` a mapping, `body` raw bytes (JSON unless
        `content_type` says otherwise, e.g. a file's application/octet-stream).
        """
        if self.spec is None:
            return None
        started = time.perf_counter()
        headers = {k: v for k, v in headers.items() if k.lower() in _CHECKED_HEADERS}
        key = (
            method,
            path,
            tuple(query),
            tuple(sorted((k.lower(), v if k.lower() == "if-modified-since" else "") for k, v in headers.items())),
            hashlib.sha1(body or b"").digest(),
            content_type,
        )
        try:
            with self._lock:
                if key in self._verdicts:
                    self._verdicts.move_to_end(key)
                    return self._verdicts[key]
            verdict = self._check(method, path, query, headers, body, content_type)
            with self._lock:
                self._verdicts[key] = verdict
                if len(self._verdicts) > self.CACHE_SIZE:
                    self._verdicts.popitem(last=False)
            return verdict
        finally:
            with self._lock:
                self.calls += 1
                self.seconds += time.perf_counter() - started

    def validate_response(self, method, path, query, status, headers, payload):
        """None when the sandbox's answer fits the description, else what breaks it.

        Run by the test suites over every answer (see XeroSandbox's
        `check_responses`): a sandbox answer real Xero would never give would
        let the addon pass here and fail live.
        """
        if self.spec is None or status not in _CHECKED_STATUSES or not payload:
            return None
        from openapi_core.templating.responses.exceptions import ResponseNotFound

        request = _Request(method, path, _normalise_query(query), {}, None)
        try:
            self.spec.validate_response(request, _Response(status, headers, payload))
        except ResponseNotFound:
            return None
        except self.error_class as exc:
            return describe(exc)
        return None

    def _check(self, method, path, query, headers, body, content_type=None):
        if body and not content_type:
            try:
                json.loads(body)
            except ValueError as exc:
                return f"request body is not valid JSON: {exc}"
        if body and content_type == "application/octet-stream":
            # The description types a file body as a string of format "byte" (base64),
            # but Xero and its SDK send the file's raw bytes: check it as its base64 text.
            body = base64.b64encode(body).decode("ascii")
        request = _Request(method, path, _normalise_query(query), _normalise_headers(headers), body, content_type)
        try:
            self.spec.validate_request(request)
        except self.error_class as exc:
            return describe(exc)
        return None
