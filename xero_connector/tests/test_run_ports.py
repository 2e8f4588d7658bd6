"""`make run` stops with one line when its ports are taken (a previous run still alive)."""

import os
import socket
import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parents[2] / "scripts" / "run.py"


def run_with(env):
    return subprocess.run(
        [sys.executable, str(RUN)], env={**os.environ, **env}, capture_output=True, text=True, timeout=60, check=False
    )


def test_taken_port_names_the_port_and_its_holder():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = run_with({"ODOO_PORT": str(port), "XERO_SANDBOX_PORT": "0"})
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"Port {port} (Odoo) is taken by process {os.getpid()} (" in lines[0]
    assert "pytest" in lines[0] or "python" in lines[0]
    assert not done.stdout


def test_taken_sandbox_port_is_named_too():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = run_with({"ODOO_PORT": "0", "XERO_SANDBOX_PORT": str(port)})
    assert done.returncode == 2
    assert f"Port {port} (the Xero sandbox) is taken by process {os.getpid()}" in done.stderr
