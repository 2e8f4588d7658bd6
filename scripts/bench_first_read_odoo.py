# Run inside `odoo shell` by scripts/bench.py, which sets CONTACTS, INVOICES, SANDBOX_URL
# and MINUTE_SECONDS first (`env` is the shell's): the first read of an organisation
# (contacts, then the sales ledger) by a worker that is killed midway through the
# contacts; this shell then works as the next worker, which takes the read over.
import math
import resource
import signal
import subprocess
import sys
import time

import requests

import odoo

# `connection` comes from bench_odoo_connect.py; connecting queued the read of the contacts.
connection._enqueue_ledger_fetch()
env.cr.commit()


def log(start=0):
    """The requests the sandbox answered since the `start`-th, without the benchmark's own."""
    entries = requests.get(f"{SANDBOX_URL}/_sandbox/log", params={"start": start}, timeout=60).json()["entries"]
    return [e for e in entries if not e["path"].startswith("/_sandbox/")], start + len(entries)


def is_read(entry):
    return entry["path"].rsplit("/", 1)[-1] in ("Contacts", "Invoices", "CreditNotes")


before = log()[1]

worker = subprocess.Popen(
    [sys.executable, "-m", "odoo", "shell", "-c", odoo.tools.config["config"], "-d", env.cr.dbname, "--no-http"],
    stdin=subprocess.PIPE,
    stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
    text=True,
)
# The killed worker is a process of its own: told the compressed minute too.
worker.stdin.write("from odoo.addons.xero_connector.models import xero_rate_budget\n")
worker.stdin.write(f"xero_rate_budget.XERO_MINUTE = {float(MINUTE_SECONDS)!r}\n")
worker.stdin.write('env["xero.job"]._cron_run()\n')
worker.stdin.close()
started = time.perf_counter()
killed_at, worker_peak, by_killed = 0, 0, 0
while worker.poll() is None:
    time.sleep(0.2)
    with open(f"/proc/{worker.pid}/status") as status:  # its peak memory so far
        worker_peak = max([worker_peak] + [int(line.split()[1]) // 1024 for line in status if line.startswith("VmHWM")])
    env.cr.rollback()
    env.cr.execute(
        "SELECT COALESCE(progress_done, 0) FROM xero_job WHERE kind = 'contacts_fetch' AND state = 'running'"
    )
    row = env.cr.fetchone()
    if row and row[0] >= CONTACTS // 2:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        killed_at = row[0]
        by_killed = sum(1 for e in log(before)[0] if is_read(e))
assert killed_at, "the worker finished before it could be killed"

# Odoo's stale delay passes without news from the dead worker: this one takes its job.
env.cr.execute("UPDATE xero_job SET heartbeat = heartbeat - interval '1 hour' WHERE state = 'running'")
env.cr.commit()
env["xero.job"]._cron_run()
seconds = time.perf_counter() - started
env.invalidate_all()
calls = log(before)[0]  # every HTTP call of the read, both workers
reads = [e for e in calls if is_read(e)]
# The distinct pages Xero served (page, size, filter, If-Modified-Since); a page asked
# again (the one the killed worker was reading) is a call, not a new page.
served = {(e["path"], e["query"], e["if_modified_since"]) for e in reads if e["status"] == 200}
repeated = len(reads) - len(served)
# The pages of 1,000 the lists hold: what the read is measured against (calls <= pages + 3).
pages = math.ceil(CONTACTS / 1000) + math.ceil(INVOICES / 1000) + 1  # an empty credit note list is one call too
contacts = env["xero.contact"].search_count([("connection_id", "=", connection.id)])
entries = env["xero.ledger.entry"].search_count([("connection_id", "=", connection.id)])
failed = env["xero.job"].search_count([("state", "!=", "done")])
# Resumed, not restarted: the worker was killed midway, the read is complete and only the
# killed worker's page was asked twice (a read started again from zero would ask its
# first page again).
resumed = killed_at and contacts == CONTACTS and entries == INVOICES and not failed and repeated <= 1
peak = max(worker_peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
print(
    f"BENCH first_read contacts={contacts} invoices={entries} api_calls={len(calls)} pages={pages} "
    f"seconds={seconds:.1f} peak_rss_mb={peak} resumed={'yes' if resumed else 'no'} killed_after={killed_at} "
    f"read_calls={len(reads)} pages_served={len(served)} pages_asked_again={repeated} "
    f"killed_worker_calls={by_killed} minute_seconds={MINUTE_SECONDS}"
)
