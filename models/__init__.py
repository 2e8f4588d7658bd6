from . import (
    res_config_settings,
    res_partner,
    xero_connection,
    xero_connection_ledger,
    xero_contact,
    xero_contact_ledger,
    xero_contact_push,
    xero_difference,
    xero_job,
    xero_ledger_entry,
    xero_rate_budget,
    xero_token,
)
