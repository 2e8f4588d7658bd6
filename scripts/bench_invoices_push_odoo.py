# Run inside `odoo shell` by scripts/bench.py, which sets N, CUSTOMERS, SANDBOX_URL and
# MINUTE_SECONDS first (`env` is the shell's): a back-sync of N posted invoices of 3 lines.
import math
import resource
import time

import requests

from odoo.addons.xero_connector.synchronizers.reference_reader import ReferenceReader

# `connection` comes from bench_odoo_connect.py.
company = env.company
# The sandbox organisation is kept in NZD: so is the company (no entry exists yet).
company.write({"currency_id": env.ref("base.NZD").id, "tax_calculation_rounding_method": "round_per_line"})
ReferenceReader(connection).read_reference()
income = env["account.account"].search([("company_ids", "in", company.id), ("account_type", "=", "income")], limit=1)
tax = env["account.tax"].search([("company_id", "=", company.id), ("type_tax_use", "=", "sale"), ("amount", "=", 15)])
xero_sales = connection.xero_account_ids.filtered(lambda a: a.code == "200")
connection.account_mapping_ids.filtered(lambda m: m.account_id == income).xero_account_id = xero_sales
connection.tax_mapping_ids.filtered(
    lambda m: m.tax_id == tax[:1]
).xero_tax_rate_id = connection.xero_tax_rate_ids.filtered(lambda r: r.tax_type == "OUTPUT")
customers = env["res.partner"].create(
    [{"name": f"Bench Customer {i:04d}", "email": f"customer{i}@bench.example"} for i in range(CUSTOMERS)]
)
journal = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "sale")], limit=1)
for start in range(0, N, 500):
    moves = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": customers[i % CUSTOMERS].id,
                "invoice_date": "2026-10-01",
                "journal_id": journal.id,
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {
                            "name": f"Line {k}",
                            "quantity": k + 1,
                            "price_unit": 10.0 + i % 90 + k * 0.35,
                            "tax_ids": [(6, 0, tax[:1].ids)],
                            "account_id": income.id,
                        },
                    )
                    for k in range(3)
                ],
            }
            for i in range(start, min(start + 500, N))
        ]
    )
    moves.action_post()
    env.cr.commit()
env["xero.job"]._cron_run()  # the first read of contacts queued by the connection: not the back-sync's
before = requests.get(f"{SANDBOX_URL}/_sandbox/stats", timeout=10).json()["requests"]

# The back-sync as an accountant runs it: start date, preview, confirm; then the job.
started, cpu, queries = time.perf_counter(), time.process_time(), env.cr.sql_log_count
connection.accounting_start_date = "2026-01-01"
action = connection.action_accounting_preview()
preview = env["xero.accounting.preview"].browse(action["res_id"])
if preview.state == "building":
    # A large preview is prepared by a job (the request reads nothing from Xero): run it, open it.
    env.cr.commit()
    env["xero.job"]._cron_run()
    env.invalidate_all()
    preview = env["xero.accounting.preview"].browse(connection.action_accounting_preview()["res_id"])
    assert preview.state == "ready", preview.job_id.error
assert preview.invoice_count == N, (preview.invoice_count, preview.problem_line_ids[:3].mapped("reason"))
preview.action_confirm()
env.cr.commit()
preview_seconds = time.perf_counter() - started
env["xero.job"]._cron_run()
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
queries = env.cr.sql_log_count - queries
stats = requests.get(f"{SANDBOX_URL}/_sandbox/stats", timeout=10).json()
sent = env["xero.document"].search_count([("state", "=", "sent")])
minimum = math.ceil(N / 50) + math.ceil(CUSTOMERS / 50)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(
    f"BENCH invoices_push n={N} sent={sent} api_calls={stats['requests'] - before} min_calls={minimum} "
    f"http_429={stats['http_429']} max_calls_per_minute={stats['max_calls_in_window']} sql_queries={queries} "
    f"odoo_cpu_seconds={cpu:.1f} preview_seconds={preview_seconds:.1f} seconds={seconds:.1f} "
    f"peak_rss_mib={peak:.0f} minute_seconds={MINUTE_SECONDS}"
)
