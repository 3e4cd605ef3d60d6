"""Product shots from the window: chosen in Settings, applied to what is dropped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox
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


def vase(path: Path) -> None:
    """A 480 x 640 photo of a drawn vase, 360 x 468 pixels, on a plain light backdrop."""
    picture = Image.new("RGB", (480, 640), (232, 228, 220))
    pen = ImageDraw.Draw(picture)
    pen.rectangle((190, 86, 290, 200), fill=(40, 70, 140))  # the neck, from y = 86
    pen.ellipse((60, 180, 420, 554), fill=(40, 70, 140))  # the body, to y = 554 (468 tall)
    picture.save(path, quality=95)


def test_a_square_canvas_keeps_the_subjects_pixels_and_presets_size_the_shot(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen: dict[str, object] = {"canvas": "square", "shadow": True, "shadow_strength": 70}

    def choose_and_save(dialog: SettingsDialog) -> int:
        for name, value in chosen.items():
            dialog.editors[name].set_value(value)
        dialog.save()
        return 1

    monkeypatch.setattr(SettingsDialog, "exec", choose_and_save)
    window.open_settings()
    source = tmp_path / "vase.jpg"
    vase(source)
    drop(window, [source])
    cutout = tmp_path / "vase-nobg.png"
    qtbot.waitUntil(cutout.exists, timeout=60_000)
    shot = decode(cutout.read_bytes())
    solid = np.asarray(shot)[..., 3] > 200
    rows = np.nonzero(solid.any(axis=1))[0]
    tall = rows[-1] - rows[0] + 1
    assert abs(tall - 468) <= 6, f"the vase keeps its 468 pixels ({tall})"
    assert shot.size[0] == shot.size[1] >= tall / 0.84, "the canvas grown around it"

    def pick_etsy(dialog: SettingsDialog) -> int:
        combo = dialog.editors["canvas"].widget
        assert isinstance(combo, QComboBox)
        combo.setCurrentIndex(combo.findText("Etsy", Qt.MatchFlag.MatchStartsWith))
        dialog.save()
        return 1

    monkeypatch.setattr(SettingsDialog, "exec", pick_etsy)
    window.open_settings()
    assert window.core.settings.canvas == "2700x2025"
    again = tmp_path / "again" / "vase.jpg"
    again.parent.mkdir()
    vase(again)
    drop(window, [again])
    etsy = again.parent / "vase-nobg.png"
    qtbot.waitUntil(etsy.exists, timeout=60_000)
    assert decode(etsy.read_bytes()).size == (2700, 2025)
