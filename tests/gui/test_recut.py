"""A doubtful cutout in the real window: the preview offers a stronger model where one is
installed, Shift+W has it cut the photo out again off the GUI thread (asking first when
touch-ups would go), and the row and preview follow. The stronger model is a tiny stand-in
for u2net, run for real."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from bgdesk.core.job_records import marks_of
from bgdesk.gui.main_window import MainWindow
from bgdesk.paths import Paths
from bgdesk.storage.models import Job
from tests.conftest import photo
from tests.gui.conftest import WAIT
from tests.gui.test_click_select import click
from tests.gui.test_touch_up import cut_out
from tests.tiny_models import store_with_stand_in

pytestmark = pytest.mark.slow  # the real window over the real core


@pytest.fixture
def home(home: Paths, tmp_path: Path, models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    """A home whose model store also holds a stand-in for u2net."""
    monkeypatch.setenv("BGDESK_MODELS_DIR", str(store_with_stand_in(tmp_path / "m", models_dir)))
    return Paths.from_env()


def doubtful_lawn(qtbot: QtBot, window: MainWindow, folder: Path) -> Job:
    """A lawn cut out with u2netp alone, which doubts it."""
    window.core.settings.default_model = "fast"
    window.core.apply_settings()
    lawn = folder / "grass.jpg"
    lawn.write_bytes(photo("grass", (320, 240)))
    return cut_out(qtbot, window, folder, path=lawn)


def test_shift_w_cuts_a_doubtful_cutout_out_again_with_the_stronger_model(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = doubtful_lawn(qtbot, window, tmp_path)
    assert job.model == "u2netp" and job.warning
    qtbot.waitUntil(
        lambda: "Shift+W cuts it out again with u2net" in window.preview.warning, timeout=WAIT
    )
    QTest.keyClick(window.preview, Qt.Key.Key_W)
    qtbot.waitUntil(lambda: window.preview.touching_up, timeout=WAIT)
    click(qtbot, window, 160, 120)
    window.touch_up.flush()
    assert marks_of(window.core.jobs.get(job.public_id)), "a touch-up that would go"
    asked: list[str] = []

    def agree(parent: object, title: str, text: str) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", agree)
    said: list[str] = []
    window.statusBar().messageChanged.connect(said.append)

    QTest.keyClick(window.preview, Qt.Key.Key_W, Qt.KeyboardModifier.ShiftModifier)

    assert asked == [
        "Cut grass.jpg out again with u2net? The touch-ups made on it are replaced by the "
        "new cutout."
    ]
    assert not window.preview.touching_up
    QTest.keyClick(window.preview, Qt.Key.Key_T)  # at once: it starts from the new cutout
    qtbot.waitUntil(lambda: window.preview.touching_up, timeout=WAIT)
    again = window.core.jobs.get(job.public_id)
    assert again.model == "u2net" and marks_of(again) == ()
    painting = window.preview.painting
    assert painting is not None and tuple(painting.marks) == ()
    window.touch_up.stop()
    qtbot.waitUntil(lambda: "grass.jpg was cut out again with u2net." in said, timeout=WAIT)
    qtbot.waitUntil(lambda: "Shift+W" not in window.preview.warning, timeout=WAIT)
    assert window.core.ledger.balance(window.core.accounts.owner()) == 99, "nothing charged"

    QTest.keyClick(window.preview, Qt.Key.Key_W, Qt.KeyboardModifier.ShiftModifier)
    assert window.statusBar().currentMessage() == (
        "No model that does better than u2net is installed; W fixes the cutout with clicks."
    )


def test_the_window_waits_for_no_recut_while_it_saves_and_touches_up(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = doubtful_lawn(qtbot, window, tmp_path)
    entered, gate, finished = threading.Event(), threading.Event(), threading.Event()
    recut = window.core.cutouts.recut

    def held(public_id: str, model: str | None = None) -> Job:
        entered.set()
        gate.wait(WAIT / 1000)
        try:
            return recut(public_id, model)
        finally:
            finished.set()

    monkeypatch.setattr(window.core.cutouts, "recut", held)
    QTest.keyClick(window.preview, Qt.Key.Key_W, Qt.KeyboardModifier.ShiftModifier)
    assert entered.wait(WAIT / 1000)
    window.job_actions.copy()  # saving first: not held up by the model's run
    QTest.keyClick(window.preview, Qt.Key.Key_T)
    assert not finished.is_set(), "Copy and Touch Up did not wait for the model's run"
    assert not window.preview.touching_up, "the touch-up starts from the new cutout"
    gate.set()
    qtbot.waitUntil(lambda: window.preview.touching_up, timeout=WAIT)
    assert window.core.jobs.get(job.public_id).model == "u2net"
