"""The Qt bindings themselves: a binding that drops a reference to None on every call that
returns nothing ends the process (PySide6 6.12.0 on Python 3.11) after a few thousand paints."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

pytestmark = pytest.mark.slow  # the real window

ROUNDS = 4_000  # of five void calls each
BATCH = 50
TOLERANCE = 1_000


def void_calls(painter: QPainter, widget: QWidget, picture: QPixmap, count: int) -> None:
    """`count` rounds of Qt calls that return nothing, of the kinds the window makes."""
    colour = QColor(200, 200, 200)
    for n in range(count):
        painter.fillRect(0, 0, 4, 4, colour)
        painter.drawPixmap(QRectF(0, 0, 8, 8), picture, QRectF(0, 0, 8, 8))
        painter.setClipRect(QRectF(0, 0, 16, 16))
        widget.update()
        widget.setToolTip(str(n % 2))


def test_void_qt_calls_leave_the_reference_count_of_none_steady(qtbot: QtBot) -> None:
    widget = QWidget()
    qtbot.addWidget(widget)
    canvas = QImage(32, 32, QImage.Format.Format_ARGB32_Premultiplied)
    picture = QPixmap(8, 8)
    painter = QPainter(canvas)
    try:
        void_calls(painter, widget, picture, 50)  # first calls fill the bindings' caches
        before = sys.getrefcount(None)
        drift = 0
        # In small batches, so a binding that loses references fails here instead of
        # taking the test process down once None's count reaches zero.
        for _ in range(ROUNDS // BATCH):
            void_calls(painter, widget, picture, BATCH)
            drift = sys.getrefcount(None) - before
            if abs(drift) > TOLERANCE:
                break
    finally:
        painter.end()
    # A sound binding stays within a few hundred of where it was (None is immortal from
    # Python 3.12: drift 0); one that loses a reference per call drifts by -5 per round.
    print(f"None refcount drift over {ROUNDS * 5} void Qt calls: {drift}")
    assert abs(drift) <= TOLERANCE, f"None's reference count moved by {drift}"
