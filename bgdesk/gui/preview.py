"""Before/after: the original and the cutout in one view, split by a draggable divider.

Left-drag moves the divider; the wheel zooms about the cursor; right- or middle-drag pans;
a double-click fits the picture again; the arrow keys pan. The window's View menu zooms
(`+`, `-`), fits (`0`) and shows actual pixels (`1`) through `zoom_by`, `reset_view` and
`actual_size`.

Painting touches only what is on screen: the visible part of each picture is drawn from a
copy no larger than needed, and the checkerboard is one tiled fill, so a 12 MP pair zoomed
16 times costs no more to paint than one fitted in the view.

While a cutout is touched up, the view shows it whole in one of the mask views (over a faint
copy of the photo, with what was removed tinted red, or as a black and white mask), left-
drag paints with the brush (whose circle follows the mouse), and only the box a stroke
touched is drawn again. Space held down turns left-drag into panning, as a photo editor's hand
does; Shift with the left or right arrow moves the divider.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRect, QRectF, QSizeF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QApplication, QSizePolicy, QWidget

from bgdesk.gui.brush import PaintedCutout
from bgdesk.gui.images import paint_checkerboard
from bgdesk.gui.mask_views import REMOVED_TINT, MaskView, paint_alpha_as
from bgdesk.inference.retouch import MaskPainting
from bgdesk.inference.strokes import Box

CHECKER = 12
MAX_ZOOM = 16.0  # times the fitted size; at least 4x the picture's actual pixels
ZOOM_STEP = 1.25  # per wheel notch or key press
PAN_STEP = 0.1  # share of the view moved per arrow key press
DIVIDER_STEP = 0.05  # share of the picture the divider moves per Shift+arrow
GHOST = 0.3  # how strongly the photo shows under a cutout being touched up
DRAG = 4  # screen pixels a press must move to draw a box rather than click


@dataclass
class Brush:
    """The touch-up brush: what it does, its diameter in the photo's pixels, how hard it is."""

    restore: bool = False
    size: float = 40.0
    hardness: float = 0.8


