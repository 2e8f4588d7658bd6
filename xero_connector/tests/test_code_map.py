"""The README's code map names every folder of the repository and every module of the engine."""

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


def test_every_engine_module_is_on_the_code_map():
    modules = {p.name for p in (REPO / "xero_connector").glob("*.py") if p.name != "__init__.py"}
    listed = set(re.findall(r"\b(\w+\.py)\b", code_map()))
    assert sorted(modules - listed) == []
