# Put before each bench_*_odoo.py script by scripts/bench.py (inside `odoo shell`, with
# SANDBOX_URL and MINUTE_SECONDS set): the company connected to the sandbox, the
# limiter told the sandbox's compressed minute (in this process: the shell runs the jobs).
from odoo.addons.xero_connector.models import xero_rate_budget

xero_rate_budget.XERO_MINUTE = float(MINUTE_SECONDS)
connection = env["xero.connection"]._for_company(env.company)
connection.write(
    {
        "client_id": "sandbox-client-id",
        "client_secret": "sandbox-client-secret",
        "service_url": SANDBOX_URL,
        "auth_flow": "client_credentials",
    }
)
connection.action_connect()
