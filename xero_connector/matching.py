"""Suggested Odoo partners for a Xero contact: exact tax number first, then
exact email, then the same normalised name."""

import re
import unicodedata

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


def normalise_name(text):
    """'The Bayside Club Ltd.' and 'bayside club' give the same key."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    words = re.sub(r"[^\w]+", " ", text).split()
    return " ".join(w for w in words if w not in _LEGAL_FORMS)


def normalise_vat(text):
    return re.sub(r"[\s.\-]", "", text or "").upper()


def normalise_email(text):
    return (text or "").strip().casefold()


class PartnerIndex:
    """Partners indexed once, so thousands of contacts are matched cheaply.

    `partners` are (id, name, email, vat) tuples, in order of preference.
    """

    def __init__(self, partners):
        self.by = {"vat": {}, "email": {}, "name": {}}
        for partner_id, name, email, vat in partners:
            for kind, key in (
                ("vat", normalise_vat(vat)),
                ("email", normalise_email(email)),
                ("name", normalise_name(name)),
            ):
                if key:
                    self.by[kind].setdefault(key, []).append(partner_id)

    def matches(self, name=None, email=None, vat=None):
        """[(partner_id, reason), ...], best first, each partner once."""
        found, seen = [], set()
        for kind, key in (
            ("vat", normalise_vat(vat)),
            ("email", normalise_email(email)),
            ("name", normalise_name(name)),
        ):
            for partner_id in self.by[kind].get(key, []) if key else []:
                if partner_id not in seen:
                    seen.add(partner_id)
                    found.append((partner_id, REASONS[kind]))
        return found
