"""python -m xero_sandbox --port 8765 --seed demo"""

import argparse
import signal
import threading
from datetime import datetime, timedelta, timezone

from .server import XeroSandbox


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m xero_sandbox", description="Serve the Xero API sandbox.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", choices=("demo", "empty"), default="demo")
    parser.add_argument("--minute-limit", type=int, default=60)
    parser.add_argument("--minute-seconds", type=float, default=60.0)
    parser.add_argument("--day-limit", type=int, default=5000)
    parser.add_argument("--concurrent-limit", type=int, default=5)
    parser.add_argument("--auto-consent", action="store_true", help="skip the consent page")
    parser.add_argument("--contacts", type=int, default=0, help="add this many generated contacts (benchmarks)")
    parser.add_argument("--invoices", type=int, default=0, help="add this many sales invoices for them (benchmarks)")
    parser.add_argument(
        "--made-hours-ago",
        type=float,
        default=0,
        help="date the generated records that many hours back (an import into Xero before the connection)",
    )
    args = parser.parse_args(argv)

    sandbox = XeroSandbox(
        port=args.port,
        seed=args.seed,
        minute_limit=args.minute_limit,
        day_limit=args.day_limit,
        concurrent_limit=args.concurrent_limit,
        minute_seconds=args.minute_seconds,
    )
    sandbox.auto_consent = args.auto_consent
    if args.made_hours_ago:
        sandbox.freeze_clock(datetime.now(timezone.utc) - timedelta(hours=args.made_hours_ago))
    if args.contacts:
        sandbox.seed_contacts(args.contacts)
    if args.invoices:
        sandbox.seed_invoices(args.invoices)
    sandbox.freeze_clock(None)
    url = sandbox.start()
    # The command's one line of output, for the person who started it.
    print(  # pylint: disable=print-used
        f"Xero sandbox on {url} (client id {sandbox.client_id}, secret {sandbox.client_secret}, "
        f"tenant {sandbox.tenant_id})",
        flush=True,
    )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    sandbox.stop()


if __name__ == "__main__":
    main()
