"""Odoo keeps a person's name in one field; Xero has first name and surname."""

# What the addon uses (its public API; the rest may change without notice).
__all__ = ["split_person_name"]


def split_person_name(full_name, known_last_name=None):
    """(first name, surname) of `full_name`.

    The surname known from Xero wins when the name still ends with it, so
    that "Mary Ann Smith" stays ("Mary Ann", "Smith"); otherwise the last
    word is the surname.
    """
    full_name = " ".join((full_name or "").split())
    if not full_name:
        return None, None
    if known_last_name and full_name.casefold().endswith(" " + known_last_name.casefold()):
        cut = len(full_name) - len(known_last_name) - 1
        return full_name[:cut] or None, full_name[cut + 1 :]
    if full_name.casefold() == (known_last_name or "").casefold():
        return None, full_name
    first, _, last = full_name.rpartition(" ")
    return (first or None, last) if first else (None, last)
