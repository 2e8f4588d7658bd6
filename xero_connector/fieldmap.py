"""The field map between an Odoo partner and a Xero contact, and the diff logic.

Values on the Odoo side are plain dicts keyed by `KEYS`; on the Xero side they
are contacts as Xero's JSON returns them (PascalCase). Comparing a local, a
remote and a last-synced value tells whether a difference is a push, a pull or
a conflict. This never imports odoo.
"""

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass

from . import matching, phones, places
from .messages import _lt

# What the addon uses (its public API; the rest may change without notice).
__all__ = ["KEYS", "clean_for_odoo", "compare", "from_xero", "label", "same", "signature", "to_xero"]

PHONE_TYPE = "DEFAULT"
ADDRESS_TYPE = "POBOX"
_PHONE_PARTS = ("PhoneCountryCode", "PhoneAreaCode", "PhoneNumber")


@dataclass(frozen=True)
class MappedField:
    key: str  # the Odoo-side key
    label: str  # shown to users (translated by the Odoo layer)
    xero: str  # attribute in the contact, or in its phone / address entry
    part: str | None = None  # None, "phone" or "address": where `xero` lives
    max_len: int = 128  # longest text written into Odoo


FIELDS = (
    MappedField("name", _lt("Company name"), "Name", max_len=256),
    MappedField("first_name", _lt("First name"), "FirstName"),
    MappedField("last_name", _lt("Surname"), "LastName"),
    # The longest valid address (RFC 5321); longer ones are dropped, not cut.
    MappedField("email", _lt("Email"), "EmailAddress", max_len=254),
    MappedField("phone", _lt("Phone"), "PhoneNumber", part="phone"),
    MappedField("street", _lt("Street"), "AddressLine1", part="address", max_len=256),
    MappedField("street2", _lt("Street 2"), "AddressLine2", part="address", max_len=256),
    MappedField("city", _lt("City"), "City", part="address"),
    MappedField("state", _lt("State / region"), "Region", part="address"),
    MappedField("zip", _lt("ZIP / postal code"), "PostalCode", part="address"),
    MappedField("country", _lt("Country"), "Country", part="address"),
    MappedField("vat", _lt("Tax number"), "TaxNumber"),
)
KEYS = tuple(f.key for f in FIELDS)
_BY_KEY = {f.key: f for f in FIELDS}


def label(key):
    return _BY_KEY[key].label


def _text(value):
    """The value as stripped text, "" when empty (Odoo gives False for empty fields)."""
    if value is None or value is False:
        return ""
    return str(value).strip()


def _entry(entries, type_key, wanted):
    """The first entry of Phones / Addresses of the wanted type, or None."""
    for entry in entries or ():
        if isinstance(entry, dict) and _text(entry.get(type_key)).upper() == wanted:
            return entry
    return None


# --- Xero -> values --------------------------------------------------------


def from_xero(contact):
    """Every mapped key -> its value in the Xero contact (str), None when missing or empty."""
    phone = _entry(contact.get("Phones"), "PhoneType", PHONE_TYPE) or {}
    address = _entry(contact.get("Addresses"), "AddressType", ADDRESS_TYPE) or {}
    values = {}
    for f in FIELDS:
        if f.part == "phone":
            # Xero splits a number in three; we see it as one text, its
            # country code written as a dialling prefix ("64" -> "+64").
            parts = [_text(phone.get(k)) for k in _PHONE_PARTS]
            if parts[0] and parts[0].isdecimal():
                parts[0] = "+" + parts[0]
            text = " ".join(p for p in parts if p)
        elif f.part == "address":
            text = _text(address.get(f.xero))
        else:
            text = _text(contact.get(f.xero))
        values[f.key] = text or None
    return values


# --- values -> Xero --------------------------------------------------------


def to_xero(values, base=None, region=None):
    """The Xero contact payload writing `values` (only the keys present) over `base`.

    None or "" clears a field. Phones and Addresses are sent whole, so the
    entries of other types in `base` are copied unchanged. `region` (ISO
    code) reads a national phone number when `values` carry no country.
    """
    unknown = set(values) - set(KEYS)
    if unknown:
        raise KeyError(f"Not mapped to Xero: {', '.join(sorted(unknown))}")
    base = base or {}
    payload = {}
    if base.get("ContactID"):
        payload["ContactID"] = base["ContactID"]
    for f in FIELDS:
        if f.key in values and f.part is None:
            payload[f.xero] = _text(values[f.key])

    if "phone" in values:
        entries = [dict(p) for p in base.get("Phones") or ()]
        entry = _entry(entries, "PhoneType", PHONE_TYPE)
        if entry is None:
            entry = {"PhoneType": PHONE_TYPE}
            entries.append(entry)
        # Xero's three parts, read as Odoo reads the number (E.164, the partner's country).
        region = places.country_code(values.get("country")) if values.get("country") else region
        entry.update(zip(_PHONE_PARTS, phones.xero_parts(_text(values["phone"]), region), strict=True))
        payload["Phones"] = entries

    address_fields = [f for f in FIELDS if f.part == "address" and f.key in values]
    if address_fields:
        addresses = [dict(a) for a in base.get("Addresses") or ()]
        entry = _entry(addresses, "AddressType", ADDRESS_TYPE)
        if entry is None:
            entry = {"AddressType": ADDRESS_TYPE}
            addresses.append(entry)
        for f in address_fields:
            entry[f.xero] = _text(values[f.key])
        payload["Addresses"] = addresses
    return payload


