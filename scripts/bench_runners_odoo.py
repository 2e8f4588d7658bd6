# Run inside `odoo shell` by scripts/bench.py (bench_runners), which sets TENANTS, TOKENS,
# SANDBOX_URL, N and WORKERS first: one company per Xero organisation,
# each connected and with N customers to push; the pushes are queued, not run: the
# Odoo server started next runs them on its cron workers.
import time

from odoo.addons.xero_connector.xero_connector import oauth

env["xero.job"]._set_runner_count(WORKERS)
nz = env.ref("base.nz")
for index, (tenant, token) in enumerate(zip(TENANTS, TOKENS, strict=True)):
    company = env.company if index == 0 else env["res.company"].create({"name": f"Runner Org {index}"})
    env.user.company_ids |= company
    connection = env["xero.connection"].with_company(company)._for_company(company)
    connection.write(
        {
            "client_id": "sandbox-client-id",
            "client_secret": "sandbox-client-secret",
            "service_url": SANDBOX_URL,
            "tenant_id": tenant,
            "tenant_name": f"Runner Org {index}",
            "state": "connected",
        }
    )
    connection._store_token(
        oauth.Token(
            access_token=token["access_token"],
            refresh_token=token["refresh_token"],
            expires_at=time.time() + 1800,
            scope=token["scope"],
        )
    )
    env["res.partner"].create(
        [
            {
                "name": f"Org {index} Customer {i:05d}",
                "company_id": company.id,
                "customer_rank": 1,
                "email": f"o{index}c{i}@bench.example",
                "country_id": nz.id,
            }
            for i in range(N)
        ]
    )
    connection.with_company(company).action_start_push()
env.cr.commit()
print(f"BENCH runners_setup queued={env['xero.job'].search_count([('state', '=', 'pending')])}")
