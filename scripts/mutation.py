"""Mutation testing of the engine (`make mutation`), with mutmut.

Mutates only gateway.py, fieldmap.py, push.py, accounting.py, ratelimit.py
and oauth.py, and runs only the engine tests that exercise them (not the
sandbox's own long suite). Ends with one line:

    MUTATION killed=K survived=S timeout=T score=(K+T)/(K+S+T)

A mutant that no test runs, or that mutmut calls "suspicious", counts as
survived. The equivalent mutants (no test can kill them: same behaviour)
are listed with why in xero_connector/tests/mutation_equivalents.txt and
printed apart; they still count in the score.

mutmut works in a copy: the engine package is copied into .mutation/ (the
repository root is an Odoo addon, which pytest must not import), mutmut
copies it again into .mutation/mutants/ and mutates that copy. Nothing in
the working tree changes.

    make mutation                      # every module
    make mutation MODULES="push.py"    # some modules (a quicker check)
    MUTATION_CHILDREN=2 make mutation  # parallel test processes (default 2)
"""

import os
import re
import shutil
import subprocess
import sys

import devenv

REPO = devenv.REPO
WORK = REPO / ".mutation"
MODULES = ("gateway.py", "fieldmap.py", "push.py", "accounting.py", "ratelimit.py", "oauth.py")
# Every engine test file, and the sandbox's contract tests that go through the gateway, but
# the sandbox's own long suite (it tests the sandbox, not these modules) and those of the
# repository's tooling (they read files the copy does not hold); mutmut runs, for each
# mutant, only the tests that call the mutated function.
SKIPPED_TESTS = (
    "test_sandbox.py",
    "test_lint_pins.py",
    "test_layout.py",
    "test_python_versions.py",
    "test_run_ports.py",
)
EQUIVALENTS = REPO / "xero_connector" / "tests" / "mutation_equivalents.txt"
RESULT = re.compile(r"^\s*(\S+): (.+)$")


def setup_cfg(modules, tests):
    # The engine's tests start the sandbox, a sibling package: copied beside the mutants.
    lines = ["[mutmut]", "source_paths = xero_connector/", "also_copy =", "    xero_sandbox/", "only_mutate ="]
    lines += [f"    xero_connector/{m}" for m in modules]
    lines += ["pytest_add_cli_args_test_selection ="]
    lines += [f"    {t}" for t in tests]
    # The package's pytest.ini (importlib mode, no cache); -x: one failure kills the mutant.
    lines += ["pytest_add_cli_args =", "    -c", "    xero_connector/tests/pytest.ini", "    -x", "    -q"]
    return "\n".join(lines) + "\n"


def equivalents():
    """Mutant name -> reason, from the equivalents file."""
    out = {}
    if EQUIVALENTS.exists():
        for raw in EQUIVALENTS.read_text().splitlines():
            text = raw.strip()
            if text and not text.startswith("#"):
                name, _, reason = text.partition(" ")
                out[name] = reason.strip(" -:")
    return out


def main(argv):
    python = sys.executable
    devenv.ensure_packages(
        python, ["mutmut", "pytest", "xero_python", "openapi_core"], ["requirements.txt", "requirements-test.txt"]
    )
    modules = [m for m in (argv or os.environ.get("MODULES", "").split()) if m] or list(MODULES)
    unknown = set(modules) - set(MODULES)
    if unknown:
        devenv.fail(f"Not a mutated module: {', '.join(sorted(unknown))} (choose among {', '.join(MODULES)}).")
    tests = sorted(
        str(p.relative_to(REPO))
        for folder in ("xero_connector", "xero_sandbox")
        for p in (REPO / folder / "tests").glob("test_*.py")
        if p.name not in SKIPPED_TESTS
    )

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir()
    shutil.copytree(
        REPO / "xero_connector", WORK / "xero_connector", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    shutil.copytree(REPO / "xero_sandbox", WORK / "xero_sandbox", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (WORK / "setup.cfg").write_text(setup_cfg(modules, tests))
    env = dict(os.environ)
    # The sandbox finds Xero's OpenAPI file beside the repository, not beside the copy.
    env.setdefault("XERO_OPENAPI_DIR", str(REPO.parent / "shared" / "xero-openapi"))
    children = os.environ.get("MUTATION_CHILDREN", "2")
    log = WORK / "mutmut-run.log"
    print(f"mutmut: {', '.join(modules)} ({children} children), progress in {log}", flush=True)
    with open(log, "w") as out:
        # Its progress spinner rewrites one line thousands of times: kept out of the terminal.
        run = subprocess.run(
            [python, "-c", "from mutmut.__main__ import cli; cli()", "run", "--max-children", children],
            cwd=WORK,
            env=env,
            check=False,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    listed = subprocess.run(
        [python, "-c", "from mutmut.__main__ import cli; cli()", "results", "--all", "true"],
        cwd=WORK,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    status = {}
    for line in listed.stdout.splitlines():
        match = RESULT.match(line)
        if match:
            status[match.group(1)] = match.group(2).strip()
    if not status:
        devenv.fail(f"mutmut gave no results (run exit {run.returncode}); see {log}.")
    if all(s == "not checked" for s in status.values()):
        # mutmut runs the tests once first: a failing test stops it before any mutant.
        devenv.fail(f"mutmut checked no mutant (run exit {run.returncode}): a test fails unmutated; see {log}.")
    killed = sum(1 for s in status.values() if s == "killed")
    timeout = sum(1 for s in status.values() if s == "timeout")
    survived = len(status) - killed - timeout
    known = equivalents()
    left = sorted(name for name, s in status.items() if s not in ("killed", "timeout"))
    print("\nSurviving mutants (`cd .mutation && mutmut show NAME` shows one):")
    for name in left:
        reason = known.get(name)
        print(f"  {name}: {status[name]}" + (f"  [equivalent: {reason}]" if reason else ""))
    unexplained = [name for name in left if name not in known]
    print(f"{len(left) - len(unexplained)} listed as equivalent, {len(unexplained)} not explained.")
    score = (killed + timeout) / len(status)
    print(f"MUTATION killed={killed} survived={survived} timeout={timeout} score={score:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
