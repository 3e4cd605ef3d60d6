"""A history of 5,000 jobs in the real window: it starts with one page, loads the next as the
list is scrolled to its end, says how much is shown, and the filter finds the oldest job."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from bgdesk.bootstrap import build_core
from bgdesk.core.app import Core
from bgdesk.core.job_records import new_job_id
from bgdesk.gui.history import PAGE
from bgdesk.gui.main_window import MainWindow
from bgdesk.paths import Paths
from bgdesk.settings import Settings
from bgdesk.storage.dialects import writing
from bgdesk.storage.models import Job, JobSource, JobState
from tests.gui.conftest import WAIT, opened
from tests.gui.test_soak import resident_mib
from tests.processes import free_port

pytestmark = pytest.mark.slow  # the real window over the real core

JOBS = 5_000


def fill_history(core: Core, folder: Path) -> None:
    """JOBS failed jobs, the oldest named needle.jpg, the rest photo-N.jpg."""
    owner = core.accounts.owner()
    rows = []
    for n in range(JOBS):
        name = "needle.jpg" if n == 0 else f"photo-{n}.jpg"
        public_id = new_job_id()
        rows.append(
            {
                "public_id": public_id,
                "account": owner.id,
                "source": JobSource.CLI,
                "status": JobState.FAILED,
                "input_path": str(folder / name),
                "input_name": name,
                "output_path": str(folder / f"{public_id}.png"),
                "output_token": new_job_id(),
                "error_message": "The photo could not be read.",
            }
        )
    with writing():
        for start in range(0, JOBS, 500):
            Job.insert_many(rows[start : start + 500]).execute()


@pytest.fixture
def window(qtbot: QtBot, home: Paths, tmp_path: Path) -> Iterator[MainWindow]:
    """The window started over a history of JOBS jobs."""
    core = build_core(home, Settings(api_port=free_port()))
    fill_history(core, tmp_path)
    yield from opened(qtbot, core)


def test_a_long_history_loads_a_page_at_a_time_and_the_filter_searches_all_of_it(
    qtbot: QtBot, window: MainWindow
) -> None:
    queue = window.queue
    assert queue.list.count() == PAGE
    assert queue.note.text() == "200 of 5,000 jobs shown; scroll for more"
    assert queue.texts()[0].startswith(f"photo-{JOBS - 1}.jpg"), "newest first"

    bar = queue.list.verticalScrollBar()
    bar.setValue(bar.maximum())
    assert queue.list.count() == 2 * PAGE
    assert queue.note.text() == "400 of 5,000 jobs shown; scroll for more"
    assert queue.texts()[-1].startswith(f"photo-{JOBS - 2 * PAGE}.jpg"), "in order"

    queue.filter.setText("needle")
    qtbot.waitUntil(lambda: queue.note.text() == "1 found", timeout=WAIT)
    rows = zip(queue.texts(), hidden_rows(window), strict=True)
    (shown,) = [text for text, hidden in rows if not hidden]
    assert shown.startswith("needle.jpg\nFailed")

    queue.filter.setText("nothing like it")
    qtbot.waitUntil(lambda: queue.note.text() == "Nothing found in the history.", timeout=WAIT)
    queue.filter.clear()
    qtbot.waitUntil(lambda: queue.note.text().endswith("jobs shown; scroll for more"), timeout=WAIT)
    assert queue.visible_count() == queue.list.count() == 2 * PAGE + 1, "the needle stays"
    assert queue.note.text() == "401 of 5,000 jobs shown; scroll for more"
    load_to_the_end(window)
    assert queue.note.isHidden()


def load_to_the_end(window: MainWindow) -> None:
    """Scroll the list to its end until the whole history is loaded."""
    queue = window.queue
    bar = queue.list.verticalScrollBar()
    while queue.list.count() < JOBS:
        before = queue.list.count()
        QApplication.processEvents()  # the list lays its new rows out
        bar.setValue(bar.maximum())
        assert queue.list.count() > before, "each scroll to the end loads more"


def hidden_rows(window: MainWindow) -> list[bool]:
    return [window.queue.list.item(row).isHidden() for row in range(window.queue.list.count())]


def test_searching_and_scrolling_thousands_of_times_keeps_memory_flat(
    qtbot: QtBot, window: MainWindow
) -> None:
    queue, history = window.queue, window.history
    bar = queue.list.verticalScrollBar()

    def rounds(count: int) -> None:
        for n in range(count):
            queue.filter.setText(("needle", "photo-4", "failed", "")[n % 4])
            history.reload()  # what the filter's timer does once typing stops
            QApplication.processEvents()
            bar.setValue(bar.maximum())  # and a scroll to the end
        assert queue.visible_count() == queue.list.count(), "the filter cleared shows all"

    rounds(200)
    load_to_the_end(window)  # what the rounds' scrolls left (a busy machine lays out late)
    assert queue.list.count() == JOBS
    before = resident_mib()
    rounds(2_000)
    assert resident_mib() - before < 50, "a leak grows with every search"