# --- comparison ------------------------------------------------------------


def _collapse(value):
    """NFC text with surrounding spaces stripped and inner runs of whitespace made one space."""
    if value is None or value is False:
        return ""
    return " ".join(unicodedata.normalize("NFC", str(value)).split())


def normalise(key, value, region=None):
    """The form of a value that is compared: formatting noise removed, None when empty.

    `region` (ISO code, the partner's country) reads national phone and tax numbers.
    """
    text = _collapse(value)
    if not text:
        return None
    if key == "email":
        return text.lower()
    if key == "country":
        # "NZ", "New Zealand" and "Aotearoa" are one country.
        return places.country_code(text) or text.casefold()
    if key == "state":
        return places.region_key(text)
    if key == "phone":
        # E.164 as Odoo's phone_validation reads it: "09 379 4567" in New Zealand is "+6493794567".
        number = phones.e164(text, region)
        digits = (number or "").lstrip("+") or "".join(c for c in text if c.isdecimal())
        # Not a number at all ("n/a"): compare the text rather than hide it.
        return digits or text
    if key == "vat":
        return matching.normalise_vat(text, region) or None
    return text


def same(key, a, b, region=None):
    return normalise(key, a, region) == normalise(key, b, region)


@dataclass(frozen=True)
class Difference:
    key: str
    label: str
    local: str | None
    remote: str | None
    synced: str | None
    kind: str  # "push", "pull", "conflict" or "unsynced"

    @property
    def can_push(self):
        return self.kind in ("push", "conflict", "unsynced")

    @property
    def can_pull(self):
        return self.kind in ("pull", "conflict", "unsynced")


def compare(local, remote, synced):
    """One Difference per mapped key whose local and remote values differ, in FIELDS order.

    `synced` holds the values as they were at the last sync (None when never
    synced); a key missing from it means that field's history is unknown.
    Phone and tax numbers are read in the partner's country (else Xero's).
    """
    region = places.country_code(local.get("country")) or places.country_code(remote.get("country"))
    diffs = []
    for f in FIELDS:
        mine, theirs = local.get(f.key), remote.get(f.key)
        if same(f.key, mine, theirs, region):
            continue
        if synced is None or f.key not in synced:
            kind, last = "unsynced", None
        else:
            last = synced[f.key]
            local_changed = not same(f.key, mine, last, region)
            remote_changed = not same(f.key, theirs, last, region)
            if local_changed and not remote_changed:
                kind = "push"
            elif remote_changed and not local_changed:
                kind = "pull"
            else:
                kind = "conflict"
        diffs.append(Difference(f.key, f.label, mine, theirs, last, kind))
    return diffs


def signature(diff):
    """A stable fingerprint of a difference, to remember that the user ignored it.

    It changes as soon as either value changes (after normalisation), so an
    ignored difference shows again when one side is edited.
    """
    parts = [diff.key, normalise(diff.key, diff.local), normalise(diff.key, diff.remote)]
    # JSON keeps None apart from text and needs no separator that values could contain.
    return hashlib.sha1(json.dumps(parts).encode()).hexdigest()


# --- Xero -> Odoo sanitising -----------------------------------------------

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def _shorten(text, size=60):
    return text if len(text) <= size else text[: size - 1] + "…"


def clean_for_odoo(values):
    """Sanitise values read from Xero before they are written into Odoo.

    Returns (clean values, problems): each problem is a sentence for the user
    saying which field was changed and how. Keys outside the map pass unchanged.
    """
    clean, problems = {}, []
    for key, value in values.items():
        f = _BY_KEY.get(key)
        if f is None:
            clean[key] = value
            continue
        text = "" if value is None or value is False else str(value)
        # Control characters (and lone surrogates, which PostgreSQL rejects) have no
        # place in a partner field; tabs and newlines are only whitespace.
        kept = "".join(c for c in text if c.isspace() or unicodedata.category(c) not in ("Cc", "Cs"))
        if kept != text:
            problems.append(f"{f.label}: removed {len(text) - len(kept)} control character(s).")
        text = _collapse(kept)
        if key == "email" and text and (len(text) > f.max_len or not _EMAIL.fullmatch(text)):
            problems.append(f'{f.label} "{_shorten(text)}" is not a valid address: not imported')
            text = ""
        elif len(text) > f.max_len:
            text = text[: f.max_len].rstrip()
            problems.append(f"{f.label} was longer than {f.max_len} characters: cut to {f.max_len}.")
        clean[key] = text or None
    return clean, problems
