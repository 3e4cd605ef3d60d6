"""Ways to look at a cutout being touched up, as in a photo editor's mask workspace: the cutout
on the backdrop (over a faint copy of the photo, or not), the photo with what was removed
tinted red, and the mask itself in black and white."""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import QRect, QRectF
from PySide6.QtGui import QColor, QImage, QPainter

REMOVED_TINT = QColor(255, 0, 0, 140)  # over what the cutout leaves out, in the overlay


class MaskView(Enum):
    """How the cutout being touched up is shown; the value is its name in the toolbar."""

    CUTOUT = "Cutout"
    OVERLAY = "Overlay (removed in red)"
    MASK = "Black and white"

    def next(self) -> MaskView:
        views = list(MaskView)
        return views[(views.index(self) + 1) % len(views)]


def paint_alpha_as(
    painter: QPainter,
    target: QRect,
    cutout: QImage,
    source: QRectF,
    colour: QColor,
    kept: bool,
) -> None:
    """Paint `colour` into `target` where the cutout (its `source` part) keeps the picture
    (`kept`) or where it removes it (not `kept`), as strongly as it does."""
    layer = QImage(target.size(), QImage.Format.Format_ARGB32_Premultiplied)
    layer.fill(colour)
    composer = QPainter(layer)
    mode = QPainter.CompositionMode
    composer.setCompositionMode(
        mode.CompositionMode_DestinationIn if kept else mode.CompositionMode_DestinationOut
    )
    composer.drawImage(QRectF(layer.rect()), cutout, source)
    composer.end()
    painter.drawImage(target, layer)
