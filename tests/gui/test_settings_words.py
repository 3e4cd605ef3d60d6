"""The window's papercuts, each in the real window: sizes in megabytes, only this system's
devices, errors by the names a person sees, the model's description whole, Resume watching,
commands that need a cutout, the drop highlight, TIFF and BMP, and the selection restored."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtWidgets import QComboBox, QSpinBox
from pytestqt.qtbot import QtBot

from bgdesk.gui import settings_dialog
from bgdesk.gui.main_window import OPEN_FILTER, MainWindow
from bgdesk.gui.menus import Command
from bgdesk.gui.settings_dialog import SettingsDialog
from bgdesk.paths import Paths
from tests.conftest import photo
from tests.gui.conftest import WAIT, drag_in, drop, let_go, reopened

pytestmark = pytest.mark.slow  # the real window over the real core


def test_settings_speak_in_megabytes_devices_here_and_labels(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = SettingsDialog(window.core, window)
    qtbot.addWidget(dialog)
    dialog.show()
    size = dialog.editors["max_input_bytes"]
    assert size.label == "Largest file" and isinstance(size.widget, QSpinBox)
    assert size.widget.text() == "64 MB"
    size.widget.setValue(128)
    assert size.value() == 128 * 1024 * 1024
    size.set_value(67_108_865)  # set by hand in settings.json: kept unless changed
    assert size.widget.text() == "64 MB" and size.value() == 67_108_865

    devices = dialog.editors["device"].widget
    assert isinstance(devices, QComboBox)
    offered = [devices.itemData(i) for i in range(devices.count())]
    assert "auto" in offered and "cpu" in offered
    if sys.platform.startswith("linux"):
        assert "directml" not in offered and "coreml" not in offered, "not on this system"

    info = dialog.models.model_info
    qtbot.waitUntil(lambda: "Licence" in info.text(), timeout=30_000)
    assert info.height() >= info.sizeHint().height(), "every line of the description shown"

    said: list[str] = []
    monkeypatch.setattr(settings_dialog, "warn", lambda parent, title, text: said.append(text))
    dialog.editors["canvas"].set_value("huge")
    dialog.save()
    assert said and said[0].startswith("Product shot canvas must be square"), said
    assert "Setting canvas" not in said[0]


def test_watching_says_resume_and_commands_wait_for_a_cutout(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    needs = [Command.TOUCH_UP, Command.SAVE, Command.BACKGROUND_COLOUR]
    assert not any(window.menu_actions[c].isEnabled() for c in needs), "an empty window"
    assert not window.background_button.isEnabled()
    window.pause_watching.setChecked(True)
    assert window.pause_watching.text() == "Resume watching"
    window.pause_watching.setChecked(False)
    assert window.pause_watching.text() == "Pause watching"

    source = tmp_path / "coffee.jpg"
    source.write_bytes(photo("coffee", (64, 64)))
    drop(window, [source])
    qtbot.waitUntil(lambda: window.menu_actions[Command.TOUCH_UP].isEnabled(), timeout=WAIT)
    assert all(window.menu_actions[c].isEnabled() for c in needs)
    assert window.background_button.isEnabled()


def test_a_drag_over_the_window_is_highlighted_until_dropped(window: MainWindow) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile("/nowhere/photo.jpg")])
    assert not window.drop_highlight.isVisible()
    assert drag_in(window, mime)
    assert window.drop_highlight.isVisible()
    assert window.drop_highlight.geometry() == window.rect()
    let_go(window, QMimeData())
    assert not window.drop_highlight.isVisible()


def test_tiff_and_bmp_open_and_the_selection_comes_back_after_a_restart(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, home: Paths
) -> None:
    assert "*.tif" in OPEN_FILTER and "*.tiff" in OPEN_FILTER and "*.bmp" in OPEN_FILTER
    picture = Image.open(io.BytesIO(photo("coffee", (64, 64))))
    picture.save(tmp_path / "scan.tif")
    picture.save(tmp_path / "paint.bmp")
    drop(window, [tmp_path / "scan.tif", tmp_path / "paint.bmp"])
    queue = window.queue
    qtbot.waitUntil(lambda: "".join(queue.texts()).count("Done") == 2, timeout=WAIT)
    assert (tmp_path / "scan-nobg.png").is_file() and (tmp_path / "paint-nobg.png").is_file()

    older = queue.ids()[-1]
    queue.select_id(older)
    window.close()
    with reopened(qtbot, home) as again:
        assert again.queue.current_id() == older, "selected as it was left"
