"""Messages for users: English text that also carries its template and parameters.

The engine never imports odoo, so it cannot translate; it returns `Message`s
instead. A Message is a `str` (its English text, so logs and tests read it as
before) whose `template` and `params` let the Odoo layer translate it into
each user's language. Templates are marked with `_lt(...)`, the name Odoo's
translation export looks for, so they land in `i18n/xero_connector.pot`.
"""

# What the addon uses (its public API; the rest may change without notice).
__all__ = ["Message", "_lt"]


def _lt(template):
    """Mark `template` for the translation export (the Odoo layer translates it later)."""
    return template


class Message(str):
    """`template % params` in English, translatable later with `template` and `params`."""

    template: str
    params: dict

    def __new__(cls, template, **params):
        message = super().__new__(cls, template % params if params else template)
        message.template = template
        message.params = params
        return message

    def __reduce__(self):
        # Pickled (as by copy) with its template, not as a plain str.
        return (_rebuild, (self.template, self.params))


def _rebuild(template, params):
    return Message(template, **params)
