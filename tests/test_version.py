"""The version is declared once, in bgdesk/__init__.py: the package's metadata reads it from
there, and no other file in the repository spells it out."""

from __future__ import annotations

import re
import subprocess
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

import bgdesk

ROOT = Path(__file__).resolve().parents[1]
MAY_NAME_IT = {"bgdesk/__init__.py", "CHANGELOG.md"}


def test_the_metadata_takes_the_packages_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    dynamic = project["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "bgdesk.__version__"}
    assert version("bgdesk") == bgdesk.__version__, "installed before a version change: reinstall"


@pytest.mark.slow
def test_no_other_file_spells_the_version_out() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    number = re.compile(rb"(?<![\d.])" + re.escape(bgdesk.__version__.encode()) + rb"(?![\d])")
    spelling = [
        name
        for name in tracked
        if name not in MAY_NAME_IT
        and (ROOT / name).is_file()
        and b"\0" not in (content := (ROOT / name).read_bytes())
        and number.search(content)
    ]
    assert not spelling, f"the version is written in {spelling}: read bgdesk.__version__"
