"""Who may call the addon's actions.

Every public model method is reachable over RPC by any logged-in user with
any ids, so each action calls `xero_check_access` before it does anything
with `sudo()`: the caller's Xero group, then the caller's access to the very
records (record rules, hence the company, included).
"""

from odoo.exceptions import AccessError

XERO_USER = "xero_connector.group_xero_user"
XERO_MANAGER = "xero_connector.group_xero_manager"


def xero_check_access(records, group, operation="read"):
    """Refuse unless the caller is in `group` and may `operation` every record of `records`."""
    env = records.env
    if env.su:
        return records
    if not env.user.has_group(group):
        if group == XERO_MANAGER:
            message = env._(
                "Only Xero Managers may do this (connection, settings, pushes, sending, mappings, jobs). "
                "Ask your administrator."
            )
        else:
            message = env._("Only Xero Users may do this. Ask your administrator for the Xero User access.")
        raise AccessError(message)
    records.check_access(operation)
    return records


def check_technical_write(records, vals, user_fields=()):
    """Technical fields change only through the addon's code (a sudo environment)."""
    if records.env.su:
        return
    technical = sorted(set(vals) - set(user_fields))
    if technical:
        raise AccessError(
            records.env._(
                "%(model)s: %(fields)s are set by the Xero connector itself and cannot be changed directly.",
                model=records._description,
                fields=", ".join(technical),
            )
        )
