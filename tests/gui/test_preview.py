"""The before/after view: divider, zoom about the cursor, pan, keys, and painting whose cost
does not grow with the zoom."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPicture, QPixmap
from pytestqt.qtbot import QtBot

from bgdesk.gui.images import paint_checkerboard
from bgdesk.gui.preview import BeforeAfterView, Pyramid

pytestmark = pytest.mark.slow  # the real window


def shown(qtbot: QtBot, width: int = 200, height: int = 200) -> BeforeAfterView:
    view = BeforeAfterView()
    qtbot.addWidget(view)
    view.resize(400, 400)
    view.show()
    picture = QPixmap(width, height)
    picture.fill(QColor("red"))
    view.show_images(picture, picture)
    return view


def test_divider_zoom_and_pan(qtbot: QtBot) -> None:
    view = shown(qtbot)
    fitted = view.image_rect()
    assert (fitted.width(), fitted.height()) == (400, 400)
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(100, 200))
    assert abs(view.divider - 0.25) < 0.01
    view.zoom_at(QPointF(100, 100), 2.0)
    zoomed = view.image_rect()
    assert zoomed.width() == 800
    assert abs((100 - zoomed.left()) / zoomed.width() - 0.25) < 1e-6, "the cursor's point stays"
    view.pan_by(10_000, 0)
    assert view.image_rect().left() == 0, "panning stops at the picture's edge"
    view.mouseDoubleClickEvent(None)  # type: ignore[arg-type]
    assert view.zoom == 1.0 and view.image_rect() == fitted


def test_zoom_steps_fit_actual_pixels_and_arrow_keys(qtbot: QtBot) -> None:
    view = shown(qtbot, 1600, 1600)
    scales: list[float] = []
    view.zoom_changed.connect(scales.append)
    assert view.focusPolicy() == Qt.FocusPolicy.StrongFocus
    view.zoom_by(1.25)
    assert view.zoom == 1.25 and scales[-1] == 0.25 * 1.25
    view.actual_size()
    assert abs(view.scale() - 1.0) < 1e-9 and scales[-1] == view.scale()
    view.setFocus()
    left = view.image_rect().left()
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.image_rect().left() == left - 40
    view.reset_view()
    assert view.zoom == 1.0 and scales[-1] == 0.25
    for _ in range(5):
        view.zoom_by(0.8)
    assert view.zoom == 1.0, "never smaller than fitting the view"


def test_a_small_picture_can_be_seen_at_its_actual_size(qtbot: QtBot) -> None:
    view = shown(qtbot, 100, 100)
    assert view.fit_scale() == 4.0
    view.actual_size()
    assert view.image_rect().width() == 100


def test_the_checkerboard_is_one_fill_however_large(qtbot: QtBot) -> None:
    """Recorded paint commands: the same for a 100-pixel area and a 100,000-pixel one."""
    sizes = []
    for side in (100, 100_000):
        record = QPicture()
        painter = QPainter(record)
        paint_checkerboard(painter, QRectF(0, 0, side, side), 12)
        painter.end()
        sizes.append(record.size())
    assert sizes[0] == sizes[1]


def test_the_checkerboard_alternates_and_follows_its_origin(qtbot: QtBot) -> None:
    canvas = QImage(48, 48, QImage.Format.Format_RGB32)
    painter = QPainter(canvas)
    paint_checkerboard(painter, QRectF(0, 0, 48, 48), 12, origin=QPointF(6, 0))
    painter.end()
    light, dark = QColor(236, 236, 236).rgb(), QColor(200, 200, 200).rgb()
    assert canvas.pixel(6, 0) == light and canvas.pixel(18, 0) == dark
    assert canvas.pixel(6, 12) == dark and canvas.pixel(0, 0) == dark


def test_zoomed_out_pictures_are_drawn_from_a_smaller_copy(qtbot: QtBot) -> None:
    levels = Pyramid(QPixmap(4000, 3000))
    assert levels.for_scale(1.0).width() == 4000
    assert levels.for_scale(0.6).width() == 4000
    assert levels.for_scale(0.2).size().toTuple() == (1000, 750)
    assert levels.for_scale(0.001).width() == 125, "a small picture is never shrunk to nothing"


def test_a_cutout_in_a_frame_of_its_own_is_shown_whole(qtbot: QtBot) -> None:
    """A square product shot of a wide photo does not line up with it: no divider, no photo."""
    view = BeforeAfterView()
    qtbot.addWidget(view)
    view.resize(400, 400)
    view.show()
    photo, shot = QPixmap(200, 100), QPixmap(100, 100)
    photo.fill(QColor("red"))
    shot.fill(QColor("blue"))
    view.show_images(photo, shot)
    grabbed = view.grab().toImage()
    assert grabbed.pixelColor(20, 200) == QColor("blue") and grabbed.pixelColor(380, 200) == QColor(
        "blue"
    )
    view.show_images(photo, photo)
    assert view.grab().toImage().pixelColor(20, 200) == QColor("red"), "aligned: the divider again"
