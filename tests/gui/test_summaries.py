"""What did not become a job is said whole and can be added again; batches sum up everything,
refusals and photos finished from last time included — in the real window over the real core."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from bgdesk.bootstrap import build_core, start_embedded_api
from bgdesk.gui.embedded_api import EmbeddedApi
from bgdesk.gui.main_window import MainWindow
from bgdesk.paths import Paths
from bgdesk.request.options import OutputOptions
from bgdesk.settings import Settings
from bgdesk.storage.models import CreditEntry, Job, JobSource
from tests.conftest import photo
from tests.gui.conftest import WAIT, drop
from tests.processes import free_port

pytestmark = pytest.mark.slow  # the real window over the real core


def photos(folder: Path, count: int, prefix: str = "photo") -> list[Path]:
    made = []
    for n in range(count):
        made.append(folder / f"{prefix}-{n}-with-a-rather-long-name-from-a-camera-roll.jpg")
        made[-1].write_bytes(photo("coffee", (64, 64)))
    return made


def test_a_batch_counts_the_photos_refused_for_credits_and_the_reasons_wrap(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    CreditEntry.delete().execute()
    window.core.ledger.grant(window.core.accounts.owner(), 2, "two to spend")
    drop(window, photos(tmp_path, 5))
    status = window.batch_status
    qtbot.waitUntil(lambda: status.label.text().startswith("Batch finished"), timeout=WAIT)
    assert status.label.text() == "Batch finished: 2 done, 3 not added"

    panel = window.refusals
    assert panel.title.text() == "3 items not added" and panel.items.count() == 1
    line = panel.items.item(0)
    assert line.text().startswith("3 items (photo-2-with-a-rather-long-name")
    assert "photo-4" in line.toolTip(), "every name in the tooltip"
    window.resize(900, 600)
    panel_width = panel.items.viewport().width()
    shown = panel.items.visualItemRect(line)
    assert shown.width() <= panel_width, "no sideways scrolling"
    one_line = panel.items.fontMetrics().height()
    assert shown.height() > 2 * one_line, "the reason wrapped onto more lines, whole"
    assert not panel.items.horizontalScrollBar().isVisible()


def test_a_refusal_before_the_first_photo_counts_in_its_batch(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.jpg"
    notes.write_text("not a photo")
    drop(window, [notes, *photos(tmp_path, 1)])
    status = window.batch_status
    qtbot.waitUntil(lambda: status.label.text().startswith("Batch finished"), timeout=WAIT)
    assert status.label.text() == "Batch finished: 1 done, 1 not added"


def test_photos_refused_for_the_device_are_said_plainly_and_added_again(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    window.core.settings.device = "cuda"  # there is no NVIDIA GPU here
    window.core.apply_settings()
    drop(window, photos(tmp_path, 2))
    panel = window.refusals
    qtbot.waitUntil(lambda: panel.items.count() == 1, timeout=WAIT)
    said = panel.items.item(0).text()
    assert "cannot run models on NVIDIA GPU (CUDA)" in said
    assert "ExecutionProvider" not in said and "ONNX" not in said, "no runtime internals"
    notice = window.notices.current
    assert notice is not None and notice.isVisible()
    assert "device in Settings" in notice.informativeText()
    assert "model" not in notice.informativeText(), "no model to install"
    assert "CUDAExecutionProvider" in notice.detailedText()
    notice.close()
    assert panel.again_button.isVisible() and panel.again_button.text() == "Add 2 Photos Again"

    window.core.settings.device = "cpu"
    window.core.apply_settings()
    # Laid out, to be clicked
    qtbot.waitUntil(lambda: not panel.again_button.visibleRegion().isEmpty(), timeout=WAIT)
    qtbot.mouseClick(panel.again_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "".join(window.queue.texts()).count("Done") == 2, timeout=WAIT)
    assert not panel.isVisible() and Job.select().count() == 2


def test_photos_left_from_last_time_finish_with_progress_and_a_summary(
    qtbot: QtBot, home: Paths, tmp_path: Path
) -> None:
    core = build_core(home, Settings(api_port=free_port()))
    owner = core.accounts.owner()
    for source in photos(tmp_path, 3):
        core.intake.submit_file(owner, source, JobSource.DESKTOP, OutputOptions())
    # The three wait, as after a window closed with them queued; the window opens before the
    # runner takes them, so none can end unseen.
    window = MainWindow(core, EmbeddedApi(core, start_embedded_api))
    qtbot.addWidget(window)
    window.show()
    try:
        assert window.statusBar().currentMessage() == "Finishing 3 photos from last time"
        status = window.batch_status
        assert status.isVisible() and status.bar.maximum() == 3
        core.start()
        qtbot.waitUntil(lambda: status.label.text().startswith("Batch finished"), timeout=WAIT)
        assert status.label.text() == "Batch finished: 3 done"
    finally:
        window.close()
        core.close()
