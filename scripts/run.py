"""Run the product: Odoo 19 with the addon, connected to the Xero sandbox.

Creates (or reuses) the database, installs (or updates) the addon, starts
the Xero sandbox seeded with demo data, connects the company to it, then
runs Odoo on http://127.0.0.1:8069 until Ctrl-C.

  XERO_DB            database name (default: xero_demo)
  ODOO_PORT          Odoo's HTTP port (default: 8069)
  XERO_SANDBOX_PORT  the sandbox's port (default: 8765)
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import devenv

CONFIGURE = """
from odoo.addons.xero_connector.synchronizers.reference_reader import ReferenceReader

conn = env["xero.connection"]._for_company(env.company)
if not conn.sudo().service_url and conn.state == "connected":
    print("The company is connected to Xero itself: the sandbox is left alone.")
else:
    conn.sudo().write({
        "client_id": "sandbox-client-id",
        "client_secret": "sandbox-client-secret",
        "service_url": SANDBOX_URL,
        "auth_flow": "client_credentials",
        "enabled": True,
    })
    # The sandbox keeps its data in memory: connect afresh at every start.
    conn.state = "disconnected"
    conn.action_connect()
    print(f"Connected to the sandbox organisation {conn.tenant_name!r}.")
    # The demo organisation keeps its books in NZD: so does a company with no entry yet.
    company = conn.company_id
    if company.currency_id.name != "NZD" and not env["account.move"].search_count([("company_id", "=", company.id)]):
        company.currency_id = env.ref("base.NZD")
    # Its accounts and tax rates, and the obvious mappings for a first try (Settings > Xero).
    ReferenceReader(conn).read_reference()
    sales = conn.xero_account_ids.filtered(lambda a: a.code == "200")
    for mapping in conn.account_mapping_ids.filtered(lambda m: not m.xero_account_id):
        mapping.xero_account_id = sales
    rates = {r.rate: r for r in conn.xero_tax_rate_ids.filtered(lambda r: r.for_sales and r.status == "ACTIVE")}
    for mapping in conn.tax_mapping_ids.filtered(lambda m: not m.xero_tax_rate_id):
        mapping.xero_tax_rate_id = rates.get(mapping.tax_id.amount, mapping.xero_tax_rate_id)
    bank = conn.xero_account_ids.filtered(lambda a: a.code == "090")
    for mapping in conn.journal_mapping_ids.filtered(lambda m: not m.xero_account_id):
        mapping.xero_account_id = bank
env["ir.config_parameter"].sudo().set_param("web.base.url", ODOO_URL)
env.cr.commit()
"""


def _listening_inodes(port):
    """Socket inodes listening on `port` (IPv4 and IPv6), from /proc/net."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            # fields: sl, local address (hex ip:port), remote, state (0A = LISTEN), ..., inode (10th)
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def port_holder(port):
    """Who listens on `port`: "process 1234 (python3 -m odoo server ...)", or what little is known."""
    wanted = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if not any(os.readlink(fd) in wanted for fd in (proc / "fd").iterdir()):
                continue
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # gone, or another user's process
            continue
        return f"process {proc.name} ({command[:120]})"
    return "another process (not visible to this user; try: ss -ltnp)"


def check_ports(ports):
    """Stop with one line when a port is taken (a previous `make run` still alive, say)."""
    for port, what in ports:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                devenv.fail(
                    f"Port {port} ({what}) is taken by {port_holder(port)}: stop it, or choose another port "
                    f"with {'ODOO_PORT' if what == 'Odoo' else 'XERO_SANDBOX_PORT'}."
                )


def module_state(python, db, database):
    rows = devenv.sql(python, db, database, "SELECT state FROM ir_module_module WHERE name = %s", devenv.ADDON)
    return rows[0][0] if rows else "absent"


def wait_for(port, process, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            devenv.fail(f"The Xero sandbox stopped at start (exit {process.returncode}); is port {port} taken?")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    devenv.fail(f"The Xero sandbox did not answer on port {port}.")


def main():
    odoo_port = int(os.environ.get("ODOO_PORT", "8069"))
    sandbox_port = int(os.environ.get("XERO_SANDBOX_PORT", "8765"))
    # First: a run still alive would otherwise answer in place of this one.
    check_ports([(odoo_port, "Odoo"), (sandbox_port, "the Xero sandbox")])
    python, odoo_addons = devenv.check_odoo()
    db = devenv.check_postgres(python)
    # The sandbox validates requests with openapi-core: part of the test list.
    devenv.ensure_packages(
        python, ["xero_python", "requests", "openapi_core", "yaml"], ["requirements.txt", "requirements-test.txt"]
    )
    database = os.environ.get("XERO_DB", "xero_demo")
    workdir = devenv.REPO / ".run"
    workdir.mkdir(exist_ok=True)
    config = devenv.write_config(
        workdir / "odoo.conf", odoo_addons, db, database, http_port=odoo_port, max_cron_threads=1
    )
    odoo = [python, "-m", "odoo"]

    state = module_state(python, db, database) if devenv.database_exists(python, db, database) else "absent"
    step = ["-u", devenv.ADDON] if state == "installed" else ["-i", devenv.ADDON]
    print(f"Preparing database {database!r} ({'updating' if state == 'installed' else 'installing'} the addon)...")
    log = workdir / "install.log"
    with open(log, "w") as out:
        done = subprocess.run(
            [*odoo, "server", "-c", config, "-d", database, *step, "--stop-after-init"],
            stdout=out,
            stderr=out,
            check=False,
        )
    if done.returncode:
        devenv.fail(f"Installing the addon failed; see {log}")

    sandbox = subprocess.Popen(
        [python, "-m", "xero_sandbox", "--port", str(sandbox_port), "--seed", "demo"],
        cwd=devenv.REPO,
    )
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    odoo_url = f"http://127.0.0.1:{odoo_port}"
    try:
        wait_for(sandbox_port, sandbox)
        script = f"SANDBOX_URL = {sandbox_url!r}\nODOO_URL = {odoo_url!r}\n{CONFIGURE}"
        configured = subprocess.run(
            [*odoo, "shell", "-c", config, "-d", database, "--no-http"],
            input=script,
            text=True,
            capture_output=True,
            check=False,
        )
        sys.stdout.write("\n".join(line for line in configured.stdout.splitlines() if not line.startswith(">>>")))
        if configured.returncode:
            sys.stderr.write(configured.stderr[-3000:])
            devenv.fail("Connecting the company to the Xero sandbox failed.")
        print(f"\nOdoo with the Xero connector: {odoo_url}/odoo  (login: admin, password: admin)")
        print(f"Xero sandbox: {sandbox_url}  (Contacts > Xero; Settings > Xero)")
        print("Stop with Ctrl-C.", flush=True)
        server = subprocess.Popen([*odoo, "server", "-c", config, "-d", database])
        try:
            server.wait()
        except KeyboardInterrupt:
            server.send_signal(signal.SIGINT)
            server.wait()
    finally:
        sandbox.terminate()
        sandbox.wait()
    return 0


if __name__ == "__main__":
    Path(devenv.REPO / ".run").mkdir(exist_ok=True)
    sys.exit(main())
