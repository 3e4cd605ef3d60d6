"""A second launch hands its photos to the window already open and exits: two real
processes on one bgdesk home."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bgdesk.gui.single_instance import instance_name
from bgdesk.paths import Paths
from tests.conftest import photo
from tests.processes import serve_on_free_port, serving, terminate


@pytest.mark.slow
def test_a_second_launch_hands_its_photo_to_the_open_window(home: Paths, tmp_path: Path) -> None:
    port = serve_on_free_port(home.settings_file)
    source = tmp_path / "chelsea.jpg"
    source.write_bytes(photo("chelsea", (300, 200)))
    environment = os.environ | {"QT_QPA_PLATFORM": "offscreen"}
    with serving([sys.executable, "-m", "bgdesk"], environment, port) as first:
        second = subprocess.run(
            [sys.executable, "-m", "bgdesk", source.name],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 0, second.stderr
        assert "handed over to the window already open" in second.stderr
        cutout = tmp_path / "chelsea-nobg.png"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not cutout.exists():
            time.sleep(0.1)
        assert first.poll() is None, "the first window is still open"
        errors = terminate(first)
    assert cutout.is_file(), "the first window cut out the photo the second launch was given"
    assert first.returncode == 0 and "Traceback" not in errors, errors


def test_separate_homes_keep_separate_windows(tmp_path: Path) -> None:
    one, two = Paths.under(tmp_path / "one"), Paths.under(tmp_path / "two")
    assert instance_name(one) != instance_name(two)
    assert instance_name(one) == instance_name(Paths.under(tmp_path / "one"))
