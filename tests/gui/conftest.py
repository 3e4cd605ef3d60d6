"""The real window over the real core, with its API on a free port."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from bgdesk.bootstrap import build_core, start_embedded_api
from bgdesk.core.app import Core
from bgdesk.gui.embedded_api import EmbeddedApi
from bgdesk.gui.main_window import MainWindow
from bgdesk.paths import Paths
from bgdesk.settings import Settings
from tests.conftest import photo
from tests.processes import free_port

WAIT = 60_000  # ms: how long a busy machine may take over what a test waits for


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
    main.activateWindow()  # a window's shortcuts work only once it is the active one
    qtbot.waitUntil(main.isActiveWindow, timeout=WAIT)
    yield main
    main.close()
    api.stop()
    core.close()


def drag_in(window: MainWindow, mime: QMimeData) -> bool:
    """What a file manager does first: drag `mime` in over the window; whether it took it."""
    with warnings.catch_warnings():  # PySide flags the only constructor Qt 6 offers
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(
            QPoint(10, 10),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
    return QApplication.sendEvent(window, enter) and enter.isAccepted()


def let_go(window: MainWindow, mime: QMimeData) -> None:
    """Drop `mime` on the window, where it was dragged in."""
    release = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    assert QApplication.sendEvent(window, release)


def drop(window: MainWindow, paths: list[Path]) -> None:
    """What a file manager does: drag in over the window, then drop."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    assert drag_in(window, mime)
    let_go(window, mime)


def rested(qtbot: QtBot, window: MainWindow) -> None:
    """Have the window give back its model's memory now, as it does once its queue has
    rested a while, and wait until it has: a soak measured across that moment would see it."""
    runner = window.core.runner
    runner.rest_after = 0.0
    qtbot.waitUntil(lambda: runner.rested_at == runner.executions > 0, timeout=WAIT)


@contextmanager
def showing(qtbot: QtBot, window: MainWindow, job_id: str) -> Iterator[None]:
    """Wait, after what the block does, until job `job_id`'s pictures are read and shown:
    the picture shown before may be of any size, and is not a sign."""
    assert window.queue.current_id() != job_id, "a row already current reads nothing"
    with qtbot.waitSignal(
        window.preview_loader.loaded,
        timeout=WAIT,
        check_params_cb=lambda read, *_: read == job_id,
    ):
        yield
    assert window.queue.current_id() == job_id


def cut_out_one(qtbot: QtBot, window: MainWindow, folder: Path, name: str = "coffee") -> Path:
    """Drop a small photo called `name` and wait for its cutout; the photo's path."""
    source = folder / f"{name}.jpg"
    source.write_bytes(photo(name, (64, 64)))
    drop(window, [source])
    qtbot.waitUntil(lambda: "Done" in "".join(window.queue.texts()), timeout=60_000)
    return source


@contextmanager
def reopened(qtbot: QtBot, home: Paths) -> Iterator[MainWindow]:
    """Another start of the window over `home` (its API not started), closed after."""
    core = build_core(home, Settings())
    again = MainWindow(core, EmbeddedApi(core, start_embedded_api))
    qtbot.addWidget(again)
    again.show()
    try:
        yield again
    finally:
        again.close()
        core.close()


def record_opening(monkeypatch: pytest.MonkeyPatch, opens: bool = True) -> list[QUrl]:
    """What the window asks the system to open (a folder, a link), answered with `opens`."""
    asked: list[QUrl] = []

    def open_url(url: QUrl) -> bool:
        asked.append(url)
        return opens

    monkeypatch.setattr(QDesktopServices, "openUrl", open_url)
    return asked


def answer_with(window: MainWindow, button: str) -> None:
    """Click `button` on the notice the window shows."""
    notice = window.notices.current
    assert isinstance(notice, QMessageBox) and notice.isVisible()
    chosen = [b for b in notice.buttons() if b.text() == button]
    assert chosen, [b.text() for b in notice.buttons()]
    chosen[0].click()
