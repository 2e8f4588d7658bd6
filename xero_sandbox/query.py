"""Xero JSON conventions and the list-query features (where, order, paging)."""

import contextlib
import json
import re
import threading
from collections.abc import Sequence
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from email.utils import parsedate_to_datetime

# datetime.UTC is Python 3.11+; the sandbox's other modules import this name.
UTC = timezone.utc

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


class QueryError(ValueError):
    """An unparseable `where`/`order`: Xero answers 400 QueryParseException."""


# -- dates --------------------------------------------------------------------

_clock_lock = threading.Lock()
_frozen = [None]


def now():
    """UTC now, to the second.

    Xero works to the second: If-Modified-Since is an HTTP date (RFC 1123, no
    fraction; https://developer.xero.com/documentation/api/accounting/requests-and-responses)
    and several writes in one second share their UpdatedDateUTC, so a client
    that resends the last value it saw must read that second again.
    """
    with _clock_lock:
        current = _frozen[0] or datetime.now(UTC)
        return current.replace(microsecond=0)


def freeze(moment=None):
    """Tests: stop the sandbox's clock at `moment` (None lets it run again)."""
    with _clock_lock:
        _frozen[0] = moment


def ms_date(value):
    """Xero's "/Date(1574275974000+0000)/" for a date or datetime."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
    return f"/Date({int(moment.timestamp() * 1000)}+0000)/"


def parse_datetime(value):
    """Aware datetime from MS-JSON, ISO 8601 or RFC 1123; ValueError otherwise."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = str(value).strip()
    match = _MS_DATE.match(text)
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            raise ValueError(f"not a date: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_date(value):
    return parse_datetime(value).date()


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return ms_date(value)
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def dumps(payload):
    return json.dumps(payload, default=_json_default).encode()


def money(value):
    return Decimal(str(value or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# -- where --------------------------------------------------------------------

_TERM = re.compile(r"^(?P<field>[A-Za-z_][\w.]*)\s*(?P<op>==|!=|>=|<=|>|<)\s*(?P<value>.+)$")
_METHOD = re.compile(
    r'^(?P<field>[A-Za-z_][\w.]*)\.(?P<method>Contains|StartsWith|EndsWith)\(\s*"(?P<arg>(?:[^"\\]|\\.)*)"\s*\)$'
)
_GUID = re.compile(r'^[Gg]uid\(\s*"([^"]*)"\s*\)$')
_DATETIME = re.compile(r"^DateTime\(\s*(\d{4})\s*,\s*(\d{1,2})\s*,\s*(\d{1,2})\s*\)$")


def _split_top(text):
    """Split on AND/OR (and && / ||) outside quotes: [term, op, term, ...]."""
    parts, current, quoted, i = [], [], False, 0
    while i < len(text):
        char = text[i]
        if char == '"':
            quoted = not quoted
        if not quoted:
            for word, op in ((" AND ", "AND"), (" OR ", "OR"), ("&&", "AND"), ("||", "OR")):
                if text[i : i + len(word)].upper() == word:
                    parts.extend(["".join(current).strip(), op])
                    current = []
                    i += len(word)
                    break
            else:
                current.append(char)
                i += 1
            continue
        current.append(char)
        i += 1
    parts.append("".join(current).strip())
    return parts


def _literal(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('\\"', '"')
    match = _GUID.match(text)
    if match:
        return match.group(1).lower()
    match = _DATETIME.match(text)
    if match:
        return datetime(*(int(g) for g in match.groups()), tzinfo=UTC)
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    with contextlib.suppress(ArithmeticError):
        return Decimal(text)
    # Enum values written without quotes (Xero allows Type==ACCREC in places).
    if re.fullmatch(r"[A-Z_]+", text):
        return text
    raise QueryError(f"cannot understand the value {text!r}")


def _lookup(record, dotted):
    value = record
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        if part in value:  # Xero's own spelling: no scan of the keys
            value = value[part]
            continue
        key = next((k for k in value if k.lower() == part.lower()), None)
        value = value.get(key) if key else None
    return value


def _comparable(left, right):
    """Bring a record value and a literal to one comparable type."""
    if isinstance(right, datetime):
        if left is None:
            return None, right
        if isinstance(left, str):
            left = parse_datetime(left)
        return parse_datetime(left), right
    if isinstance(right, Decimal):
        return (Decimal(str(left)) if left is not None else None), right
    if isinstance(right, bool):
        return left, right
    if isinstance(right, str):
        return (str(left).casefold() if left is not None else None), right.casefold()
    return left, right


def _term(text):
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    match = _METHOD.match(text)
    if match:
        field, method, arg = match["field"], match["method"], match["arg"].casefold()

        def test(record):
            value = _lookup(record, field)
            if value is None:
                return False
            value = str(value).casefold()
            return {"Contains": arg in value, "StartsWith": value.startswith(arg), "EndsWith": value.endswith(arg)}[
                method
            ]

        return test
    match = _TERM.match(text)
    if not match:
        raise QueryError(f"cannot understand the condition {text!r}")
    field, op, literal = match["field"], match["op"], _literal(match["value"])

    def test(record):
        left, right = _comparable(_lookup(record, field), literal)
        if op == "==":
            return left == right
        if op == "!=":
            return left != right
        if left is None or right is None:
            return False
        return {">": left > right, "<": left < right, ">=": left >= right, "<=": left <= right}[op]

    return test


def where_filter(expression):
    """A predicate over Xero-JSON records for a `where` expression.

    Supports Field==value (and != > < >= <=), strings, guid("..."),
    DateTime(y,m,d), numbers, true/false, Field.Contains("x"), StartsWith,
    EndsWith, joined by AND / OR (AND binds tighter), dotted fields.
    """
    parts = _split_top(expression)
    tests = [_term(t) for t in parts[0::2]]
    ops = parts[1::2]
    # OR of AND-groups
    groups, current = [], [tests[0]]
    for op, test in zip(ops, tests[1:], strict=True):
        if op == "AND":
            current.append(test)
        else:
            groups.append(current)
            current = [test]
    groups.append(current)
    return lambda record: any(all(t(record) for t in group) for group in groups)


def order_records(records, order, default_key):
    if not order:
        return sorted(records, key=default_key)
    result = list(records)
    clauses = [c.strip() for c in order.split(",") if c.strip()]
    for clause in reversed(clauses):  # stable sorts, last key first
        words = clause.split()
        if len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise QueryError(f"cannot understand the order {clause!r}")
        field = words[0]
        descending = len(words) == 2 and words[1].upper() == "DESC"

        def key(record, field=field):
            value = _lookup(record, field)
            if isinstance(value, str):
                value = value.casefold()
            return (value is None, value if value is not None else 0)

        present = [r for r in result if _lookup(r, field) is not None]
        missing = [r for r in result if _lookup(r, field) is None]
        present.sort(key=key, reverse=descending)
        result = present + missing
    return result


class Shaped(Sequence):
    """Stored records, shaped for the answer only when read: a page of a long list
    costs its page, not the whole list (a first read of 50,000 contacts asks 50 pages)."""

    def __init__(self, stored, shape):
        self.stored, self.shape = stored, shape

    def __len__(self):
        return len(self.stored)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.shape(record) for record in self.stored[index]]
        return self.shape(self.stored[index])


def select(stored, shape, where, order, default_key, derived):
    """The records of a list in Xero's order, filtered by `where`. Sorted as stored (then
    shaped lazily) unless `where` or the order names a field the shaping makes (`derived`,
    lower case): those see the answer's records, as Xero's filters do."""
    fields = {clause.split()[0].split(".")[0].lower() for clause in (order or "").split(",") if clause.strip()}
    if not where and not fields & derived:
        return Shaped(order_records(stored, order, default_key), shape)
    records = [shape(record) for record in stored]
    if where:
        records = [r for r in records if where_filter(where)(r)]
    return order_records(records, order, default_key)