class Pyramid:
    """A picture and its halvings, so a zoomed-out view scales down from a near size."""

    def __init__(self, full: QPixmap) -> None:
        self.full = full
        self._levels: dict[int, QPixmap] = {1: full}

    def for_scale(self, scale: float) -> QPixmap:
        """The smallest copy that still has a pixel for every screen pixel at `scale`."""
        factor = 1
        smallest_side = min(self.full.width(), self.full.height())
        while scale * factor * 2 <= 1 and smallest_side >= factor * 2 * 64:
            factor *= 2
        if factor not in self._levels:
            larger = self.for_scale(scale * 2)
            self._levels[factor] = larger.scaled(
                max(1, self.full.width() // factor),
                max(1, self.full.height() // factor),
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        return self._levels[factor]


class BeforeAfterView(QWidget):
    """Left of the divider the original, right of it the cutout over a backdrop."""

    zoom_changed = Signal(float)  # the display scale: 1.0 shows the picture's actual pixels
    stroke_ended = Signal()  # a brush stroke was laid on the cutout being touched up
    leave_requested = Signal()  # Esc while touching up
    clicked = Signal(float, float, bool)  # selecting: x, y in the picture's pixels, keep
    boxed = Signal(float, float, float, float)  # selecting: left, top, right, bottom

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.before: QPixmap | None = None
        self.after: QPixmap | None = None
        self._before_levels: Pyramid | None = None
        self._after_levels: Pyramid | None = None
        self.divider = 0.5
        self.zoom = 1.0
        self.pan = QPointF(0, 0)
        self._pan_from: QPointF | None = None
        self._hand = False  # Space is held: left-drag pans
        self._hand_drag = False  # a left-drag begun with the hand is under way
        self.backdrop: QColor | None = None  # None: checkerboard
        self.note = ""  # said over the cutout's side while there is no cutout
        self.warning = ""  # shown above a doubtful cutout
        self.brush = Brush()
        self.mask_view = MaskView.CUTOUT  # how a cutout being touched up is shown
        self.faint_photo = True  # the cutout view shows the photo faintly behind the cutout
        self.painting: MaskPainting | None = None  # set while a cutout is touched up
        self.painted: PaintedCutout | None = None
        self._cursor: QPointF | None = None  # where the brush's circle is drawn
        self.selecting = False  # touching up with clicks and boxes rather than the brush
        self.busy = False  # a click is being worked out: the picture takes no new marks
        self._press: tuple[QPointF, Qt.MouseButton] | None = None  # selecting: the press
        self._band: QRectF | None = None  # selecting: the box being dragged, on screen
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.SplitHCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Before and after")
        self.setAccessibleDescription(
            "The photo left of the divider, its cutout right of it. Plus and minus zoom, "
            "0 fits, 1 shows actual pixels, the arrows pan, Shift with the left or right "
            "arrow moves the divider, Space and drag pans."
        )

    def show_images(
        self, before: QPixmap | None, after: QPixmap | None, note: str = "", warning: str = ""
    ) -> None:
        """`note` is said over the cutout's side while there is no cutout; `warning` is shown
        above a cutout a person should look at before using it."""
        same = (
            self.before is not None and before is not None and self.before.size() == before.size()
        )
        self.before, self.after, self.note, self.warning = before, after, note, warning
        self._before_levels = Pyramid(before) if before is not None else None
        self._after_levels = Pyramid(after) if after is not None else None
        if not same:
            self.reset_view()
        self.update()

    def reset_view(self) -> None:
        self.zoom, self.pan = 1.0, QPointF(0, 0)
        self.update()
        self.zoom_changed.emit(self.scale())

    def set_backdrop(self, colour: QColor | None) -> None:
        self.backdrop = colour
        self.update()

    def set_mask_view(self, view: MaskView, faint_photo: bool) -> None:
        self.mask_view, self.faint_photo = view, faint_photo
        self.update()

    # -- touching up ----------------------------------------------------------------------

    @property
    def touching_up(self) -> bool:
        return self.painting is not None

    def start_touch_up(self, painting: MaskPainting, painted: PaintedCutout) -> None:
        """Show `painted` whole and paint on `painting` with the left button."""
        same = self._source() == QSizeF(painted.width, painted.height)
        self.painting, self.painted = painting, painted
        self._show_tool()
        self.setMouseTracking(True)
        if not same:
            self.reset_view()
        self.update()

    def stop_touch_up(self) -> None:
        self.painting = self.painted = None
        self._cursor = None
        self._show_tool()
        self.setMouseTracking(False)
        self.update()

    def show_change(self, box: Box | None) -> None:
        """Draw again the part of the touched-up cutout in `box` (its pixels)."""
        if box is None or self.painted is None:
            return
        self.painted.refresh(box)
        self.update(self.on_screen(box))

    def set_brush(self, brush: Brush) -> None:
        self.brush = brush
        self.update()

    def set_selecting(self, selecting: bool) -> None:
        """Touch up with clicks and boxes (True) or with the brush (False)."""
        self.selecting = selecting
        self._band = self._press = None
        if self.painting is not None:
            self._show_tool()
        self.update()

    def _show_tool(self) -> None:
        """The cursor of the tool in hand: the hand while Space is held, a cross to click
        with, the brush's circle to paint with, the divider's arrows outside touch-up."""
        if self._hand:
            self.setCursor(Qt.CursorShape.OpenHandCursor)
            self._move_cursor(None)
        elif self.painting is None:
            self.setCursor(Qt.CursorShape.SplitHCursor)
        elif self.selecting:
            self.setCursor(Qt.CursorShape.CrossCursor)
            self._move_cursor(None)
        else:
            self.setCursor(Qt.CursorShape.BlankCursor)

    def image_point(self, point: QPointF) -> tuple[float, float]:
        """The picture's pixel coordinates under the view's `point`."""
        rect, scale = self.image_rect(), self.scale()
        return (point.x() - rect.left()) / scale, (point.y() - rect.top()) / scale

    def on_screen(self, box: Box) -> QRect:
        rect, scale = self.image_rect(), self.scale()
        left, top, right, bottom = box
        return (
            QRectF(
                rect.left() + left * scale,
                rect.top() + top * scale,
                (right - left) * scale,
                (bottom - top) * scale,
            )
            .toAlignedRect()
            .adjusted(-2, -2, 2, 2)
        )

    def _brush_circle(self) -> QRect:
        if self._cursor is None:
            return QRect()
        radius = self.brush.size / 2 * self.scale() + 2
        return (
            QRectF(self._cursor.x() - radius, self._cursor.y() - radius, 2 * radius, 2 * radius)
            .toAlignedRect()
            .adjusted(-2, -2, 2, 2)
        )

    def _move_cursor(self, point: QPointF | None) -> None:
        """Draw the brush's circle at `point` instead of where it was."""
        before = self._brush_circle()
        self._cursor = point
        self.update(before.united(self._brush_circle()))

    # -- geometry -------------------------------------------------------------------------

    def _source(self) -> QSizeF | None:
        """The size of the picture shown: the cutout (being touched up), else the photo."""
        if self.painted is not None:
            return QSizeF(self.painted.width, self.painted.height)
        source = self.after or self.before
        return None if source is None or source.isNull() else QSizeF(source.size())

    def _aligned(self) -> bool:
        """Whether the photo and its cutout share one frame, pixel for pixel."""
        return self.before is None or self.after is None or self.before.size() == self.after.size()

    def fit_scale(self) -> float:
        """The display scale at which the whole picture fits the view."""
        source = self._source()
        if source is None:
            return 1.0
        return min(self.width() / source.width(), self.height() / source.height())

    def scale(self) -> float:
        """The display scale now: 1.0 is one picture pixel per screen pixel."""
        return self.fit_scale() * self.zoom

    def image_rect(self, zoom: float | None = None, pan: QPointF | None = None) -> QRectF:
        """Where the picture is drawn: fitted and centred, then zoomed and panned."""
        source = self._source()
        if source is None:
            return QRectF()
        zoom = self.zoom if zoom is None else zoom
        pan = self.pan if pan is None else pan
        scale = self.fit_scale() * zoom
        width, height = source.width() * scale, source.height() * scale
        return QRectF(
            (self.width() - width) / 2 + pan.x(),
            (self.height() - height) / 2 + pan.y(),
            width,
            height,
        )

    def _clamped(self, pan: QPointF, zoom: float) -> QPointF:
        """`pan` limited so a picture larger than the view never leaves a gap at its edges,
        and one smaller than the view stays centred."""
        centred = self.image_rect(zoom, QPointF(0, 0))
        room_x = max(0.0, (centred.width() - self.width()) / 2)
        room_y = max(0.0, (centred.height() - self.height()) / 2)
        return QPointF(min(room_x, max(-room_x, pan.x())), min(room_y, max(-room_y, pan.y())))

    def zoom_at(self, point: QPointF, zoom: float) -> None:
        """Zoom to `zoom` keeping the picture's point under `point` where it is."""
        fit = self.fit_scale()
        zoom = min(max(MAX_ZOOM, 4 / fit), max(min(1.0, 1 / fit), zoom))
        before = self.image_rect()
        if before.isEmpty():
            return
        u = (point.x() - before.left()) / before.width()
        v = (point.y() - before.top()) / before.height()
        after = self.image_rect(zoom, QPointF(0, 0))
        self.pan = self._clamped(
            QPointF(
                point.x() - u * after.width() - after.left(),
                point.y() - v * after.height() - after.top(),
            ),
            zoom,
        )
        self.zoom = zoom
        self.update()
        self.zoom_changed.emit(self.scale())

    def zoom_by(self, factor: float) -> None:
        """Zoom by `factor` about the view's centre."""
        self.zoom_at(QPointF(self.width() / 2, self.height() / 2), self.zoom * factor)

    def actual_size(self) -> None:
        """One picture pixel per screen pixel, about the view's centre."""
        self.zoom_by(1 / (self.fit_scale() * self.zoom))

    def pan_by(self, dx: float, dy: float) -> None:
        self.pan = self._clamped(self.pan + QPointF(dx, dy), self.zoom)
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.pan = self._clamped(self.pan, self.zoom)
        self.zoom_changed.emit(self.scale())

    # -- input ----------------------------------------------------------------------------

    def wheelEvent(self, event: QWheelEvent) -> None:
        self.zoom_at(event.position(), self.zoom * ZOOM_STEP ** (event.angleDelta().y() / 120))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        steps = {
            Qt.Key.Key_Left: (1, 0),
            Qt.Key.Key_Right: (-1, 0),
            Qt.Key.Key_Up: (0, 1),
            Qt.Key.Key_Down: (0, -1),
        }
        shifted = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        sideways = event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right)
        if shifted and sideways:
            step = DIVIDER_STEP if event.key() == Qt.Key.Key_Right else -DIVIDER_STEP
            self.divider = min(1.0, max(0.0, self.divider + step))
            self.update()
        elif event.key() == Qt.Key.Key_Space:
            # Not in the middle of a stroke, a box or a drag: those end as they began.
            pressed = QApplication.mouseButtons() != Qt.MouseButton.NoButton
            if not event.isAutoRepeat() and not pressed:
                self._hand = True
                self._show_tool()
        elif event.key() in steps:
            x, y = steps[Qt.Key(event.key())]
            self.pan_by(x * self.width() * PAN_STEP, y * self.height() * PAN_STEP)
        elif event.key() == Qt.Key.Key_Escape and self.touching_up:
            self.leave_requested.emit()
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._hand = False
            self._show_tool()
        else:
            super().keyReleaseEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        """A Space released elsewhere never leaves the hand in place."""
        if self._hand:
            self._hand = False
            self._show_tool()
        super().focusOutEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.reset_view()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        button = event.button()
        pressing = button in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton)
        if self._hand and button == Qt.MouseButton.LeftButton:
            self._pan_from = event.position()
            self._hand_drag = True
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if self.painting is not None and self.selecting and pressing:
            self._press = (event.position(), button)
        if button in (Qt.MouseButton.RightButton, Qt.MouseButton.MiddleButton):
            self._pan_from = event.position()
        elif self.painting is not None and (self.selecting or self.busy):
            return
        elif self.painting is not None:
            brush = self.brush
            point = self.image_point(event.position())
            self.show_change(self.painting.begin(point, brush.restore, brush.size, brush.hardness))
        else:
            self._move_divider(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._pan_from = None
        if self._hand_drag:  # a drag the hand began ends as a pan, whatever is held now
            self._hand_drag = False
            self._show_tool()
            return
        if self._press is not None and event.button() == self._press[1]:
            self._selected(event)
        left = event.button() == Qt.MouseButton.LeftButton
        if self.painting is not None and left and self.painting.end() is not None:
            self.stroke_ended.emit()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is not None and self._press[1] == Qt.MouseButton.LeftButton:
            start = self._press[0]
            if self._band is not None or _moved(start, event.position()):
                self.update(self._band_on_screen())
                self._band = QRectF(start, event.position()).normalized()
                self.update(self._band_on_screen())
            return
        if self.painting is not None and not self.selecting and not self._hand:
            self._move_cursor(event.position())
        if self._pan_from is not None:
            moved = event.position() - self._pan_from
            self._pan_from = event.position()
            self.pan_by(moved.x(), moved.y())
        elif self.painting is not None:
            if self.painting.drawing:
                self.show_change(self.painting.extend(self.image_point(event.position())))
        elif event.buttons() & Qt.MouseButton.LeftButton:
            self._move_divider(event.position())

    def _selected(self, event: QMouseEvent) -> None:
        """A press and release while selecting: a box when the left button was dragged,
        else a click (remove with Alt or the right button); nothing while `busy`."""
        start, button = self._press or (event.position(), event.button())
        band, self._band, self._press = self._band, None, None
        if band is not None:
            self.update(band.toAlignedRect().adjusted(-2, -2, 2, 2))
        if self.busy or self.painting is None:
            return
        if band is not None:
            left, top = self.image_point(band.topLeft())
            right, bottom = self.image_point(band.bottomRight())
            self.boxed.emit(left, top, right, bottom)
        elif not _moved(start, event.position()):  # a right drag pans instead
            alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
            keep = button == Qt.MouseButton.LeftButton and not alt
            self.clicked.emit(*self.image_point(event.position()), keep)

    def _band_on_screen(self) -> QRect:
        return self._band.toAlignedRect().adjusted(-2, -2, 2, 2) if self._band else QRect()

    def leaveEvent(self, event: object) -> None:
        if self.painting is not None:
            self._move_cursor(None)

    def _move_divider(self, point: QPointF) -> None:
        rect = self.image_rect()
        if rect.width() > 0:
            self.divider = min(1.0, max(0.0, (point.x() - rect.left()) / rect.width()))
            self.update()

    # -- painting -------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if self.painted is not None:
            self._paint_touch_up(painter, QRectF(event.rect()))
            return
        rect = self.image_rect()
        if rect.isEmpty():
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(
                self.rect(),
                Qt.AlignmentFlag.AlignCenter,
                "Drop photos here, paste one, or press Ctrl+O",
            )
            return
        visible = rect.intersected(QRectF(self.rect()))
        # A cutout in a frame of its own (cropped, on a canvas) does not line up with the
        # photo: it is shown whole, with no divider.
        divider = self.divider if self._aligned() else 0.0
        split = min(max(rect.left() + rect.width() * divider, visible.left()), visible.right())
        left = QRectF(visible.left(), visible.top(), split - visible.left(), visible.height())
        right = QRectF(split, visible.top(), visible.right() - split, visible.height())
        if not right.isEmpty():
            self._paint_backdrop(painter, right, rect)
            if self._after_levels is not None:
                self._draw_part(painter, self._after_levels, rect, right)
            elif self.note:
                self._paint_note(painter, right)
        if self._before_levels is not None and not left.isEmpty():
            self._draw_part(painter, self._before_levels, rect, left)
        if self._aligned():
            painter.setPen(QPen(self.palette().highlight().color(), 2))
            painter.drawLine(QPointF(split, visible.top()), QPointF(split, visible.bottom()))
        if self.warning and self.after is not None:
            self._paint_warning(painter)

    def _paint_touch_up(self, painter: QPainter, region: QRectF) -> None:
        """The cutout whole, in the mask view chosen, in `region` only, and the brush's
        circle."""
        assert self.painted is not None
        rect = self.image_rect()
        area = rect.intersected(region).toAlignedRect().intersected(self.rect())
        if not area.isEmpty():
            image, factor = self.painted.image(self.scale())
            per = 1 / (self.scale() * factor)
            source = QRectF(
                (area.left() - rect.left()) * per,
                (area.top() - rect.top()) * per,
                area.width() * per,
                area.height() * per,
            )
            self._paint_mask_view(painter, rect, area, image, source)
        if self._band is not None:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            for colour, style in (
                (QColor("white"), Qt.PenStyle.SolidLine),
                (QColor(0, 0, 0), Qt.PenStyle.DashLine),
            ):
                painter.setPen(QPen(colour, 1, style))
                painter.drawRect(self._band)
        if self._cursor is not None:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            radius = max(1.0, self.brush.size / 2 * self.scale())
            painter.setBrush(Qt.BrushStyle.NoBrush)
            for colour, grown in ((QColor(0, 0, 0, 160), 1.0), (QColor("white"), 0.0)):
                painter.setPen(QPen(colour, 1))
                painter.drawEllipse(self._cursor, radius + grown, radius + grown)

    def _paint_mask_view(
        self, painter: QPainter, rect: QRectF, area: QRect, cutout: QImage, source: QRectF
    ) -> None:
        """Paint `area` of the cutout (shown whole at `rect`; `source` of `cutout`) as the
        mask view chosen shows it."""
        if self.mask_view is MaskView.MASK:
            painter.fillRect(area, QColor("black"))
            paint_alpha_as(painter, area, cutout, source, QColor("white"), kept=True)
            return
        self._paint_backdrop(painter, QRectF(area), rect)
        overlay = self.mask_view is MaskView.OVERLAY
        if self._before_levels is not None and (overlay or self.faint_photo):
            painter.setOpacity(1.0 if overlay else GHOST)
            self._draw_part(painter, self._before_levels, rect, QRectF(area))
            painter.setOpacity(1.0)
        if overlay:
            paint_alpha_as(painter, area, cutout, source, REMOVED_TINT, kept=False)
        else:
            painter.drawImage(QRectF(area), cutout, source)

    def _draw_part(self, painter: QPainter, picture: Pyramid, rect: QRectF, target: QRectF) -> None:
        """Draw the part of `picture` (shown whole at `rect`) that falls in `target`."""
        pixmap = picture.for_scale(rect.width() / picture.full.width())
        per_x = pixmap.width() / rect.width()
        per_y = pixmap.height() / rect.height()
        source = QRectF(
            (target.left() - rect.left()) * per_x,
            (target.top() - rect.top()) * per_y,
            target.width() * per_x,
            target.height() * per_y,
        )
        painter.drawPixmap(target, pixmap, source)

    def _paint_backdrop(self, painter: QPainter, area: QRectF, picture: QRectF) -> None:
        if self.backdrop is not None:
            painter.fillRect(area, self.backdrop)
            return
        paint_checkerboard(painter, area, CHECKER, origin=picture.topLeft())

    def _paint_note(self, painter: QPainter, area: QRectF) -> None:
        painter.setPen(
            self.palette().text().color()
            if self.backdrop is None
            else QColor("white" if self.backdrop.lightness() < 128 else "black")
        )
        painter.drawText(
            area.adjusted(12, 12, -12, -12),
            Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
            self.note,
        )

    def _paint_warning(self, painter: QPainter) -> None:
        text = f"⚠ {self.warning}"
        metrics = painter.fontMetrics()
        width = min(self.width() - 24, metrics.horizontalAdvance(text) + 24)
        box = QRectF((self.width() - width) / 2, 12, width, metrics.height() + 12)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(255, 236, 179, 235))
        painter.drawRoundedRect(box, 6, 6)
        painter.setPen(QColor(60, 45, 0))
        painter.drawText(
            box.adjusted(12, 0, -12, 0),
            Qt.AlignmentFlag.AlignCenter,
            metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(width) - 24),
        )


def _moved(start: QPointF, end: QPointF) -> bool:
    """Whether the pointer went from `start` to `end` far enough to be a drag."""
    return (end - start).manhattanLength() >= DRAG
