"""Countries and regions as people type them in Xero, recognised whatever the spelling.

Xero keeps the country and region of an address as free text: "NZ", "New
Zealand", "Aotearoa", "USA", "UK", "Co. Cork". Countries are recognised by
ISO code, English name and common alias through `pycountry` (ISO 3166, kept
up to date by its maintainers) plus a short table of the aliases it lacks;
regions by a key tolerant of administrative prefixes and suffixes. Never
imports odoo.
"""

import re
import unicodedata

import pycountry

# What the addon uses (its public API; the rest may change without notice).
__all__ = ["country_code", "region_key"]

# Names people use that ISO 3166 (and so pycountry) does not list.
COUNTRY_ALIASES = {
    "aotearoa": "NZ",
    "aotearoa new zealand": "NZ",
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "u.s.": "US",
    "u.s.a.": "US",
    "america": "US",
    "united states of america": "US",
    "russia": "RU",
    "turkey": "TR",
    "holland": "NL",
    "the netherlands": "NL",
    "republic of ireland": "IE",
    "eire": "IE",
    "éire": "IE",
    "hong kong sar": "HK",
    "macau": "MO",
    "ivory coast": "CI",
    "laos": "LA",
    "syria": "SY",
    "brunei": "BN",
    "cape verde": "CV",
    "swaziland": "SZ",
    "burma": "MM",
    "vatican": "VA",
    "east timor": "TL",
}

# Words that only say what kind of region it is: "Co. Cork" is Odoo's "Cork",
# "Greater London" its "London", "County Antrim" Xero's "Antrim".
_REGION_PREFIX = re.compile(
    r"^(?:co\.?|county|state of|province of|provincia de|provincia di|region of|city of|greater|the)\s+", re.I
)
_REGION_SUFFIX = re.compile(r"\s+(?:county|province|region|state|prefecture|district|co\.?)$", re.I)


def _plain(text):
    return " ".join(unicodedata.normalize("NFC", str(text or "")).split()).casefold()


def country_code(text):
    """ISO 3166-1 alpha-2 code of the country `text` names, or None when unknown."""
    key = _plain(text).strip(" .")
    if not key:
        return None
    alias = COUNTRY_ALIASES.get(key) or COUNTRY_ALIASES.get(_plain(text))
    if alias:
        return alias
    try:
        # Codes (alpha-2 and alpha-3), names, official and common names, case-insensitive.
        return pycountry.countries.lookup(key).alpha_2
    except LookupError:
        return None


def region_key(text):
    """The form in which two spellings of one region compare equal, "" when empty."""
    key = _plain(text)
    for pattern in (_REGION_PREFIX, _REGION_SUFFIX):
        shorter = pattern.sub("", key).strip()
        key = shorter or key
    return key
