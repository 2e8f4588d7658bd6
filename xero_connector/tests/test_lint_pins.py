"""pre-commit and `make test` lint with the same tool versions."""

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def test_pre_commit_pins_are_the_test_command_pins():
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    hooked = {dep for repo in config["repos"] for hook in repo["hooks"] for dep in hook["additional_dependencies"]}
    required = set(re.findall(r"^(?:ruff|pylint-odoo|vermin)==\S+", (REPO / "requirements-test.txt").read_text(), re.M))
    assert hooked == required == {"ruff==0.17.6", "pylint-odoo==10.0.12", "vermin==1.9.2"}
