"""An afternoon with a watched folder: thousands of clicks on Pause watching in the real
toolbar while photos keep arriving. The process lives, every photo is taken exactly once,
None's reference count never drops, the threads stay where they were and the memory does
not climb round after round."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QToolButton
from pytestqt.qtbot import QtBot

from bgdesk.gui.main_window import MainWindow
from bgdesk.storage.models import Job
from tests.conftest import photo
from tests.gui.test_soak import resident_mib

CLICKS = 3000
PHOTOS = 30
ROUNDS = 3


@pytest.mark.slow
def test_thousands_of_pauses_while_photos_arrive(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    window.core.settings.watch_folders = str(inbox)
    window.watched.apply()
    window._show_watching()
    QTest.qWait(50)
    button = window.toolbar.widgetForAction(window.pause_watching)
    assert isinstance(button, QToolButton) and button.isVisible()
    small = photo("coffee", (120, 80))

    def click(n: int, name: str) -> None:
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)
        if n % (CLICKS // PHOTOS) == 0:
            (inbox / f"{name}{n:05d}.jpg").write_bytes(small)
        if n % 50 == 0:
            QTest.qWait(20)  # let the watcher look now and then

    def afternoon(name: str) -> float:
        """One round of clicks and arriving photos; the memory it added, in MiB."""
        before = resident_mib()
        taken = Job.select().count() + PHOTOS
        for n in range(CLICKS):
            click(n, name)
        if window.pause_watching.isChecked():
            window.pause_watching.trigger()  # end watching, not paused
        qtbot.waitUntil(lambda: len(list(inbox.glob("*-nobg.png"))) == taken, timeout=120_000)
        QTest.qWait(1500)  # more looks: nothing is taken twice
        assert Job.select().count() == taken
        return resident_mib() - before

    # The models stay loaded between rounds, as in `bgdesk watch`: the window's release after
    # 3 s of rest falls inside some rounds and not others, and would be measured as theirs.
    window.core.runner.idle = None
    window.core.ledger.grant(window.core.accounts.owner(), PHOTOS * (ROUNDS + 1))
    (inbox / "first.jpg").write_bytes(small)  # the first job starts the pools' threads
    qtbot.waitUntil(lambda: (inbox / "first-nobg.png").exists(), timeout=60_000)
    afternoon("warm")  # settles caches and the model's sessions for one and two at a time
    none_before, threads_before = sys.getrefcount(None), threading.active_count()
    added = sorted(afternoon(f"r{round}-") for round in range(ROUNDS))
    # Losing references to None is what ends a process (see test_bindings); the rows and
    # thumbnails of the photos taken may hold a few more.
    assert sys.getrefcount(None) - none_before > -100
    assert threading.active_count() <= threads_before + 2
    # A leak adds memory in every round; the allocator may take a new arena once, in any.
    assert added[ROUNDS // 2] < 10, added
