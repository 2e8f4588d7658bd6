"""Run every test suite and end with one line: `N passed, N failed`.

1. the engine tests and the sandbox's contract tests (pytest);
2. Odoo's own test runner on a fresh database with the addon installed
   (`--test-enable --test-tags /xero_connector`), browser tours included;
   then the addon is uninstalled from that database and checked gone;
3. ruff, pylint-odoo, and vermin (no construct newer than Python 3.10, the
   oldest Python Odoo 19 runs on).

XERO_TEST_TAGS narrows the Odoo suite while developing (e.g.
`:TestSyncPage`); the full run is the default.

Fails when any test fails, when the Odoo suite ran no test, and when any
test was skipped (a skipped browser test means Chromium did not run).
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import devenv

REPO = devenv.REPO
LOGS = REPO / ".test-logs"


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.notes = []

    def add(self, suite, passed, failed, note=""):
        self.passed += passed
        self.failed += failed
        self.notes.append(f"{suite}: {passed} passed, {failed} failed{(' - ' + note) if note else ''}")


def banner(text):
    print(f"\n===== {text} =====", flush=True)


def check_tools(python):
    devenv.ensure_packages(
        python,
        [
            "pytest",
            "coverage",
            "openapi_core",
            "yaml",
            "websocket",
            "xero_python",
            "requests",
            "pycountry",
            "phonenumbers",
            "stdnum",
            "pylint_odoo",
            "ruff",
            "vermin",
        ],
        ["requirements.txt", "requirements-test.txt"],
    )
    # Without Xero's OpenAPI description the sandbox would validate nothing:
    # the tests would pass against a sandbox kinder than Xero.
    spec = subprocess.run(
        [python, "-c", "from xero_sandbox import validation as v; print(v.load_spec() is not None)"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if spec.stdout.strip() != "True":
        devenv.fail(
            "Xero's OpenAPI description (xero_accounting.yaml) is missing: set XERO_OPENAPI_DIR to the folder "
            "holding it (default: shared/xero-openapi beside this repository)."
        )
    if not (shutil.which("chromium") or shutil.which("google-chrome") or shutil.which("chromium-browser")):
        devenv.fail("Chromium is missing: Odoo's browser tests need it (Debian: apt-get install chromium).")


# Branch coverage the engine tests must give these modules (percent).
COVERAGE_FLOOR = {"gateway.py": 95.0, "oauth.py": 95.0}


def run_engine_tests(python, tally):
    banner("Engine and sandbox tests (pytest, under coverage)")
    data = LOGS / "engine.coverage"
    data.unlink(missing_ok=True)
    # Two tiers, each with its own pytest.ini (its folder is the rootdir: the
    # repository root is an Odoo addon that pytest must not import).
    for suite, folder in (("engine", "xero_connector/tests"), ("sandbox", "xero_sandbox/tests")):
        run_pytest(python, tally, suite, folder, data)
    check_coverage(python, data, tally)


def run_pytest(python, tally, suite, folder, data):
    report = LOGS / f"{suite}-junit.xml"
    measure = [python, "-m", "coverage", "run", "--append", f"--data-file={data}", "--branch"]
    measure += ["--source=xero_connector", "--omit=*/tests/*"]
    command = [*measure, "-m", "pytest", "-c", f"{folder}/pytest.ini", "-q", "-rfEs"]
    proc = subprocess.run([*command, f"--junitxml={report}", folder], cwd=REPO, check=False)
    try:
        root = ET.parse(report).getroot()
        root = root if root.tag == "testsuite" else root.find("testsuite")
        total, failures, errors, skipped = (int(root.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
    except (OSError, ET.ParseError):
        tally.add(suite, 0, 1, f"pytest produced no report (exit {proc.returncode})")
        return
    bad = failures + errors + skipped
    note = f"{skipped} skipped (not allowed)" if skipped else ""
    if not total:
        bad, note = 1, "pytest ran no test"
    if proc.returncode not in (0, 1) and not bad:
        bad, note = 1, f"pytest exited {proc.returncode}"
    tally.add(suite, total - failures - errors - skipped, bad, note)


def check_coverage(python, data, tally):
    """Print `COVERAGE gateway.py=..% oauth.py=..% (branch)`; a module under its floor fails the tally."""
    out = LOGS / "engine-coverage.json"
    subprocess.run(
        [python, "-m", "coverage", "json", f"--data-file={data}", "-o", str(out), "-q"], cwd=REPO, check=False
    )
    try:
        files = json.loads(out.read_text())["files"]
    except (OSError, ValueError, KeyError):
        tally.add("coverage", 0, 1, "coverage produced no report")
        return
    percents = {}
    for name in COVERAGE_FLOOR:
        found = [v for k, v in files.items() if Path(k).as_posix().endswith(f"xero_connector/{name}")]
        percents[name] = found[0]["summary"]["percent_covered"] if found else 0.0
    print("COVERAGE " + " ".join(f"{name}={p:.1f}%" for name, p in percents.items()) + " (branch)", flush=True)
    low = [
        f"{name} {percents[name]:.1f}% < {floor:g}%" for name, floor in COVERAGE_FLOOR.items() if percents[name] < floor
    ]
    tally.add("coverage", 0 if low else 1, 1 if low else 0, "; ".join(low))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


RESULT_LINE = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
SKIP_LINE = re.compile(r" (?:INFO|WARNING) \S+ \S+: skipped (.*)")
ERROR_LINE = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ \d+ (ERROR|CRITICAL) ")


def run_odoo_tests(python, odoo_addons, db, tally):
    banner("Odoo tests (fresh database, addon installed, --test-enable)")
    database = f"xero_test_{os.getpid()}_{int(time.time())}"
    workdir = Path(tempfile.mkdtemp(prefix="xero_odoo_test_"))
    config = devenv.write_config(workdir / "odoo.conf", odoo_addons, db, database, http_port=free_port())
    log_path = LOGS / "odoo-tests.log"
    devenv.drop_database(python, db, database)
    command = [
        python,
        "-m",
        "odoo",
        "server",
        "-c",
        config,
        "-d",
        database,
        "-i",
        devenv.ADDON,
        "--test-enable",
        f"--test-tags=/{devenv.ADDON}{os.environ.get('XERO_TEST_TAGS', '')}",
        "--stop-after-init",
        "--log-level=test",
        "--max-cron-threads=0",
        f"--screenshots={LOGS / 'screenshots'}",
    ]
    result, skips, errors = None, [], []
    with open(log_path, "w") as log:
        proc = subprocess.Popen(command, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            sys.stdout.write(line)
            log.write(line)
            if match := RESULT_LINE.search(line):
                result = tuple(int(g) for g in match.groups())
            if match := SKIP_LINE.search(line):
                skips.append(match.group(1).strip())
            if ERROR_LINE.match(line):
                errors.append(line.strip())
        returncode = proc.wait()
    print(f"(full Odoo log: {log_path})")
    if result is None:
        tally.add("odoo", 0, 1, f"no test result line (exit {returncode}); install failed?")
    else:
        failed, errored, total = result
        bad = failed + errored + len(skips)
        notes = []
        if total == 0:
            bad += 1
            notes.append("the Odoo suite ran no test")
        if skips:
            notes.append(f"{len(skips)} skipped (not allowed): " + "; ".join(skips[:3]))
        if errors and not (failed or errored):
            # An error logged outside any test (install, cron, tour console) is a failure too.
            bad += 1
            notes.append(f"{len(errors)} ERROR lines in the log, first: {errors[0][:300]}")
        if returncode and not bad:
            bad += 1
            notes.append(f"odoo exited {returncode}")
        tally.add("odoo", total - failed - errored - len(skips), bad, "; ".join(notes))
        if result is not None and returncode == 0:
            check_uninstall(python, config, db, database, tally)
    devenv.drop_database(python, db, database)
    shutil.rmtree(workdir, ignore_errors=True)


def check_uninstall(python, config, db, database, tally):
    banner("Uninstall check")
    proc = subprocess.run(
        [python, "-m", "odoo", "module", "uninstall", "-c", config, "-d", database, devenv.ADDON],
        capture_output=True,
        text=True,
        check=False,
    )
    found = []
    try:
        for query in (
            "SELECT state FROM ir_module_module WHERE name = 'xero_connector'",
            "SELECT count(*) FROM ir_model WHERE model LIKE 'xero.%%'",
            "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'xero\\_%%'",
            "SELECT count(*) FROM ir_model_data WHERE module = 'xero_connector'",
        ):
            found.append(str(devenv.sql(python, db, database, query)[0][0]))
    except RuntimeError as exc:
        found = [str(exc)]
    ok = proc.returncode == 0 and found == ["uninstalled", "0", "0", "0"]
    print(f"module state, xero models, xero tables, xero data records: {' '.join(found)}")
    if not ok:
        print(proc.stdout[-2000:], proc.stderr[-2000:])
    tally.add("uninstall", int(ok), int(not ok), "" if ok else "the addon did not uninstall cleanly")


def run_linters(python, tally):
    banner("ruff")
    ruff = subprocess.run([python, "-m", "ruff", "check", "."], cwd=REPO, check=False)
    tally.add("ruff", int(ruff.returncode == 0), int(ruff.returncode != 0))
    banner("pylint-odoo")
    # pylint-odoo reviews the addon, its engine and the sandbox; scripts/ are plain CLI tools.
    files = ["__init__.py", "__manifest__.py", "models", "synchronizers", "wizard", "controllers", "tests"]
    files += ["xero_connector", "xero_sandbox"]
    pylint = subprocess.run([python, "-m", "pylint", "--rcfile=.pylintrc", *files], cwd=REPO, check=False)
    tally.add("pylint-odoo", int(pylint.returncode == 0), int(pylint.returncode != 0))
    banner("vermin (Python 3.10+)")
    tally.add("vermin", *((1, 0) if check_python_versions(python) else (0, 1)))


def check_python_versions(python, files=None):
    """True when no file uses a construct newer than Python 3.10 (Odoo 19's oldest Python)."""
    if not files:
        listed = ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"]
        files = subprocess.run(listed, cwd=REPO, capture_output=True, text=True, check=False).stdout.split()
    # vermin has no `python -m` entry point; its console script is `vermin.main()`.
    command = [python, "-c", "import sys, vermin; sys.argv[0] = 'vermin'; sys.exit(vermin.main())"]
    flags = ["-t=3.10-", "--no-tips", "--violations", "--eval-annotations", "--no-parse-comments"]
    return subprocess.run([*command, *flags, *files], cwd=REPO, check=False).returncode == 0


def main():
    python, odoo_addons = devenv.check_odoo()
    db = devenv.check_postgres(python)
    check_tools(python)
    LOGS.mkdir(exist_ok=True)
    tally = Tally()
    run_engine_tests(python, tally)
    run_odoo_tests(python, odoo_addons, db, tally)
    run_linters(python, tally)
    banner("Summary")
    for note in tally.notes:
        print(note)
    print(f"{tally.passed} passed, {tally.failed} failed", flush=True)
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
