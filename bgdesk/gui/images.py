"""Reading pictures for the window off the GUI thread: thumbnails and the preview's pair.

Only QImage is used on worker threads (QPixmap belongs to the GUI thread); readers apply the
EXIF orientation, as the engine does, so a phone photo and its cutout stand the same way up.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QImageReader, QPainter

THUMBNAIL = 56


def read_image(path: str | None, fit: int = 0) -> QImage:
    """The picture at `path`, upright, decoded to fit a `fit`-pixel square when `fit` is set
    (JPEG then decodes at a reduced scale); a null image when there is none or it cannot be
    read."""
    if not path:
        return QImage()
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    size = reader.size()
    if fit and size.isValid():
        reader.setScaledSize(size.scaled(fit, fit, Qt.AspectRatioMode.KeepAspectRatio))
    return reader.read()


def paint_checkerboard(painter: QPainter, area: QRectF, cell: int) -> None:
    """The backdrop that shows transparency: `cell`-pixel squares filling `area`."""
    painter.save()
    painter.setClipRect(area)
    light, dark = QColor(236, 236, 236), QColor(200, 200, 200)
    top, left = int(area.top()), int(area.left())
    for y in range(top, int(area.bottom()) + 1, cell):
        for x in range(left - left % cell, int(area.right()) + 1, cell):
            odd = ((x // cell) + (y - top) // cell) % 2
            painter.fillRect(x, y, cell, cell, dark if odd else light)
    painter.restore()


def thumbnail(path: str, side: int = THUMBNAIL) -> QImage:
    """A `side`-pixel square image of the picture at `path`, over a checkerboard."""
    picture = read_image(path, fit=side)
    canvas = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    canvas.fill(Qt.GlobalColor.transparent)
    if picture.isNull():
        return canvas
    picture = picture.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    left, top = (side - picture.width()) // 2, (side - picture.height()) // 2
    painter = QPainter(canvas)
    if picture.hasAlphaChannel():
        paint_checkerboard(painter, QRectF(left, top, picture.width(), picture.height()), 7)
    painter.drawImage(left, top, picture)
    painter.end()
    return canvas


class _Worker(QObject):
    """One background thread; work asked for after `close` is dropped."""

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._closed = False

    def _submit(self, work: Callable[..., object], *args: object) -> None:
        if not self._closed:  # events queued before the window closed may still arrive
            self._pool.submit(work, *args)

    def close(self) -> None:
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)


class ThumbnailLoader(_Worker):
    """`loaded` brings a job's thumbnail to the GUI thread."""

    loaded = Signal(str, str, QImage)  # job id, path, image

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__("bgdesk-thumbs", parent)

    def request(self, job_id: str, path: str) -> None:
        self._submit(lambda: self.loaded.emit(job_id, path, thumbnail(path)))


class PreviewLoader(_Worker):
    """`loaded` brings the selected job's original and cutout; stale requests are skipped."""

    loaded = Signal(str, QImage, QImage)  # job id, before, after (null when there is none)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__("bgdesk-preview", parent)
        self._wanted = ""

    def request(self, job_id: str, before: str, after: str | None) -> None:
        self._wanted = job_id
        self._submit(self._load, job_id, before, after)

    def _load(self, job_id: str, before: str, after: str | None) -> None:
        if job_id == self._wanted:  # the person may have moved on to another job meanwhile
            self.loaded.emit(job_id, read_image(before), read_image(after))
