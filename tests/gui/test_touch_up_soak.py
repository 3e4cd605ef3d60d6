"""An afternoon of touching up: thousands of real brush strokes on a cutout in the real window,
with undo and redo, mask views, the faint photo and Space+drag panning among them, and every
change saved as it goes. The process lives, what is
shown is exactly the model's mask with the strokes in force, the saved job agrees, and the
threads and the memory stay where they were."""

from __future__ import annotations

import gc
import random
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from bgdesk.core.job_records import marks_of
from bgdesk.gui.main_window import MainWindow
from bgdesk.gui.preview import Brush
from bgdesk.inference.strokes import lay
from bgdesk.storage.models import Job
from tests.gui.conftest import rested
from tests.gui.test_soak import resident_mib
from tests.gui.test_touch_up import cut_out, on_screen, touch_up

STROKES = 2000
CTRL = Qt.KeyboardModifier.ControlModifier
KEYS = (  # what each roll of the dice below a bound presses
    (0.15, Qt.Key.Key_Z, CTRL),  # undo
    (0.25, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier),  # redo
    (0.30, Qt.Key.Key_F, Qt.KeyboardModifier.NoModifier),  # the next mask view
    (0.33, Qt.Key.Key_P, Qt.KeyboardModifier.NoModifier),  # the faint photo on or off
)
HAND_DRAGS = 0.38  # rolls from the last key's bound to this one pan with Space held


def touching_up_a_rested_window(qtbot: QtBot, window: MainWindow, folder: Path) -> Job:
    """A cutout being touched up, the model's memory given back before: nothing moves the
    memory measured but the touch-up."""
    job = cut_out(qtbot, window, folder)
    rested(qtbot, window)
    touch_up(qtbot, window)
    return job


@pytest.mark.slow
def test_thousands_of_strokes_undos_and_redos(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    job = touching_up_a_rested_window(qtbot, window, tmp_path)
    view = window.preview
    painting = view.painting
    assert painting is not None
    base = painting.base.copy()
    chance = random.Random(3)

    def stroke() -> None:
        x, y = chance.uniform(10, 246), chance.uniform(10, 246)
        view.set_brush(Brush(chance.random() < 0.5, chance.uniform(3, 40), chance.random()))
        QTest.mousePress(view, Qt.MouseButton.LeftButton, pos=on_screen(window, x, y))
        for _ in range(3):
            x, y = x + chance.uniform(-15, 15), y + chance.uniform(-15, 15)
            QTest.mouseMove(view, on_screen(window, x, y))
        QTest.mouseRelease(view, Qt.MouseButton.LeftButton, pos=on_screen(window, x, y))

    def hand_drag() -> None:
        start = on_screen(window, chance.uniform(10, 246), chance.uniform(10, 246))
        QTest.keyPress(view, Qt.Key.Key_Space)
        QTest.mousePress(view, Qt.MouseButton.LeftButton, pos=start)
        QTest.mouseMove(view, start + QPoint(chance.randint(-30, 30), chance.randint(-30, 30)))
        QTest.mouseRelease(view, Qt.MouseButton.LeftButton, pos=start)
        QTest.keyRelease(view, Qt.Key.Key_Space)

    views_seen: set[object] = set()

    def act(n: int) -> None:
        roll = chance.random()
        pressed = next(((key, held) for below, key, held in KEYS if roll < below), None)
        if pressed is not None:
            QTest.keyClick(view, *pressed)
            views_seen.add(view.mask_view)
        elif roll < HAND_DRAGS:
            hand_drag()  # pans; paints nothing
        else:
            stroke()
        if n % 100 == 0:
            QTest.qWait(350)  # long enough for a save now and then

    for n in range(200):  # settle caches and the allocator
        act(n)
    gc.collect()  # garbage left by earlier tests would move None's count under this one
    none_before, rss_before = sys.getrefcount(None), resident_mib()
    threads_before = threading.active_count()
    for n in range(STROKES):
        act(n)
    window.touch_up.flush()
    shown = base.copy()
    lay(shown, painting.strokes)
    assert np.array_equal(painting.mask, shown), "what is shown is what the strokes make"
    assert marks_of(window.core.jobs.get(job.public_id)) == tuple(painting.marks)
    assert len(painting.strokes) > 500
    assert len(views_seen) == 3, "every mask view was shown among the strokes"
    gc.collect()
    # A binding that lost a reference per call would drift by tens of thousands here (each
    # stroke makes dozens of void Qt calls); a sound one moves by a few hundred at most.
    assert sys.getrefcount(None) - none_before > -1000
    assert threading.active_count() <= threads_before + 1
    assert resident_mib() - rss_before < 40
