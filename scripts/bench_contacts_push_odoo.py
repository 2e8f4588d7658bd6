# Run inside `odoo shell` by scripts/bench.py, which sets N, SANDBOX_URL and
# MINUTE_SECONDS first (`env` is the shell's): push N customers and suppliers.
import math
import time

import requests

# `connection` comes from bench_odoo_connect.py.
nz = env.ref("base.nz")
Partner = env["res.partner"]
for start in range(0, N, 1000):
    Partner.create(
        [
            {
                "name": f"Bench Partner {i:05d}",
                "customer_rank": 1 if i % 5 else 0,
                "supplier_rank": 0 if i % 5 else 1,
                "email": f"partner{i}@bench.example",
                "phone": f"+64 4 {i:07d}",
                "street": f"{i} Lambton Quay",
                "city": "Wellington",
                "zip": "6011",
                "country_id": nz.id,
            }
            for i in range(start, min(start + 1000, N))
        ]
    )
connection.action_start_push()
env.cr.commit()

started, cpu = time.perf_counter(), time.process_time()
env["xero.job"]._cron_run()
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
stats = requests.get(f"{SANDBOX_URL}/_sandbox/stats", timeout=10).json()
bindings = env["xero.contact"].search_count([("partner_id", "!=", False)])
minimum = math.ceil(N / 50)
print(
    f"BENCH contacts_push n={N} pushed={bindings} api_calls={stats['requests']} min_contact_calls={minimum} "
    f"max_calls_per_minute={stats['max_calls_in_window']} http_429={stats['http_429']} "
    f"odoo_cpu_seconds={cpu:.1f} seconds={seconds:.1f} minute_seconds={MINUTE_SECONDS}"
)
