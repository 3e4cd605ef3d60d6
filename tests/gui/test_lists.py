"""The list never acts on what its filter hides: type-ahead, the preview, saving and new photos
behind a filter, in the real window over the real core."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from bgdesk.gui.main_window import MainWindow
from tests.conftest import photo
from tests.gui.conftest import WAIT, drop, showing

pytestmark = pytest.mark.slow  # the real window over the real core

NAMES = ("astronaut", "coffee", "rocket")


def current_name(window: MainWindow) -> str:
    item = window.queue.list.currentItem()
    return "" if item is None else item.text().split(".")[0]


def test_type_ahead_the_preview_and_saving_follow_the_filter(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    photos = []
    for name in NAMES:
        photos.append(tmp_path / f"{name}.jpg")
        photos[-1].write_bytes(photo(name, (64, 64)))
    drop(window, photos)
    queue = window.queue
    qtbot.waitUntil(lambda: "".join(queue.texts()).count("Done") == 3, timeout=60_000)

    queue.select_id(queue.ids()[-1])  # astronaut, the first dropped
    rocket = next(j for j in queue.ids() if window.core.jobs.get(j).input_name == "rocket.jpg")
    with showing(qtbot, window, rocket):
        queue.filter.setText("rocket")
    assert current_name(window) == "rocket", "the preview follows the filter"
    queue.list.setFocus()
    qtbot.keyClick(queue.list, Qt.Key.Key_A)
    assert current_name(window) == "rocket", "type-ahead passes over the hidden astronaut"
    queue.list.selectAll()
    assert [job.input_name for job in window.job_actions.selected()] == ["rocket.jpg"]

    queue.filter.setText("no such photo")
    assert queue.current_id() == "" and not queue.list.selectedItems()
    qtbot.waitUntil(lambda: window.preview.after is None, timeout=WAIT)

    queue.filter.setText("rocket")
    later = tmp_path / "camera.jpg"
    later.write_bytes(photo("camera", (64, 64)))
    drop(window, [later])
    qtbot.waitUntil(lambda: "1 new (hidden by the filter)" in queue.note.text(), timeout=WAIT)
    assert current_name(window) == "rocket", "a hidden photo does not take the view"
    queue.note.linkActivated.emit("clear")
    assert queue.filter.text() == "" and queue.note.isHidden()

    interval = QApplication.keyboardInputInterval()
    QApplication.setKeyboardInputInterval(0)  # each key a search of its own
    queue.select_id(queue.ids()[-1])
    queue.list.setFocus()
    qtbot.keyClick(queue.list, Qt.Key.Key_C)
    assert current_name(window) == "camera", queue.texts()
    qtbot.keyClick(queue.list, Qt.Key.Key_C)
    QApplication.setKeyboardInputInterval(interval)
    assert current_name(window) == "coffee", "the same letter again goes on to the next"
