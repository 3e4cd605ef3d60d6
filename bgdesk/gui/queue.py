"""The queue: every job in the database as a filterable list with thumbnails."""

from __future__ import annotations

import bisect
import html
from collections.abc import Sequence

from PySide6.QtCore import QElapsedTimer, QItemSelectionModel, QMimeData, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bgdesk.core.job_records import CANCELLED
from bgdesk.gui.formatting import local_time
from bgdesk.gui.images import THUMBNAIL, ThumbnailLoader
from bgdesk.gui.wording import plain_words
from bgdesk.storage.models import Job, JobState

STATUS_TEXT = {
    JobState.QUEUED: "Waiting",
    JobState.RUNNING: "Working…",
    JobState.COMPLETED: "Done",
    JobState.FAILED: "Failed",
}
EDITED_TEXT = "Done ✎ edited"
FLAGGED_TEXT = "Done ⚠ check it"
CANCELLED_TEXT = "Cancelled"
WATCHED_TEXT = "watched folder"  # the source shown for a photo that arrived in one
JOB_ID = Qt.ItemDataRole.UserRole
CUTOUT = Qt.ItemDataRole.UserRole + 1  # the cutout's file, once there is one


def row_text(job: Job) -> str:
    when = local_time(job.created_at)
    status = STATUS_TEXT[JobState(job.status)]
    if job.has_output and job.edited:
        status = EDITED_TEXT
    elif job.has_output and job.warning:
        status = FLAGGED_TEXT
    elif job.error_code == CANCELLED:
        status = CANCELLED_TEXT
    elif job.status == JobState.FAILED and job.error_message:
        status = f"Failed: {plain_words(job.error_message)}"
    source = WATCHED_TEXT if job.watched_from else job.source
    return f"{job.input_name}\n{status} · {source} · {when}"


def row_tip(job: Job) -> str:
    """What a row's tooltip says: what went wrong or needs a look, the photo, the cutout."""
    lines = [plain_words(problem)] if (problem := job.error_message or job.warning) else []
    lines.append(f"Photo: {job.input_path}")
    if job.watched_from:
        lines.append(f"Arrived in the watched folder {job.watched_from}")
    if job.has_output:
        lines.append(f"Cutout: {job.output_path}")
    return "\n".join(lines)


