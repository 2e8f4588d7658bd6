"""Planning a push of Odoo partners into Xero: link, update or create.

Xero refuses two active contacts with the same name, and an organisation
often already holds some of the partners. So before creating anything:

1. a partner already linked is updated;
2. a partner whose tax number or email matches an unlinked Xero contact is
   linked to it (and then updated), never created again;
3. any other partner is created, under a name no active Xero contact uses:
   its own name, else "<name> (<city>)", else "<name> (<reference>)", else
   "<name> (#<id>)" -- the same partner always gets the same name.
"""

from dataclasses import dataclass, field

from . import fieldmap, matching

# What the addon uses (its public API; the rest may change without notice).
__all__ = ["PartnerToPush", "XeroContactInfo", "candidate_names", "payload", "plan"]


@dataclass
class PartnerToPush:
    partner_id: int
    values: dict  # fieldmap keys -> local values
    city: str | None = None
    ref: str | None = None
    contact_id: str | None = None  # the linked Xero contact, if any


@dataclass
class XeroContactInfo:
    contact_id: str
    name: str
    email: str | None = None
    vat: str | None = None
    active: bool = True
    linked: bool = False
    country: str | None = None  # as Xero has it: it says how to read a tax number without prefix


@dataclass
class Plan:
    link: dict = field(default_factory=dict)  # partner_id -> Xero ContactID to link first
    names: dict = field(default_factory=dict)  # partner_id -> the name to create it under


def candidate_names(partner):
    """The names this partner may get in Xero, in order of preference."""
    name = " ".join((partner.values.get("name") or "").split()) or f"Odoo partner #{partner.partner_id}"
    candidates = [name]
    if partner.city:
        candidates.append(f"{name} ({partner.city.strip()})")
    if partner.ref:
        candidates.append(f"{name} ({partner.ref.strip()})")
    candidates.append(f"{name} (#{partner.partner_id})")
    return candidates


def unique_name(partner, taken):
    """The first candidate name that no active Xero contact (nor this push) uses."""
    candidates = candidate_names(partner)
    for candidate in candidates:
        if matching.xero_key(candidate) not in taken:
            return candidate
    return candidates[-1]


def plan(partners, xero_contacts):
    """Decide, for partners not linked yet, whether to link or create (and the name)."""
    free = [c for c in xero_contacts if not c.linked and c.active]
    by_vat = {matching.vat_key(c.vat, c.country): c for c in free if matching.vat_key(c.vat, c.country)}
    by_email = {matching.normalise_email(c.email): c for c in free if matching.normalise_email(c.email)}
    taken = {matching.xero_key(c.name) for c in xero_contacts if c.active}
    result, claimed = Plan(), set()
    for partner in sorted(partners, key=lambda p: p.partner_id):
        if partner.contact_id:
            continue
        match = by_vat.get(matching.vat_key(partner.values.get("vat"), partner.values.get("country"))) or by_email.get(
            matching.normalise_email(partner.values.get("email"))
        )
        if match and match.contact_id not in claimed:
            claimed.add(match.contact_id)
            result.link[partner.partner_id] = match.contact_id
            continue
        name = unique_name(partner, taken)
        taken.add(matching.xero_key(name))
        result.names[partner.partner_id] = name
    return result


def payload(values, name=None, base=None, contact_number=None):
    """The Xero contact to send for these local values (every mapped field); a new contact
    may carry the partner's reference as its `ContactNumber`."""
    values = dict(values)
    if name:
        values["name"] = name
    out = fieldmap.to_xero(values, base=base)
    if contact_number:
        out["ContactNumber"] = contact_number
    return out
