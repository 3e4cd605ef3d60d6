"""When no file manager or browser can be opened the window says so and offers to copy the path
or link; where each cutout went is on its row and in the status bar after a batch."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from bgdesk.gui.main_window import MainWindow
from bgdesk.gui.menus import Command
from tests.gui.conftest import WAIT, answer_with, cut_out_one, record_opening

pytestmark = pytest.mark.slow  # the real window over the real core


def test_nothing_to_open_with_is_said_and_the_path_or_link_offered(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cut_out_one(qtbot, window, tmp_path)
    job = window.selected_job()
    assert job is not None and job.has_output
    cutout = Path(job.output_path)

    item = window.queue.list.currentItem()
    assert item is not None and f"Cutout: {cutout}" in item.toolTip()
    assert window.statusBar().currentMessage() == f"1 cutout saved in {cutout.parent}"

    asked = record_opening(monkeypatch, opens=False)
    window.menu_actions[Command.SHOW_IN_FOLDER].trigger()
    assert asked[-1].toLocalFile() == str(cutout.parent)
    notice = window.notices.current
    assert notice is not None and "No file manager could be opened" in notice.text()
    answer_with(window, "Copy Path")
    assert QGuiApplication.clipboard().text() == str(cutout.parent)
    qtbot.waitUntil(lambda: notice is not None and not notice.isVisible(), timeout=WAIT)

    window.menu_actions[Command.API_DOCUMENTATION].trigger()
    docs = f"{window.api.status.url}/docs"
    assert asked[-1].toString() == docs
    notice = window.notices.current
    assert notice is not None and "No web browser could be opened" in notice.text()
    answer_with(window, "Copy Link")
    assert QGuiApplication.clipboard().text() == docs
    qtbot.waitUntil(lambda: notice is not None and not notice.isVisible(), timeout=WAIT)

    window.menu_actions[Command.COPY_PATH].trigger()
    assert QGuiApplication.clipboard().text() == str(cutout)
    assert window.statusBar().currentMessage() == f"Copied {cutout}"

    asked = record_opening(monkeypatch)
    window.menu_actions[Command.SHOW_IN_FOLDER].trigger()
    assert len(asked) == 1, "asked to open"
    assert notice is window.notices.current and not notice.isVisible(), "opened: nothing said"
