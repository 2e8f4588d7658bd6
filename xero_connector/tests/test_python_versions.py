"""The test command's check fails on any construct newer than Python 3.10 (Odoo 19's oldest Python)."""

import importlib.util
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def runner():
    sys.path.insert(0, str(SCRIPTS))  # scripts/test.py imports devenv beside it
    try:
        spec = importlib.util.spec_from_file_location("xero_test_runner", SCRIPTS / "test.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(SCRIPTS))


def test_a_python_311_construct_fails_the_check(tmp_path):
    newer = tmp_path / "newer.py"
    newer.write_text("from datetime import UTC\n\nprint(UTC)\n")
    older = tmp_path / "older.py"
    older.write_text("from datetime import timezone\n\nprint(timezone.utc)\n")
    check = runner().check_python_versions
    assert check(sys.executable, [str(newer)]) is False
    assert check(sys.executable, [str(older)]) is True


def test_the_repository_passes_the_check():
    assert runner().check_python_versions(sys.executable) is True
