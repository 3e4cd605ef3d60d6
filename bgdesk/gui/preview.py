"""Before/after: the original and the cutout in one view, split by a draggable divider.

Left-drag moves the divider; the wheel zooms about the cursor; right- or middle-drag pans;
a double-click fits the picture again."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from bgdesk.gui.images import paint_checkerboard

CHECKER = 12


class BeforeAfterView(QWidget):
    """Left of the divider the original, right of it the cutout over a backdrop."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.before: QPixmap | None = None
        self.after: QPixmap | None = None
        self.divider = 0.5
        self.zoom = 1.0
        self.pan = QPointF(0, 0)
        self._pan_from: QPointF | None = None
        self.backdrop: QColor | None = None  # None: checkerboard
        self.note = ""  # said over the cutout's side while there is no cutout
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.SplitHCursor)

    def show_images(self, before: QPixmap | None, after: QPixmap | None,
                    note: str = "") -> None:
        same = (self.before is not None and before is not None
                and self.before.size() == before.size())
        self.before, self.after, self.note = before, after, note
        if not same:
            self.reset_view()
        self.update()

    def reset_view(self) -> None:
        self.zoom, self.pan = 1.0, QPointF(0, 0)
        self.update()

    def set_backdrop(self, colour: QColor | None) -> None:
        self.backdrop = colour
        self.update()

    def image_rect(self, zoom: float | None = None, pan: QPointF | None = None) -> QRectF:
        """Where the picture is drawn: fitted and centred, then zoomed and panned."""
        source = self.after or self.before
        if source is None or source.isNull():
            return QRectF()
        zoom = self.zoom if zoom is None else zoom
        pan = self.pan if pan is None else pan
        scale = min(self.width() / source.width(), self.height() / source.height()) * zoom
        width, height = source.width() * scale, source.height() * scale
        return QRectF((self.width() - width) / 2 + pan.x(),
                      (self.height() - height) / 2 + pan.y(), width, height)

    def zoom_at(self, point: QPointF, zoom: float) -> None:
        """Zoom to `zoom` keeping the picture's point under `point` where it is."""
        zoom = min(16.0, max(1.0, zoom))
        before = self.image_rect()
        if before.isEmpty():
            return
        u = (point.x() - before.left()) / before.width()
        v = (point.y() - before.top()) / before.height()
        after = self.image_rect(zoom, QPointF(0, 0))
        self.pan = QPointF(point.x() - u * after.width() - after.left(),
                           point.y() - v * after.height() - after.top())
        self.zoom = zoom
        if zoom == 1.0:
            self.pan = QPointF(0, 0)
        self.update()

    def wheelEvent(self, event: QWheelEvent) -> None:
        self.zoom_at(event.position(), self.zoom * 1.25 ** (event.angleDelta().y() / 120))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.reset_view()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() in (Qt.MouseButton.RightButton, Qt.MouseButton.MiddleButton):
            self._pan_from = event.position()
        else:
            self._move_divider(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._pan_from = None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            self.pan += event.position() - self._pan_from
            self._pan_from = event.position()
            self.update()
        elif event.buttons() & Qt.MouseButton.LeftButton:
            self._move_divider(event.position())

    def _move_divider(self, point: QPointF) -> None:
        rect = self.image_rect()
        if rect.width() > 0:
            self.divider = min(1.0, max(0.0, (point.x() - rect.left()) / rect.width()))
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        rect = self.image_rect()
        if rect.isEmpty():
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             "Drop photos here, paste one, or press Ctrl+O")
            return
        split = rect.left() + rect.width() * self.divider
        right = QRectF(split, rect.top(), rect.right() - split, rect.height())
        self._paint_backdrop(painter, right)
        if self.after is not None:
            painter.save()
            painter.setClipRect(right)
            painter.drawPixmap(rect, self.after, QRectF(self.after.rect()))
            painter.restore()
        elif self.note and right.width() > 0:
            painter.setPen(self.palette().text().color() if self.backdrop is None
                           else QColor("white" if self.backdrop.lightness() < 128 else "black"))
            painter.drawText(right.adjusted(12, 12, -12, -12),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.note)
        if self.before is not None:
            painter.save()
            painter.setClipRect(QRectF(rect.left(), rect.top(), split - rect.left(),
                                       rect.height()))
            painter.drawPixmap(rect, self.before, QRectF(self.before.rect()))
            painter.restore()
        painter.setPen(QPen(self.palette().highlight().color(), 2))
        painter.drawLine(QPointF(split, rect.top()), QPointF(split, rect.bottom()))

    def _paint_backdrop(self, painter: QPainter, area: QRectF) -> None:
        if self.backdrop is not None:
            painter.fillRect(area, self.backdrop)
        else:
            paint_checkerboard(painter, area, CHECKER)
