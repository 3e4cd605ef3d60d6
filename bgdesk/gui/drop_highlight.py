"""The window's answer to something dragged over it: a frame over the whole window saying
what a drop will do, shown from when a drag enters until it leaves or drops."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

TEXT = "Drop to remove the backgrounds"


class DropHighlight(QWidget):
    """Covers `parent` (and follows its size) while shown; lets every event through."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.covered = parent
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAccessibleName(TEXT)
        parent.installEventFilter(self)
        self.hide()

    def appear(self) -> None:
        self.setGeometry(self.covered.rect())
        self.raise_()
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self.setGeometry(self.covered.rect())
        return super().eventFilter(watched, event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        accent = self.palette().highlight().color()
        wash = QColor(accent)
        wash.setAlpha(40)
        frame = QRectF(self.rect()).adjusted(6, 6, -6, -6)
        painter.setBrush(wash)
        painter.setPen(QPen(accent, 3, Qt.PenStyle.DashLine))
        painter.drawRoundedRect(frame, 12, 12)
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(accent)
        painter.drawText(frame, Qt.AlignmentFlag.AlignCenter, TEXT)