class JobList(QListWidget):
    """The rows; finished ones can be dragged out to a file manager or another app, as
    their cutout files and, for one, the picture itself."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self._typed = ""
        self._since_typed = QElapsedTimer()

    def keyboardSearch(self, search: str) -> None:
        """Type-ahead over the rows the filter lets through only (Qt's own would select a
        hidden row): the next name starting with what was typed, from the current row on."""
        quick = self._since_typed.isValid() and (
            self._since_typed.elapsed() < QApplication.keyboardInputInterval()
        )
        self._since_typed.start()
        self._typed = self._typed + search if quick else search
        wanted = self._typed.lower()
        # From the current row: a longer prefix may still be it, a single key moves on past
        # it; with none current, from the top.
        current = self.currentRow()
        first = 0 if current < 0 else current if len(self._typed) > 1 else current + 1
        for offset in range(self.count()):
            row = (first + offset) % self.count()
            item = self.item(row)
            if not item.isHidden() and item.text().lower().startswith(wanted):
                self.setCurrentRow(row, QItemSelectionModel.SelectionFlag.ClearAndSelect)
                return

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list", "image/png"]

    def mimeData(self, items: Sequence[QListWidgetItem]) -> QMimeData:
        data = QMimeData()
        files = [str(item.data(CUTOUT)) for item in items if item.data(CUTOUT)]
        data.setUrls([QUrl.fromLocalFile(path) for path in files])
        if len(files) == 1:
            data.setImageData(QImage(files[0]))
        return data


class JobQueue(QWidget):
    """Jobs newest first; each row shows the picture, name, status, source and time."""

    selected = Signal(str)  # job id, or "" when nothing is selected

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = JobList()
        self.list.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.list.setSpacing(2)
        self.list.setAccessibleName("Jobs")
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter: name, status, source…")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Filter jobs")
        self.filter.textChanged.connect(lambda _: self._apply_filter())
        self.thumbnails = ThumbnailLoader(self)
        self.thumbnails.loaded.connect(self._set_thumbnail)
        # job id → the path its thumbnail was made from, and when that cutout was edited
        self._shown: dict[str, tuple[str, object]] = {}
        self._rows: dict[str, QListWidgetItem] = {}
        self._order: list[int] = []  # the rows' database ids, negated: ascending top to bottom
        self.note = QLabel()  # how much of the history is shown; new rows the filter hides
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.RichText)
        self.note.linkActivated.connect(lambda _: self.filter.clear())
        self.note.hide()
        self._history_note = ""
        self._hidden_new: set[str] = set()  # jobs added since, which the filter hides
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.filter)
        column.addWidget(self.list)
        column.addWidget(self.note)
        self.list.currentItemChanged.connect(lambda *_: self.selected.emit(self.current_id()))

    def current_id(self) -> str:
        item = self.list.currentItem()
        return "" if item is None else str(item.data(JOB_ID))

    def select_only(self, row: int) -> None:
        """Make `row` the current and only selected row."""
        self.list.setCurrentRow(row, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def selected_ids(self) -> list[str]:
        """The selected jobs the filter lets through, top to bottom."""
        shown = [item for item in self.list.selectedItems() if not item.isHidden()]
        rows = sorted(self.list.row(item) for item in shown)
        return [str(self.list.item(row).data(JOB_ID)) for row in rows]

    def ids(self) -> list[str]:
        return [str(self.list.item(row).data(JOB_ID)) for row in range(self.list.count())]

    def visible_ids(self) -> list[str]:
        """The rows the filter lets through, top to bottom."""
        rows = range(self.list.count())
        return [
            str(self.list.item(row).data(JOB_ID))
            for row in rows
            if not self.list.item(row).isHidden()
        ]

    def select_id(self, job_id: str) -> None:
        """Make job `job_id`'s row the current and only selected one."""
        self.select_only(self.list.row(self._rows[job_id]))

    def shows(self, job_id: str) -> bool:
        """Whether job `job_id` has a row the filter lets through."""
        item = self._rows.get(job_id)
        return item is not None and not item.isHidden()

    def holds(self, job_id: str) -> bool:
        return job_id in self._rows

    def visible_count(self) -> int:
        """Rows the filter lets through."""
        return sum(not self.list.item(row).isHidden() for row in range(self.list.count()))

    def set_note(self, text: str) -> None:
        """Say how much of the history is shown (`text`), or nothing when all of it is."""
        self._history_note = text
        self._show_note()

    def added_behind_filter(self, job_id: str) -> None:
        """Job `job_id` is new: when the filter hides it, say so under the list."""
        if not self.shows(job_id) and job_id in self._rows:
            self._hidden_new.add(job_id)
            self._show_note()

    def _show_note(self) -> None:
        lines = [html.escape(self._history_note)] if self._history_note else []
        if self._hidden_new:
            lines.append(
                f"{len(self._hidden_new):,} new (hidden by the filter) — "
                '<a href="clear">show all</a>'
            )
        self.note.setText("<br>".join(lines))
        self.note.setVisible(bool(lines))

    def follow_filter(self) -> None:
        """Nothing hidden stays selected: a hidden current row gives way to the first row the
        filter lets through, so the preview and the menus never act on what is not shown."""
        for item in self.list.selectedItems():
            if item.isHidden():
                item.setSelected(False)
        current = self.list.currentItem()
        if current is not None and not current.isHidden():
            return
        visible = (row for row in range(self.list.count()) if not self.list.item(row).isHidden())
        row = next(visible, -1)
        if row < 0:
            self.list.setCurrentRow(-1, QItemSelectionModel.SelectionFlag.Clear)
        else:
            self.select_only(row)

    def texts(self) -> list[str]:
        return [self.list.item(row).text() for row in range(self.list.count())]

    def upsert(self, job: Job) -> None:
        """Add `job` at the top, or bring its row up to date; a deleted job leaves."""
        if job.output_deleted_at is not None:
            self.remove(job.public_id)
            return
        item = self._rows.get(job.public_id)
        if item is None:
            item = QListWidgetItem()
            item.setData(JOB_ID, job.public_id)
            self._rows[job.public_id] = item
            self.list.insertItem(self._position_for(job), item)
        text = row_text(job)
        item.setText(text)
        item.setToolTip(row_tip(job))
        item.setHidden(not self._matches(text))
        item.setData(CUTOUT, job.output_path if job.has_output else None)
        picture = job.output_path if job.has_output else job.input_path
        if self._shown.get(job.public_id) != (picture, job.edited_at):
            self._shown[job.public_id] = (picture, job.edited_at)
            self.thumbnails.request(job.public_id, picture)

    def _position_for(self, job: Job) -> int:
        """Newest first by id, so jobs found late (another process's, an older page of the
        history) still sort right."""
        row = bisect.bisect_left(self._order, -job.id)
        self._order.insert(row, -job.id)
        return row

    def remove(self, job_id: str) -> None:
        item = self._rows.pop(job_id, None)
        if item is not None:
            row = self.list.row(item)
            del self._order[row]
            self.list.takeItem(row)
            self._shown.pop(job_id, None)
            if job_id in self._hidden_new:
                self._hidden_new.discard(job_id)
                self._show_note()

    def _set_thumbnail(self, job_id: str, path: str, image: QImage) -> None:
        item = self._rows.get(job_id)
        if item is not None and self._shown.get(job_id, ("", None))[0] == path:
            item.setIcon(QIcon(QPixmap.fromImage(image)))

    def _matches(self, text: str) -> bool:
        wanted = self.filter.text().strip().lower()
        return not wanted or wanted in text.lower()

    def _apply_filter(self) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            item.setHidden(not self._matches(item.text()))
        self._hidden_new = {job_id for job_id in self._hidden_new if not self.shows(job_id)}
        self._show_note()
        self.follow_filter()

    def close_loader(self) -> None:
        self.thumbnails.close()
