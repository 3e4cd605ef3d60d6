"""`bgdesk` hears a stop from its first moment: SIGTERM anywhere in `bgdesk watch`'s start-up
ends it with status 0 and no traceback, as it does once it is watching. SIGABRT shows where
each thread was."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bgdesk.paths import Paths
from tests.conftest import photo
from tests.processes import Logged

pytestmark = pytest.mark.slow  # real processes, over the real model's file


def catches(pid: int, number: int) -> bool:
    """Whether process `pid` has a handler of its own for signal `number` (from /proc)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught, 16) >> (number - 1) & 1)


FIRST = "as soon as it can hear a stop"
Moment = Callable[[Logged, Paths], bool]
MOMENTS: dict[str, Moment] = {
    FIRST: lambda watch, _: catches(watch.process.pid, signal.SIGTERM),
    "while it opens its database": lambda _, home: home.data_dir.exists(),
    "once it says it is watching": lambda watch, _: "Watching" in watch.printed(),
}


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="handlers are read in /proc")
@pytest.mark.parametrize("moment", MOMENTS)
def test_a_stop_during_start_up_ends_watch_cleanly(
    moment: str, home: Paths, models_dir: Path, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    command = [sys.executable, "-m", "bgdesk", "watch", str(inbox), "-o", str(tmp_path / "out")]
    with Logged(command, tmp_path / "logs") as watch:
        watch.wait_until(lambda: MOMENTS[moment](watch, home), moment)
        status, errors = watch.stop()
    assert status == 0 and "Traceback" not in errors, errors
    if moment == FIRST:
        assert "Watching" not in watch.printed(), "heard only once the heavy imports were done"


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="handlers are read in /proc")
def test_a_stop_cuts_remove_short_and_says_so(
    home: Paths, models_dir: Path, tmp_path: Path
) -> None:
    """`remove` does not run until stopped: stopped, it ends as the signal would have ended it,
    so that a script does not take the cutouts it never made for a success."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for n in range(20):
        (photos / f"{n}.jpg").write_bytes(photo("astronaut", (800, 800)))
    command = [sys.executable, "-m", "bgdesk", "remove", str(photos), "-o", str(tmp_path / "out")]
    with Logged(command, tmp_path / "logs") as remove:
        remove.wait_until(lambda: catches(remove.process.pid, signal.SIGTERM), "a handler")
        status, errors = remove.stop()
    assert status == 128 + signal.SIGTERM and "Traceback" not in errors, errors


@pytest.mark.skipif(not hasattr(signal, "SIGABRT"), reason="no SIGABRT to send")
def test_an_abort_shows_where_each_thread_was(
    home: Paths, models_dir: Path, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    command = [sys.executable, "-m", "bgdesk", "watch", str(inbox), "-o", str(tmp_path / "out")]
    with Logged(command, tmp_path / "logs") as watch:
        watch.wait_for("Watching")
        watch.process.send_signal(signal.SIGABRT)
        status = watch.process.wait(60)
    errors = watch.err.read_text()
    assert status == -signal.SIGABRT
    assert "Fatal Python error: Aborted" in errors, errors
    assert "Current thread 0x" in errors and "\nThread 0x" in errors, "every thread's stack"
    assert 'File "' in errors, errors
