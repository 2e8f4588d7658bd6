"""Phone numbers as Odoo's phone_validation reads them (Google's libphonenumber), without odoo.

Odoo formats numbers with `phonenumbers` and the partner's country; Xero keeps
a number in three parts (country code, area code, number). Both sides are
compared and written in E.164, so `09 379 4567` of a New Zealand partner and
Xero's `64 9 3794567` are one number.
"""

import phonenumbers

# What the addon uses (its public API; the rest may change without notice).
__all__ = ["e164"]


def parse(text, region=None):
    """The number `text` (national numbers read in `region`, an ISO code), or None.

    A possible number is enough (not a valid one): Odoo keeps what users type,
    and an unassigned block must still compare equal to itself.
    """
    text = (text or "").strip()
    if not text:
        return None
    if text.startswith("00"):  # the international prefix most countries dial
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


def e164(text, region=None):
    """`text` in E.164 ("+6493794567"), or None when it is not a phone number."""
    number = parse(text, region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number else None


def xero_parts(text, region=None):
    """Xero's PhoneCountryCode, PhoneAreaCode, PhoneNumber for `text`.

    A text that is no phone number goes whole into PhoneNumber (Xero takes
    free text there), so nothing is lost.
    """
    number = parse(text, region)
    if number is None:
        return "", "", (text or "").strip()
    national = phonenumbers.national_significant_number(number)
    area = phonenumbers.length_of_geographical_area_code(number)
    return str(number.country_code), national[:area], national[area:]
