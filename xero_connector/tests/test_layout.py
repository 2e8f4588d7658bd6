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


def _engine_names_used_by_the_addon():
    """(file, engine module, name) for every engine name the addon's code uses."""
    for folder in ("models", "synchronizers", "wizard", "controllers"):
        for path in (REPO / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(), str(path))
            modules = {}  # local name -> engine module imported whole
            for node in ast.walk(tree):
                if not isinstance(node, ast.ImportFrom) or node.level != 2 or not node.module:
                    continue
                if node.module == "xero_connector":
                    for alias in node.names:
                        modules[alias.asname or alias.name] = alias.name
                        yield path.name, None, alias.name
                elif node.module.startswith("xero_connector."):
                    for alias in node.names:
                        yield path.name, node.module.split(".", 1)[1], alias.name
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules:
                    yield path.name, modules[node.value.id], node.attr


def test_the_addon_uses_only_the_engine_s_public_api():
    """The engine's API is its `__all__`s: the addon imports no other module nor name of it."""
    import importlib

    engine = importlib.import_module("xero_connector")
    used = list(_engine_names_used_by_the_addon())
    assert len(used) > 100
    outside = []
    for path, module, name in used:
        if module is None:
            public = engine.__all__
        else:
            public = importlib.import_module(f"xero_connector.{module}").__all__
        if name not in public:
            outside.append(f"{path}: {module or 'xero_connector'}.{name}")
    assert outside == []
