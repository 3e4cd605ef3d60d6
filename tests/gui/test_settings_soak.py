"""An afternoon of trying choices in Settings: thousands of steps through the models and the
quality presets with the keyboard, and of ticking the edge clean-up on and off. The dialog
keeps describing what is chosen, the process lives, and None's reference count and the
memory stay where they were."""

from __future__ import annotations

import random
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QComboBox
from pytestqt.qtbot import QtBot

from bgdesk.gui.main_window import MainWindow
from bgdesk.gui.settings_dialog import SettingsDialog
from bgdesk.settings import Settings
from tests.gui.test_soak import resident_mib

ROUNDS = 3000  # of one model step and one tick each


@pytest.mark.slow
def test_thousands_of_choices_in_settings(qtbot: QtBot, window: MainWindow) -> None:
    dialog = SettingsDialog(window.core, window)
    qtbot.addWidget(dialog)
    dialog.show()
    models = dialog.models.model
    clean = dialog.editors["decontaminate"].widget
    assert isinstance(models, QComboBox) and isinstance(clean, QCheckBox)
    chooser = random.Random(7)
    seen: set[str] = set()

    def round_of_choices() -> None:
        models.setFocus()
        key = Qt.Key.Key_Down if chooser.random() < 0.5 else Qt.Key.Key_Up
        QTest.keyClick(models, key)
        seen.add(str(models.currentData()))
        assert dialog.models.model_info.text(), "every choice is described"
        QTest.mouseClick(clean, Qt.MouseButton.LeftButton)
        dialog.repaint()

    # The first look at an installed model measures its speed in the background (loading
    # it into ONNX Runtime); that memory is the model's, so it is let finish first.
    speeds = dialog.models.speeds
    qtbot.waitUntil(lambda: speeds.get("u2netp") is not None, timeout=60_000)
    for _ in range(200):  # settle caches and the allocator
        round_of_choices()
    none_before, rss_before = sys.getrefcount(None), resident_mib()
    for _ in range(ROUNDS):
        round_of_choices()
    QTest.qWait(50)
    assert seen >= {"best", "fast", "u2netp", "u2net", "bria-rmbg"}, seen
    assert abs(sys.getrefcount(None) - none_before) < 100
    assert resident_mib() - rss_before < 40
    models.setCurrentIndex(models.findData("fast"))
    clean.setChecked(False)
    dialog.save()
    saved = Settings.load(window.core.paths.settings_file)
    assert (saved.default_model, saved.decontaminate) == ("fast", False)
    assert window.core.engine.decontaminate is False, "applied at once"
