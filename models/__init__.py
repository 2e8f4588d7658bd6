from . import (
    res_config_settings,
    res_partner,
    xero_connection,
    xero_contact,
    xero_job,
    xero_rate_budget,
    xero_token,
)
