"""Translating the engine's messages (xero_connector.messages.Message) for users.

The engine cannot translate (it never imports odoo): it returns English
Messages carrying their `%(name)s` template and parameters. Here they are
translated with the addon's own translations (i18n/<lang>.po), parameters
that are Messages themselves included.
"""

from ..xero_connector.messages import Message


def translate(env, message):
    """`message` in the language of `env` (plain text passes unchanged)."""
    if not isinstance(message, Message):
        return message
    params = {key: translate(env, value) for key, value in message.params.items()}
    # env._ finds the addon's translations from the caller's module: this one.
    return env._(message.template, **params) if params else env._(message.template)


def write_translated(records, field_name, messages):
    """Write `messages` (one a line) into a translated text field, in every installed language.

    Written when the reason is known (by a job, in its own language), read by
    each user in theirs.
    """
    env = records.env
    languages = {"en_US", *(code for code, _name in env["res.lang"].get_installed())}
    values = {
        lang: "\n".join(translate(env(context=dict(env.context, lang=lang)), m) for m in messages) for lang in languages
    }
    records.write({field_name: values["en_US"]})
    records.update_field_translations(field_name, values)
