"""The installed app under test, and a clean environment for it: a fresh home, no Python."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def frozen(request: pytest.FixtureRequest) -> Path:
    return Path(request.config.getoption("--frozen"))


@pytest.fixture
def app_env(tmp_path: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("BGDESK_", "PYTHON", "VIRTUAL_ENV"))
    }
    env |= {
        "BGDESK_HOME": str(tmp_path / "home"),
        "QT_QPA_PLATFORM": "offscreen",
        "PATH": "/usr/bin:/bin",
    }
    return env
