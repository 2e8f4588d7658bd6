# Run inside `odoo shell` by scripts/bench.py, which sets N, SANDBOX_URL and
# MINUTE_SECONDS first (`env` is the shell's): read the organisation's N contacts
# (Fetch) and import them all ("Import all not yet reviewed"), through the jobs.
import resource
import time

import requests

# `connection` comes from bench_odoo_connect.py; connecting queued the first read.
env.cr.commit()
queries = env.cr.sql_log_count
started, cpu = time.perf_counter(), time.process_time()
env["xero.job"]._cron_run()  # the read of every contact
env["xero.contact"].action_import_all()
env.cr.commit()
env["xero.job"]._cron_run()  # the import
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
queries = env.cr.sql_log_count - queries
stats = requests.get(f"{SANDBOX_URL}/_sandbox/stats", timeout=10).json()
imported = env["xero.contact"].search_count([("partner_id", "!=", False)])
children = env["res.partner"].search_count([("parent_id", "in", env["xero.contact"].search([]).partner_id.ids)])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(
    f"BENCH contacts_import n={N} imported={imported} main_contacts={children} api_calls={stats['requests']} "
    f"seconds={seconds:.1f} odoo_cpu_seconds={cpu:.1f} sql_queries={queries} "
    f"queries_per_contact={queries / max(imported, 1):.1f} peak_rss_mb={peak:.0f}"
)
