"""The queue: every job in the database as a filterable list with thumbnails."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QImageReader, QPainter, QPixmap
from PySide6.QtWidgets import QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from bgdesk.gui.formatting import local_time
from bgdesk.storage.models import Job

STATUS_TEXT = {"queued": "Waiting", "running": "Working…", "completed": "Done",
               "failed": "Failed"}
THUMBNAIL = 56
JOB_ID = Qt.ItemDataRole.UserRole


def row_text(job: Job) -> str:
    when = local_time(job.created_at)
    status = STATUS_TEXT[job.status]
    if job.status == "failed" and job.error_message:
        status = f"Failed: {job.error_message}"
    return f"{job.input_name}\n{status} · {job.source} · {when}"


def thumbnail(path: str, side: int = THUMBNAIL) -> QImage:
    """A `side`-pixel square image of the picture at `path`, over a checkerboard.

    Reads only as many pixels as the thumbnail needs (JPEG decodes at a reduced scale), and
    uses QImage alone, which is safe off the GUI thread.
    """
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid():
        reader.setScaledSize(size.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio))
    picture = reader.read()
    canvas = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    canvas.fill(Qt.GlobalColor.transparent)
    if picture.isNull():
        return canvas
    picture = picture.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    left, top = (side - picture.width()) // 2, (side - picture.height()) // 2
    painter = QPainter(canvas)
    if picture.hasAlphaChannel():
        cell = 7
        for y in range(top, top + picture.height(), cell):
            for x in range(left, left + picture.width(), cell):
                shade = 0xFF if ((x - left) // cell + (y - top) // cell) % 2 else 0xCC
                painter.fillRect(x, y, min(cell, left + picture.width() - x),
                                 min(cell, top + picture.height() - y), QColor(shade, shade, shade))
    painter.drawImage(left, top, picture)
    painter.end()
    return canvas


class ThumbnailLoader(QObject):
    """Makes thumbnails on a worker thread; `loaded` arrives on the GUI thread."""

    loaded = Signal(str, str, QImage)  # job id, path, image

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bgdesk-thumbs")
        self._closed = False

    def request(self, job_id: str, path: str) -> None:
        if not self._closed:  # events queued before the window closed may still arrive
            self._pool.submit(lambda: self.loaded.emit(job_id, path, thumbnail(path)))

    def close(self) -> None:
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)


class JobQueue(QWidget):
    """Jobs newest first; each row shows the picture, name, status, source and time."""

    selected = Signal(str)  # job id, or "" when nothing is selected

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.list.setSpacing(2)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter: name, status, source…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(lambda _: self._apply_filter())
        self.thumbnails = ThumbnailLoader(self)
        self.thumbnails.loaded.connect(self._set_thumbnail)
        self._shown: dict[str, str] = {}  # job id → path its thumbnail was made from
        self._rows: dict[str, QListWidgetItem] = {}
        self._order: list[int] = []  # database ids of the rows, top to bottom
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.filter)
        column.addWidget(self.list)
        self.list.currentItemChanged.connect(lambda *_: self.selected.emit(self.current_id()))

    def current_id(self) -> str:
        item = self.list.currentItem()
        return "" if item is None else str(item.data(JOB_ID))

    def ids(self) -> list[str]:
        return [str(self.list.item(row).data(JOB_ID)) for row in range(self.list.count())]

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
        item.setToolTip(job.error_message or job.input_path)
        item.setHidden(not self._matches(text))
        picture = job.output_path if job.status == "completed" else job.input_path
        if self._shown.get(job.public_id) != picture:
            self._shown[job.public_id] = picture
            self.thumbnails.request(job.public_id, picture)

    def _position_for(self, job: Job) -> int:
        """Newest first by id, so jobs found late (another process's) still sort right."""
        row = 0
        while row < len(self._order) and self._order[row] > job.id:
            row += 1
        self._order.insert(row, job.id)
        return row

    def remove(self, job_id: str) -> None:
        item = self._rows.pop(job_id, None)
        if item is not None:
            row = self.list.row(item)
            del self._order[row]
            self.list.takeItem(row)
            self._shown.pop(job_id, None)

    def _set_thumbnail(self, job_id: str, path: str, image: QImage) -> None:
        item = self._rows.get(job_id)
        if item is not None and self._shown.get(job_id) == path:
            item.setIcon(QIcon(QPixmap.fromImage(image)))

    def _matches(self, text: str) -> bool:
        wanted = self.filter.text().strip().lower()
        return not wanted or wanted in text.lower()

    def _apply_filter(self) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            item.setHidden(not self._matches(item.text()))

    def close_loader(self) -> None:
        self.thumbnails.close()
