"""Product shots from the window: chosen in Settings, applied to what is dropped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from bgdesk.gui.main_window import MainWindow
from bgdesk.gui.settings_dialog import SettingsDialog
from bgdesk.settings import Settings
from tests.conftest import decode, photo
from tests.gui.conftest import drop

pytestmark = pytest.mark.slow  # the real window over the real core


def test_a_square_shot_with_a_shadow_chosen_in_settings(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def choose_and_save(dialog: SettingsDialog) -> int:
        dialog.editors["canvas"].set_value("Square ")
        dialog.editors["padding"].set_value(10)
        dialog.editors["shadow"].set_value(True)
        dialog.save()
        return 1

    monkeypatch.setattr(SettingsDialog, "exec", choose_and_save)
    window.open_settings()
    saved = Settings.load(window.core.paths.settings_file)
    assert (saved.canvas, saved.padding, saved.shadow) == ("square", 10, True)

    source = tmp_path / "coffee.jpg"
    source.write_bytes(photo("coffee"))
    drop(window, [source])
    cutout = tmp_path / "coffee-nobg.png"
    qtbot.waitUntil(cutout.exists, timeout=60_000)
    shot = decode(cutout.read_bytes())
    assert shot.width == shot.height and shot.mode == "RGBA"
    alpha = np.asarray(shot)[..., 3]
    assert alpha[0, 0] == 0 and alpha[shot.height // 2, shot.width // 2] > 200
