"""Settings → model: what each model costs and gives, its speed measured here, a confirmation
for a non-commercial licence, and a failed install that offers the way around."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
)
from pytestqt.qtbot import QtBot

from bgdesk.gui.main_window import MainWindow
from bgdesk.gui.settings_dialog import SettingsDialog
from bgdesk.inference.models import ModelStore
from bgdesk.inference.speed import ModelSpeeds
from bgdesk.request.formats import FORMATS
from bgdesk.settings import Settings
from tests.gui.conftest import WAIT

pytestmark = pytest.mark.slow  # the real window over the real core


def test_each_model_says_size_speed_here_quality_and_licence(
    qtbot: QtBot, window: MainWindow
) -> None:
    dialog = SettingsDialog(window.core, window)
    qtbot.addWidget(dialog)
    models = dialog.models.model
    assert models.currentData() == "best"
    assert models.currentText() == "Best: the installed models that measured best (now u2netp)"
    assert models.itemText(models.findData("fast")) == "Fast: the fastest model alone (now u2netp)"
    qtbot.waitUntil(lambda: "a photo here" in dialog.models.model_info.text(), timeout=30_000)
    text = dialog.models.model_info.text()
    assert text.startswith("4.4 MB, installed; about ") and "Licence: Apache-2.0." in text
    assert "Small and fast" in text and not dialog.models.install.isVisible()
    seconds = ModelSpeeds(window.core.paths.model_speeds).get("u2netp")
    assert seconds is not None and 0 < seconds < 60, "measured once and remembered"
    dialog.models.model.setCurrentIndex(dialog.models.model.findData("bria-rmbg"))
    text = dialog.models.model_info.text()
    assert "977 MB, not installed; speed measured once installed" in text
    assert "non-commercial" in text and dialog.models.install.isVisibleTo(dialog)


def test_choosing_a_non_commercial_model_asks_first(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ModelStore, "installed", lambda store: ["u2netp", "bria-rmbg"])
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    asked: list[str] = []

    def question(parent: object, title: str, text: str) -> QMessageBox.StandardButton:
        asked.append(text)
        return answers[len(asked) - 1]

    monkeypatch.setattr(QMessageBox, "question", question)
    dialog = SettingsDialog(window.core, window)
    qtbot.addWidget(dialog)
    dialog.models.model.setCurrentIndex(dialog.models.model.findData("bria-rmbg"))
    dialog.save()
    assert "CC BY-NC 4.0" in asked[0] and window.core.settings.default_model == "best"
    dialog.save()
    assert window.core.settings.default_model == "bria-rmbg"
    assert Settings.load(window.core.paths.settings_file).default_model == "bria-rmbg"


def test_a_failed_install_says_why_and_offers_to_import(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[QMessageBox] = []

    def answer(box: QMessageBox) -> int:
        shown.append(box)
        return 0

    monkeypatch.setattr(QMessageBox, "exec", answer)
    dialog = SettingsDialog(window.core, window)
    qtbot.addWidget(dialog)
    dialog.models.model.setCurrentIndex(dialog.models.model.findData("silueta"))

    def refuse(store: ModelStore, name: str, progress: object = None) -> None:
        from bgdesk.errors import ModelDownloadFailed

        raise ModelDownloadFailed(
            "Could not download it: no route to host. Download "
            "silueta.onnx by other means and run `bgdesk models import "
            "FILE`."
        )

    monkeypatch.setattr(ModelStore, "pull", refuse)
    dialog.models.pull_selected()
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT)
    notice = shown[0]
    assert notice.text() == (
        "silueta could not be downloaded: Could not download it: no route to host."
    )
    assert "`bgdesk models import FILE`" in notice.detailedText()
    assert [b.text() for b in notice.buttons() if b.text() == "Import a File…"]


def test_the_dialog_is_made_from_the_declarations(qtbot: QtBot, window: MainWindow) -> None:
    dialog = SettingsDialog(window.core, window)
    qtbot.addWidget(dialog)
    assert list(dialog.editors) == Settings.editable()
    assert {"api_port", "api_enabled", "max_megapixels"} <= set(dialog.editors)
    port = dialog.editors["api_port"].widget
    assert isinstance(port, QSpinBox) and (port.minimum(), port.maximum()) == (1, 65535)
    assert port.toolTip() == Settings.declared("api_port").metadata["help"]
    timeout = dialog.editors["url_fetch_timeout"].widget
    assert isinstance(timeout, QDoubleSpinBox)
    timeout.setValue(5.5)
    formats = dialog.editors["output_format"].widget
    assert isinstance(formats, QComboBox)
    offered = {formats.itemData(i): formats.itemText(i) for i in range(formats.count())}
    assert offered == {spec.name: spec.label for spec in FORMATS.values()}
    formats.setCurrentIndex(formats.findData("webp"))
    folder = dialog.editors["output_dir"]
    assert [b.text() for b in folder.widget.findChildren(QPushButton)] == ["&Browse…"]
    line = folder.widget.findChild(QLineEdit)
    assert line is not None and line.placeholderText() == "Beside each photo"
    line.setText(" /tmp/cutouts ")
    dialog.save()
    saved = Settings.load(window.core.paths.settings_file)
    assert (saved.url_fetch_timeout, saved.output_format, saved.output_dir) == (
        5.5,
        "webp",
        "/tmp/cutouts",
    )
    assert window.core.fetcher.limits.timeout == 5.5, "applied at once"
