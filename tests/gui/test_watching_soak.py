"""An afternoon with a watched folder: thousands of clicks on Pause watching in the real
toolbar while photos keep arriving. The process lives, every photo is taken exactly once,
None's reference count never drops, and the threads and the memory stay where they were."""

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

    def click(n: int, arrive: bool = True) -> None:
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)
        if arrive and n % (CLICKS // PHOTOS) == 0:
            (inbox / f"p{n:05d}.jpg").write_bytes(small)
        if n % 50 == 0:
            QTest.qWait(20)  # let the watcher look now and then

    (inbox / "first.jpg").write_bytes(small)  # the first job starts the pools' threads
    qtbot.waitUntil(lambda: (inbox / "first-nobg.png").exists(), timeout=60_000)
    for n in range(100):  # settle caches and the allocator
        click(n, arrive=False)
    none_before, rss_before = sys.getrefcount(None), resident_mib()
    threads_before = threading.active_count()
    for n in range(CLICKS):
        click(n)
    if window.pause_watching.isChecked():
        window.pause_watching.trigger()  # end watching, not paused
    qtbot.waitUntil(lambda: len(list(inbox.glob("*-nobg.png"))) == PHOTOS + 1, timeout=120_000)
    QTest.qWait(1500)  # more looks: nothing is taken twice
    assert Job.select().count() == PHOTOS + 1
    # Losing references to None is what ends a process (see test_bindings); the rows and
    # thumbnails of the photos taken may hold a few more.
    assert sys.getrefcount(None) - none_before > -100
    assert threading.active_count() <= threads_before + 2
    assert resident_mib() - rss_before < 40
