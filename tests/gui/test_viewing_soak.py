"""Viewing many 12 MP cutouts in the real window: twenty, one after another, then two thousand
quick switches between rows, with the window's memory measured after each part."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from skimage import data

from bgdesk.gui.main_window import MainWindow
from bgdesk.inference.memory import trim_heap
from bgdesk.paths import Paths
from tests.gui.conftest import drop, rested, showing
from tests.gui.test_soak import resident_mib

pytestmark = pytest.mark.slow  # the real window, twenty 12 MP pairs

PAIRS = 20
SWITCHES = 2_000
SIZE = (4000, 3000)  # 12 MP
AFTER_VIEWING_MIB = 600  # the window's whole memory after viewing the twenty
RELEASED_MIB = 200  # at least what the window gives back once its queue rests
BARE_MIB = 200  # a window opened on an empty history holds this much before any work
LOOK_EVERY = 250  # switches between stops to look at a cutout
GROWTH_MIB = 40  # what the last 1,500 switches may add, free pages given back: no leak
SAMPLES = ("astronaut", "chelsea", "coffee", "rocket")


def twelve_megapixel_photos(folder: Path) -> list[Path]:
    """PAIRS 12 MP photos: scikit-image's samples, enlarged."""
    photos = []
    for n in range(PAIRS):
        name = SAMPLES[n % len(SAMPLES)]
        picture = Image.fromarray(getattr(data, name)()).convert("RGB").resize(SIZE)
        photos.append(folder / f"photo-{n:02d}.jpg")
        picture.save(photos[-1], quality=90)
    return photos


def settled_mib() -> float:
    """This process's memory with what earlier work freed given back: a fair start."""
    trim_heap()
    return resident_mib()


def look_at(qtbot: QtBot, window: MainWindow, job_id: str) -> None:
    """Select job `job_id` and wait until its pictures are shown and painted, as a person
    stopping on it sees them: the copies scaled for the screen are made at the first paint,
    and every measurement counts them."""
    with showing(qtbot, window, job_id):
        window.queue.select_id(job_id)
    after = window.preview.after
    assert after is not None and after.width() == SIZE[0]
    window.preview.repaint()


def test_twenty_12_mp_cutouts_viewed_then_two_thousand_switches(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    photos = twelve_megapixel_photos(tmp_path)
    start = settled_mib()
    queue, runner = window.queue, window.core.runner
    assert runner.idle is not None, "the window gives memory back between batches"
    runner.rest_after = 3600.0  # held, to be measured, until the queue is let rest below
    drop(window, photos)
    qtbot.waitUntil(lambda: "".join(queue.texts()).count("Done") == PAIRS, timeout=600_000)
    held = resident_mib()
    rested(qtbot, window)
    made = resident_mib()
    print(f"\nRSS after cutting out {PAIRS} 12 MP photos: {held:.0f} MiB, rested {made:.0f}")
    assert held - made >= RELEASED_MIB, "the cutouts' memory given back"

    current = queue.current_id()
    reviewed = [job_id for job_id in queue.ids() if job_id != current] + [current]
    for job_id in reviewed:  # each one looked at, as a person reviewing a shoot does
        look_at(qtbot, window, job_id)
    viewed = resident_mib()
    print(f"RSS after viewing {PAIRS} 12 MP cutouts: {viewed:.0f} MiB")

    warmed = viewed
    ids = queue.ids()
    for switch in range(1, SWITCHES + 1):  # an arrow key held down, with stops to look
        row = (switch * 7) % PAIRS
        if switch % LOOK_EVERY == 0:
            look_at(qtbot, window, ids[row])
        else:
            queue.select_only(row)
            QApplication.processEvents()
        if switch == SWITCHES // 4:
            warmed = settled_mib()
    switched = settled_mib()  # a leak stays once the heap's free pages are given back
    print(f"RSS after {SWITCHES:,} switches: {switched:.0f} MiB, a quarter in {warmed:.0f}")
    # Other tests in this process leave memory behind: the window's own part is measured.
    grown = viewed - start
    assert grown <= AFTER_VIEWING_MIB - BARE_MIB, f"{grown:.0f} MiB more after {PAIRS} cutouts"
    grew = switched - warmed
    assert grew <= GROWTH_MIB, f"{grew:.0f} MiB more over the last {SWITCHES * 3 // 4} switches"


IDLE_MIB = 450  # the window at rest over a history of HISTORY jobs, in a process of its own


def test_the_window_at_rest_over_a_thousand_jobs(home: Paths, tmp_path: Path) -> None:
    """In a fresh process: what other tests left in this one would count against it."""
    run = subprocess.run(
        [sys.executable, "-m", "tests.gui.resting", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ | {"QT_QPA_PLATFORM": "offscreen"},
        check=False,
    )
    assert run.returncode == 0, run.stderr
    resting = float(run.stdout.split()[-1])
    print(f"\nRSS at rest over 1,000 jobs, a thumbnail each and one shown: {resting:.0f} MiB")
    assert resting <= IDLE_MIB
