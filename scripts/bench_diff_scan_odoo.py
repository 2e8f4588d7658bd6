# Run inside `odoo shell` by scripts/bench.py, which sets N, CHANGED, SANDBOX_URL and
# MINUTE_SECONDS first (`env` is the shell's): N Xero contacts imported (so linked),
# CHANGED of them edited in Xero, then the scan that finds the differences (the
# incremental read and the comparison with the partners), measured alone.
import time

import requests

# `connection` comes from bench_odoo_connect.py; connecting queued the first read.
env.cr.commit()
env["xero.job"]._cron_run()
env["xero.contact"].action_import_all()
env.cr.commit()
env["xero.job"]._cron_run()
linked = env["xero.contact"].search([("partner_id", "!=", False)], order="id")

# Someone edits CHANGED contacts in Xero (through Xero's API, not through Odoo).
headers = SANDBOX_HEADERS  # from bench_sandbox_api.py
edited = linked[:: max(len(linked) // CHANGED, 1)][:CHANGED]
for start in range(0, len(edited), 50):
    chunk = edited[start : start + 50]
    body = {
        "Contacts": [
            {"ContactID": c.xero_id, "Name": c.name, "EmailAddress": f"changed{c.id}@bench.example"} for c in chunk
        ]
    }
    answer = requests.post(f"{SANDBOX_URL}/api.xro/2.0/Contacts", json=body, headers=headers, timeout=60)
    answer.raise_for_status()
time.sleep(1.1)  # Xero's modification times are to the second

before = requests.get(f"{SANDBOX_URL}/_sandbox/stats", timeout=10).json()["requests"]
queries = env.cr.sql_log_count
started = time.perf_counter()
connection._enqueue_contacts_fetch()
env.cr.commit()
env["xero.job"]._cron_run()
seconds = time.perf_counter() - started
queries = env.cr.sql_log_count - queries
calls = requests.get(f"{SANDBOX_URL}/_sandbox/stats", timeout=10).json()["requests"] - before
differences = env["xero.difference"].search_count([("key", "=", "email")])
print(
    f"BENCH diff_scan linked={len(linked)} changed={len(edited)} differences={differences} api_calls={calls} "
    f"seconds={seconds:.1f} sql_queries={queries} queries_per_changed={queries / max(len(edited), 1):.1f}"
)
