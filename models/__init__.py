from . import res_config_settings, xero_connection, xero_job, xero_rate_budget, xero_token
