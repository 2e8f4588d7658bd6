"""The repository's layout: the README's code map names every folder and every engine module;
the sandbox stays beside the product. (They read the whole repository: not run by `make mutation`.)"""

import ast
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def code_map():
    text = (REPO / "README.md").read_text()
    section = text[text.index("## The code") :]
    return section[section.index("```") + 3 : section.index("```", section.index("```") + 3)]


def test_every_folder_is_on_the_code_map():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    folders = {path.split("/")[0] for path in tracked if "/" in path}
    assert len(folders) > 10
    listed = set(re.findall(r"^\s*(\.?[\w]+)/", code_map(), re.M))
    assert sorted(folders - listed) == []


def test_every_engine_module_and_synchronizer_is_on_the_code_map():
    folders = ("xero_connector", "synchronizers")
    modules = {p.name for folder in folders for p in (REPO / folder).glob("*.py") if p.name != "__init__.py"}
    listed = set(re.findall(r"\b(\w+\.py)\b", code_map()))
    assert sorted(modules - listed) == []


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_the_sandbox_stays_beside_the_product():
    """The sandbox is a test double: neither the engine nor the addon's code imports it."""
    root = REPO
    product = [p for p in (REPO / "xero_connector").rglob("*.py") if "tests" not in p.parts]
    for folder in ("models", "synchronizers", "wizard", "controllers"):
        product += list((root / folder).rglob("*.py"))
    assert len(product) > 30
    offenders = [f"{p.relative_to(root)}: {m}" for p in product for m in _imports(p) if "xero_sandbox" in m]
    assert offenders == []
