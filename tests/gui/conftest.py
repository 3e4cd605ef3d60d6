"""The real window over the real core, with its API on a free port."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from bgdesk.bootstrap import build_core, start_embedded_api
from bgdesk.core.app import Core
from bgdesk.gui.embedded_api import EmbeddedApi
from bgdesk.gui.main_window import MainWindow
from bgdesk.paths import Paths
from bgdesk.settings import Settings
from tests.processes import free_port


@pytest.fixture
def window(qtbot: QtBot, home: Paths) -> Iterator[MainWindow]:
    yield from opened(qtbot, build_core(home, Settings(api_port=free_port())))


def opened(qtbot: QtBot, core: Core) -> Iterator[MainWindow]:
    """The window over `core`, with its API, shown; closed with both after the test."""
    api = EmbeddedApi(core, start_embedded_api)
    api.start()
    core.start()
    main = MainWindow(core, api)
    qtbot.addWidget(main)
    main.show()
    yield main
    main.close()
    api.stop()
    core.close()


def drop(window: MainWindow, paths: list[Path]) -> None:
    """What a file manager does: drag in over the window, then drop."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    with warnings.catch_warnings():  # PySide flags the only constructor Qt 6 offers
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(
            QPoint(10, 10),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
    assert QApplication.sendEvent(window, enter) and enter.isAccepted()
    release = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    assert QApplication.sendEvent(window, release)


def record_opening(monkeypatch: pytest.MonkeyPatch, opens: bool = True) -> list[QUrl]:
    """What the window asks the system to open (a folder, a link), answered with `opens`."""
    asked: list[QUrl] = []

    def open_url(url: QUrl) -> bool:
        asked.append(url)
        return opens

    monkeypatch.setattr(QDesktopServices, "openUrl", open_url)
    return asked
