"""`make bench`: every benchmark scenario, one line each:

    BENCH <scenario> key=value ...

Scenarios:
  contacts_read  read 1,000 contacts through the gateway (real SDK, real HTTP)
                 from the Xero sandbox, in pages of 100.
"""

import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xero_connector.gateway import StaticToken, XeroGateway
from xero_connector.sandbox import XeroSandbox


def bench_contacts_read(n=1000):
    sandbox = XeroSandbox(port=0, seed="empty")
    sandbox.start()
    try:
        sandbox.seed_contacts(n)
        gateway = XeroGateway(
            sandbox.tenant_id, StaticToken(sandbox.issue_token()["access_token"]), base_url=sandbox.accounting_url
        )
        tracemalloc.start()
        started, cpu = time.perf_counter(), time.process_time()
        contacts = gateway.get_contacts()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert len(contacts) == n, len(contacts)
        return {
            "n": n,
            "api_calls": gateway.calls,
            "http_429": sandbox.stats["http_429"],
            "seconds": f"{seconds:.2f}",
            "cpu_seconds": f"{cpu:.2f}",
            "peak_mib": f"{peak / 2**20:.1f}",
        }
    finally:
        sandbox.stop()


SCENARIOS = {"contacts_read": bench_contacts_read}


def main():
    for name, scenario in SCENARIOS.items():
        figures = scenario()
        print(f"BENCH {name} " + " ".join(f"{k}={v}" for k, v in figures.items()), flush=True)


if __name__ == "__main__":
    main()
