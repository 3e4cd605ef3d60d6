"""A stop is how the commands that run until stopped end well, and cuts any other short."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from bgdesk.bootstrap import _stopped_status


@pytest.mark.parametrize(
    "argv",
    [[], ["photo.jpg"], ["watch", "in"], ["--device", "cpu", "serve"], ["worker", "-v"], ["-v"]],
)
def test_a_stop_ends_the_window_server_worker_and_watch_well(argv: list[str]) -> None:
    assert _stopped_status(argv) == 0


@pytest.mark.parametrize(
    "argv", [["remove", "a.jpg"], ["--device", "cpu", "remove", "a.jpg"], ["jobs", "run"]]
)
def test_a_stop_cuts_other_commands_short(argv: list[str]) -> None:
    assert _stopped_status(argv) == 128 + signal.SIGTERM


def test_a_photo_alone_means_the_window_and_reading_it_says_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"")
    assert _stopped_status([str(photo)]) == 0
    assert _stopped_status(["--no-such-option"]) == 0
    assert capsys.readouterr().err == ""
