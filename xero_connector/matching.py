"""Matching keys, in one place: how two records are told to be the same.

Xero's own rule for contact names and document numbers (case and spacing do
not count); the looser name of suggestions (accents and legal forms
dropped); tax numbers in python-stdnum's compact form, as Odoo's base_vat
reads them; emails; bank account numbers. And the suggested Odoo partners
for a Xero contact: exact tax number first, then exact email, then the same
normalised name."""

import re
import unicodedata

from stdnum.exceptions import ValidationError
from stdnum.util import get_cc_module

from .places import country_code

# What the addon uses (its public API; the rest may change without notice).
__all__ = ["PartnerIndex", "bank_account_key", "normalise_email", "vat_key", "xero_key"]

# Legal forms that do not tell two organisations apart.
_LEGAL_FORMS = {
    "ltd",
    "limited",
    "pty",
    "plc",
    "inc",
    "incorporated",
    "llc",
    "llp",
    "corp",
    "co",
    "company",
    "gmbh",
    "ag",
    "sa",
    "sarl",
    "sas",
    "bv",
    "nv",
    "srl",
    "spa",
    "oy",
    "ab",
    "as",
    "the",
}

REASONS = {"vat": "same tax number", "email": "same email", "name": "same name"}


def xero_key(text):
    """How Xero tells contact names and document numbers apart (case and spacing do not count)."""
    return " ".join(str(text or "").split()).casefold()


def normalise_name(text):
    """'The Bayside Club Ltd.' and 'bayside club' give the same key."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    words = re.sub(r"[^\w]+", " ", text).split()
    return " ".join(w for w in words if w not in _LEGAL_FORMS)


# VAT prefixes that are not the country's ISO code: Greece, Northern Ireland.
_VAT_PREFIX_COUNTRY = {"EL": "gr", "XI": "gb"}


def _vat_module(country):
    """python-stdnum's VAT module of a country (ISO code), as Odoo's base_vat picks it, or None."""
    if not country or not country.isalpha() or len(country) != 2:
        return None
    return get_cc_module(country.lower(), "vat")


def normalise_vat(text, country=None):
    """The tax number in python-stdnum's compact form, without its country prefix.

    Odoo's `GB123456789` and Xero's `123 4567 89` (a contact in the United
    Kingdom) give the same key. `country` (ISO code) says how to read a number
    written without prefix; without a stdnum module, punctuation is dropped.
    """
    plain = re.sub(r"[\s.\-/]", "", text or "").upper()
    prefix = plain[:2]
    module = None
    if prefix.isalpha() and len(plain) > 2:
        module = _vat_module(_VAT_PREFIX_COUNTRY.get(prefix, prefix))
    module = module or _vat_module(country)
    if not module:
        return plain
    try:
        compact = module.compact(plain).upper()
    except (ValidationError, ValueError):
        return plain
    # Some compact forms keep the prefix: a number is the same with or without it.
    if prefix.isalpha() and compact.startswith(prefix):
        compact = compact[2:]
    return compact


def vat_key(vat, country):
    """The tax number as compared: stdnum's compact form for the country (a name or an ISO code)."""
    return normalise_vat(vat, country_code(country))


def normalise_email(text):
    """Emails compare without case or surrounding spaces."""
    return (text or "").strip().casefold()


def bank_account_key(number):
    """A bank account number as both sides can match it (no spaces, dashes or dots)."""
    return "".join(c for c in (number or "") if c.isalnum())


class PartnerIndex:
    """Partners indexed once, so thousands of contacts are matched cheaply.

    `partners` are (id, name, email, vat[, country ISO code]) tuples, in order
    of preference.
    """

    def __init__(self, partners):
        self.by = {"vat": {}, "email": {}, "name": {}}
        for partner_id, name, email, vat, *country in partners:
            for kind, key in (
                ("vat", normalise_vat(vat, (country or [None])[0])),
                ("email", normalise_email(email)),
                ("name", normalise_name(name)),
            ):
                if key:
                    self.by[kind].setdefault(key, []).append(partner_id)

    def matches(self, name=None, email=None, vat=None, country=None):
        """[(partner_id, reason), ...], best first, each partner once (`country`: the contact's ISO code)."""
        found, seen = [], set()
        for kind, key in (
            ("vat", normalise_vat(vat, country)),
            ("email", normalise_email(email)),
            ("name", normalise_name(name)),
        ):
            for partner_id in self.by[kind].get(key, []) if key else []:
                if partner_id not in seen:
                    seen.add(partner_id)
                    found.append((partner_id, REASONS[kind]))
        return found
