"""Reading pictures for the window off the GUI thread: thumbnails and the preview's pair.

Only QImage is used on worker threads (QPixmap belongs to the GUI thread); readers apply the
EXIF orientation, as the engine does, so a phone photo and its cutout stand the same way up.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QImageReader, QPainter

from bgdesk.inference.decode import read_upright

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
    image = reader.read()
    return image if not image.isNull() else _read_with_pillow(path, fit)


def _read_with_pillow(path: str, fit: int) -> QImage:
    """A picture Qt has no reader for (HEIC, AVIF), through the engine's own decoders."""
    picture = read_upright(Path(path), fit)
    if picture is None:
        return QImage()
    width, height = picture.size
    pixels = picture.tobytes()
    return QImage(pixels, width, height, 4 * width, QImage.Format.Format_RGBA8888).copy()


@cache
def checker_brush(cell: int) -> QBrush:
    """A brush tiling `cell`-pixel light and dark squares; made once per size, and from a
    QImage, so the thumbnail thread may share it."""
    tile = QImage(2 * cell, 2 * cell, QImage.Format.Format_RGB32)
    tile.fill(QColor(236, 236, 236))
    painter = QPainter(tile)
    dark = QColor(200, 200, 200)
    painter.fillRect(cell, 0, cell, cell, dark)
    painter.fillRect(0, cell, cell, cell, dark)
    painter.end()
    return QBrush(tile)


def paint_checkerboard(
    painter: QPainter, area: QRectF, cell: int, origin: QPointF | None = None
) -> None:
    """The backdrop that shows transparency over `area`, its squares anchored at `origin`
    (`area`'s corner unless given), so they move with a panned picture.

    One fill with a tiled brush, so the cost follows the painted area, not how many squares
    a zoomed picture holds.
    """
    painter.save()
    painter.setBrushOrigin(area.topLeft() if origin is None else origin)
    painter.fillRect(area, checker_brush(cell))
    painter.restore()


def thumbnail(path: str, side: int = THUMBNAIL) -> QImage:
    """A `side`-pixel square image of the picture at `path`, over a checkerboard."""
    picture = read_image(path, fit=side)
    canvas = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    canvas.fill(Qt.GlobalColor.transparent)
    if picture.isNull():
        return canvas
    picture = picture.scaled(
        side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )
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
