"""The engine package must never import odoo (it runs outside Odoo too)."""

import ast
import pathlib
import subprocess
import sys

PACKAGE = pathlib.Path(__file__).resolve().parents[1]


def test_no_source_file_imports_odoo():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            offenders += [f"{path.relative_to(PACKAGE)}: {n}" for n in names if n.split(".")[0] == "odoo"]
    assert offenders == []


def test_importing_every_module_loads_no_odoo():
    modules = sorted(
        "xero_connector." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts)
        for p in PACKAGE.rglob("*.py")
        if "tests" not in p.parts and p.name not in ("__init__.py", "__main__.py")
    )
    code = "import importlib, sys\nfor m in sys.argv[1:]: importlib.import_module(m)\nprint('odoo' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code, *modules], cwd=PACKAGE.parent, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False", out.stderr
