"""`bgdesk remove` killed mid-folder and run again: every photo cut out, none paid twice, no
temporary file left behind; `--overwrite` pays for a redo on purpose."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bgdesk.paths import Paths
from bgdesk.storage.models import CreditEntry, Job, JobState
from tests.conftest import open_home_database, photo
from tests.processes import Logged

pytestmark = pytest.mark.slow  # the real model, as a real process

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "camera", "immunohistochemistry")
COUNT = 30


def remove(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bgdesk", "remove", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def charges(home: Paths) -> tuple[int, int]:
    """(charges, refunds) in the ledger."""
    db = open_home_database(home)
    try:
        kinds = [entry.kind for entry in CreditEntry.select()]
        return kinds.count("charge"), kinds.count("refund")
    finally:
        db.close()


def cutouts(folder: Path) -> list[Path]:
    return sorted(folder.glob("*-nobg.png"))


def test_a_run_killed_mid_folder_resumes_without_paying_twice(
    home: Paths, models_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "shoot"
    folder.mkdir()
    for n in range(COUNT):
        name = PHOTOS[n % len(PHOTOS)]
        (folder / f"{n:02d}-{name}.jpg").write_bytes(photo(name, (400 + n, 300)))
    first = subprocess.Popen(
        [sys.executable, "-m", "bgdesk", "remove", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while len(cutouts(folder)) < 3 and first.poll() is None:
        assert time.monotonic() < deadline, "the first run made no cutouts"
        time.sleep(0.02)
    first.kill()  # SIGKILL: no clean-up of any kind
    first.wait()
    made_before = len(cutouts(folder))
    assert 3 <= made_before < COUNT, "the run was killed mid-folder"
    # what a writer killed mid-file leaves, beside a cutout still to make and one made
    missing = next(
        f.with_name(f"{f.stem}-nobg.png")
        for f in sorted(folder.glob("*.jpg"))
        if not f.with_name(f"{f.stem}-nobg.png").exists()
    )
    leftovers = [
        missing.with_name(f".{missing.name}.0123456789ab.part"),
        cutouts(folder)[0].with_name(f".{cutouts(folder)[0].name}.ba9876543210.part"),
    ]
    for leftover in leftovers:
        leftover.write_bytes(b"half a png")

    again = remove(str(folder), "--json")

    assert again.returncode == 0, again.stderr
    records = json.loads(again.stdout)
    assert len(records) == COUNT
    assert {r["status"] for r in records} <= {"completed", "skipped"}
    # a cutout written just before the kill may still have its job open: that job is
    # finished, not paid again
    assert made_before - 1 <= sum(r["status"] == "skipped" for r in records) <= made_before
    assert len(cutouts(folder)) == COUNT
    assert charges(home) == (COUNT, 0), "each photo paid for once"
    assert not any(leftover.exists() for leftover in leftovers)
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []
    db = open_home_database(home)
    try:
        assert Job.select().where(Job.status == JobState.COMPLETED).count() == COUNT
    finally:
        db.close()

    redo = remove(str(folder / "00-astronaut.jpg"), "--overwrite")
    assert redo.returncode == 0, redo.stderr
    assert charges(home) == (COUNT + 1, 0), "--overwrite pays for the redo"
    assert "1 cutout written" in redo.stdout
    quiet = remove(str(folder / "00-astronaut.jpg"))
    assert "1 already there, skipped" in quiet.stdout
    assert charges(home) == (COUNT + 1, 0)


def test_watch_cuts_out_photos_as_they_arrive_and_a_restart_pays_nothing_twice(
    home: Paths, models_dir: Path, tmp_path: Path
) -> None:
    inbox, output = tmp_path / "inbox", tmp_path / "cutouts"
    inbox.mkdir()
    (inbox / "early.jpg").write_bytes(photo("astronaut", (320, 320)))
    command = [sys.executable, "-m", "bgdesk", "watch", str(inbox), "-o", str(output)]
    command += ["--interval", "0.2"]

    with Logged(command, tmp_path / "first") as first:
        first.wait_for("early.jpg -> ")
        (inbox / "late.jpg").write_bytes(photo("chelsea", (300, 200)))
        first.wait_for("late.jpg -> ")
        stopped = first.stop()
    assert stopped[0] == 0 and "Traceback" not in stopped[1], stopped[1]

    with Logged(command, tmp_path / "second") as second:
        second.wait_for("Watching")
        # Taken at the earliest by the look after the one that found it: by then the photos
        # there before were looked at again, and a charge for them would have been made.
        (inbox / "new.jpg").write_bytes(photo("coffee", (300, 200)))
        second.wait_for("new.jpg -> ")
        stopped = second.stop()
    assert stopped[0] == 0 and "Traceback" not in stopped[1], stopped[1]
    assert [line for line in second.printed().splitlines() if " -> " in line] == [
        f"  {inbox / 'new.jpg'} -> {output / 'new.png'}"
    ]
    assert sorted(p.name for p in output.glob("*.png")) == ["early.png", "late.png", "new.png"]
    assert charges(home) == (3, 0)
