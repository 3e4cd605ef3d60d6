"""Judging a mask in the real window: the views a key cycles (the cutout on its backdrop with
or without the faint photo, the removed part tinted red, black and white), Space+drag panning,
the divider's keys, and the brush and view remembered at the next start."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from bgdesk.gui.main_window import MainWindow
from bgdesk.gui.mask_views import MaskView
from bgdesk.gui.menus import Command
from bgdesk.paths import Paths
from tests.gui.conftest import WAIT, reopened
from tests.gui.test_touch_up import cut_out, on_screen, touch_up

pytestmark = pytest.mark.slow  # the real window over the real core


def seen(window: MainWindow, point: QPoint) -> QColor:
    return window.preview.grab().toImage().pixelColor(point)


def mask_view(window: MainWindow) -> MaskView:
    return window.preview.mask_view


def inside(mask: np.ndarray, value: int) -> tuple[int, int]:
    """A pixel (x, y) of `mask` that is `value` and whose 9 x 9 neighbourhood is too."""
    solid = mask == value
    ys, xs = np.nonzero(solid[4:-4, 4:-4])
    for y, x in zip(ys + 4, xs + 4, strict=True):
        if solid[y - 4 : y + 5, x - 4 : x + 5].all():
            return int(x), int(y)
    raise AssertionError(f"no solid {value} in the mask")


def test_mask_views_cycle_and_show_what_was_removed(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    cut_out(qtbot, window, tmp_path)
    window.backdrop_choice.setCurrentText("Black")
    touch_up(qtbot, window)
    view = window.preview
    assert view.painting is not None
    mask = view.painting.mask
    subject, backdrop = inside(mask, 255), inside(mask, 0)
    subject_at, backdrop_at = on_screen(window, *subject), on_screen(window, *backdrop)
    assert mask_view(window) is MaskView.CUTOUT and view.faint_photo
    subject_seen = seen(window, subject_at)  # the cutout's own pixels, as the view samples them
    faint = seen(window, backdrop_at)
    assert 0 < faint.value() < 255 * 0.35, "the photo faint behind the cutout"
    QTest.keyClick(view, Qt.Key.Key_P)
    assert seen(window, backdrop_at).value() == 0, "no photo: the backdrop alone"

    QTest.keyClick(view, Qt.Key.Key_F)
    assert mask_view(window) is MaskView.OVERLAY
    assert window.touch_bar.view_choice.currentText() == MaskView.OVERLAY.value
    tinted = seen(window, backdrop_at)  # the photo, under red at 55 %
    assert tinted.red() >= 135 and tinted.red() - tinted.green() > 60, tinted.getRgb()
    kept = seen(window, subject_at)
    channels = (QColor.red, QColor.green, QColor.blue)
    assert all(abs(part(kept) - part(subject_seen)) <= 3 for part in channels), "kept: untinted"

    QTest.keyClick(view, Qt.Key.Key_F)
    assert mask_view(window) is MaskView.MASK
    assert seen(window, subject_at).value() > 250 and seen(window, backdrop_at).value() < 5

    QTest.keyClick(view, Qt.Key.Key_F)
    assert mask_view(window) is MaskView.CUTOUT, "F cycles back to the cutout"
    window.touch_bar.view_choice.activated.emit(2)
    assert mask_view(window) is MaskView.MASK, "the toolbar's choice"


def test_space_drag_pans_without_painting_and_keys_move_the_divider(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    cut_out(qtbot, window, tmp_path)
    view = window.preview
    qtbot.waitUntil(lambda: view.after is not None, timeout=WAIT)
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert view.divider == pytest.approx(0.55)
    QTest.keyClick(view, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClick(view, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert view.divider == pytest.approx(0.45)

    touch_up(qtbot, window)
    painting = view.painting
    assert painting is not None
    view.zoom_by(4)
    before_pan = view.pan
    centre = view.rect().center()
    QTest.keyPress(view, Qt.Key.Key_Space)
    assert view.cursor().shape() == Qt.CursorShape.OpenHandCursor
    QTest.mousePress(view, Qt.MouseButton.LeftButton, pos=centre)
    QTest.mouseMove(view, centre + QPoint(60, 40))
    QTest.mouseRelease(view, Qt.MouseButton.LeftButton, pos=centre + QPoint(60, 40))
    QTest.keyRelease(view, Qt.Key.Key_Space)
    assert view.pan != before_pan, "the hand moved the picture"
    assert not painting.can_undo and not painting.drawing, "and painted nothing"
    assert view.cursor().shape() == Qt.CursorShape.BlankCursor, "the brush is back"


def test_the_brush_and_view_are_remembered_at_the_next_start(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, home: Paths
) -> None:
    cut_out(qtbot, window, tmp_path)
    touch_up(qtbot, window)
    first = window.preview.brush.size
    QTest.keyClick(window.preview, Qt.Key.Key_BracketRight)
    QTest.keyClick(window.preview, Qt.Key.Key_BracketRight)
    chosen = window.preview.brush.size
    assert chosen > first
    window.touch_up.set_hardness(0.35)
    QTest.keyClick(window.preview, Qt.Key.Key_F)
    window.close()

    with reopened(qtbot, home) as again:
        again.queue.select_only(0)
        again.menu_actions[Command.TOUCH_UP].trigger()
        qtbot.waitUntil(lambda: again.preview.touching_up, timeout=WAIT)
        assert again.preview.brush.size == pytest.approx(chosen, abs=1)
        assert again.preview.brush.hardness == pytest.approx(0.35)
        assert mask_view(again) is MaskView.OVERLAY
