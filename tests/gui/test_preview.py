"""The before/after view: divider, zoom about the cursor, pan, reset."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QPixmap

from bgdesk.gui.preview import BeforeAfterView


def test_divider_zoom_and_pan(qtbot) -> None:
    view = BeforeAfterView()
    qtbot.addWidget(view)
    view.resize(400, 400)
    view.show()
    picture = QPixmap(200, 200)
    picture.fill(QColor("red"))
    view.show_images(picture, picture)
    fitted = view.image_rect()
    assert (fitted.width(), fitted.height()) == (400, 400)
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(100, 200))
    assert abs(view.divider - 0.25) < 0.01
    view.zoom_at(QPointF(100, 100), 2.0)
    zoomed = view.image_rect()
    assert zoomed.width() == 800
    assert abs((100 - zoomed.left()) / zoomed.width() - 0.25) < 1e-6, "the cursor's point stays"
    view.mouseDoubleClickEvent(None)  # type: ignore[arg-type]
    assert view.zoom == 1.0 and view.image_rect() == fitted
