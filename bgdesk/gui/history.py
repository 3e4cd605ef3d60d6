"""The window's history: the newest jobs first and a page more each time the list is scrolled
near its end, so a history of thousands starts as fast as one of ten; the filter searches the
whole history, not only the rows loaded, and a line under the list says how much is shown."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from bgdesk.core.app import Core
from bgdesk.core.queries import HistorySearch
from bgdesk.gui.queue import (
    CANCELLED_TEXT,
    EDITED_TEXT,
    FLAGGED_TEXT,
    STATUS_TEXT,
    WATCHED_TEXT,
    JobQueue,
)

PAGE = 200  # jobs loaded at a time
SEARCH_AFTER_MS = 150  # the filter searches the history this long after the last key


def search_for(text: str) -> HistorySearch:
    """The history search the filter's `text` means: the same words the rows show."""
    wanted = text.strip().lower()
    if not wanted:
        return HistorySearch()
    return HistorySearch(
        text=wanted,
        states=tuple(state for state, word in STATUS_TEXT.items() if wanted in word.lower()),
        flagged=wanted in FLAGGED_TEXT.lower(),
        edited=wanted in EDITED_TEXT.lower(),
        cancelled=wanted in CANCELLED_TEXT.lower(),
        watched=wanted in WATCHED_TEXT,
    )


class History(QObject):
    """Loads `queue` from the database a page at a time, for the filter's search."""

    def __init__(self, core: Core, queue: JobQueue) -> None:
        super().__init__(queue)
        self.core = core
        self.queue = queue
        self.search = HistorySearch()
        self.found = 0  # jobs the search finds in the whole history
        self._oldest: int | None = None  # the last page's oldest job, where the next begins
        self._ended = False
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_AFTER_MS)
        self._search_timer.timeout.connect(self.reload)
        queue.filter.textChanged.connect(lambda _: self._search_timer.start())
        queue.list.verticalScrollBar().valueChanged.connect(lambda _: self._scrolled())

    def reload(self) -> None:
        """Search again from the newest job: what the filter asks for now."""
        self.search = search_for(self.queue.filter.text())
        self._oldest, self._ended = None, False
        self._load_page()
        self.queue.follow_filter()
        self.tell()

    def more(self) -> None:
        """Load the next page of what the search finds that the list lacks (pages it holds
        already, from an earlier search, are passed over), unless all of it is loaded."""
        while not self._ended and not self._load_page():
            pass
        self.tell()

    def _load_page(self) -> int:
        """Load the search's next page; how many of its jobs the list did not hold."""
        if self._ended:
            return 0
        jobs = self.core.jobs.history(self.search, self._oldest, PAGE)
        added = sum(not self.queue.holds(job.public_id) for job in jobs)
        for job in jobs:
            self.queue.upsert(job)
        self._ended = len(jobs) < PAGE
        if jobs:
            self._oldest = jobs[-1].id
        return added

    def tell(self) -> None:
        """Say under the list how much of the history (or of what was found) is shown."""
        self.found = self.core.jobs.history_count(self.search)
        shown = self.queue.visible_count()
        searching = bool(self.search.text)
        if searching and shown == 0:
            note = "Nothing found in the history."
        elif shown >= self.found or self._ended:
            note = f"{shown:,} found" if searching else ""
        elif searching:
            note = f"{shown:,} of {self.found:,} found shown; scroll for more"
        else:
            note = f"{shown:,} of {self.found:,} jobs shown; scroll for more"
        self.queue.set_note(note)

    def _scrolled(self) -> None:
        if self._search_timer.isActive():  # the rows are the filter's, not the search's yet
            return
        bar = self.queue.list.verticalScrollBar()
        if bar.maximum() - bar.value() <= bar.pageStep():
            self.more()
