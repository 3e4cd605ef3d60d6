"""Touching a cutout up in the real window with real mouse events, over the real model and
database: the stroke lands in the saved file exactly under the brush, undo and redo, keys,
another start of the window, and backgrounds chosen for the saved file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from bgdesk.gui import touch_up as touch_up_module
from bgdesk.gui.main_window import MainWindow
from bgdesk.gui.menus import Command
from bgdesk.gui.preview import Brush
from bgdesk.inference.strokes import Stroke
from bgdesk.paths import Paths
from bgdesk.storage.models import Job
from tests.conftest import decode, photo
from tests.gui.conftest import WAIT, drop, reopened

pytestmark = pytest.mark.slow  # the real window over the real core


def cut_out(
    qtbot: QtBot,
    window: MainWindow,
    folder: Path,
    name: str = "astronaut",
    path: Path | None = None,
) -> Job:
    """Drop a photo (a 256 x 256 sample, or the one at `path`) on the window, wait for its
    cutout, and select it."""
    if path is None:
        path = folder / f"{name}.png"
        path.write_bytes(photo(name, (256, 256), "PNG"))
    drop(window, [path])

    def made() -> Job | None:
        jobs = [j for j in window.core.jobs.recent() if Path(j.input_path) == path.resolve()]
        return jobs[0] if jobs and jobs[0].has_output else None

    qtbot.waitUntil(lambda: made() is not None, timeout=WAIT)
    job = made()
    assert job is not None
    qtbot.waitUntil(lambda: job.public_id in window.queue.ids(), timeout=WAIT)
    window.queue.select_only(window.queue.ids().index(job.public_id))
    return job


def exported(window: MainWindow, job: Job, folder: Path) -> np.ndarray:
    """The cutout as Export writes it."""
    target = folder / "exported.png"
    window.core.cutouts.export(job.public_id, target)
    return np.asarray(decode(target.read_bytes()))


def on_screen(window: MainWindow, x: float, y: float) -> QPoint:
    rect, scale = window.preview.image_rect(), window.preview.scale()
    return QPoint(round(rect.left() + x * scale), round(rect.top() + y * scale))


def touch_up(qtbot: QtBot, window: MainWindow) -> None:
    """Press T, as a person does once the cutout is selected and the window has the keys
    (a window's shortcuts work only in the active window; a busy machine activates late)."""
    qtbot.waitUntil(window.menu_actions[Command.TOUCH_UP].isEnabled, timeout=WAIT)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)
    QTest.keyClick(window.preview, Qt.Key.Key_T)
    qtbot.waitUntil(lambda: window.preview.touching_up, timeout=WAIT)


def drag(window: MainWindow, points: list[tuple[float, float]]) -> None:
    view = window.preview
    QTest.mousePress(view, Qt.MouseButton.LeftButton, pos=on_screen(window, *points[0]))
    for point in points[1:]:
        QTest.mouseMove(view, on_screen(window, *point))
    QTest.mouseRelease(view, Qt.MouseButton.LeftButton, pos=on_screen(window, *points[-1]))


def distance_from(stroke: Stroke, shape: tuple[int, ...]) -> np.ndarray:
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]] + 0.5
    nearest = np.full(shape[:2], np.inf)
    for (x0, y0), (x1, y1) in zip(stroke.points, stroke.points[1:], strict=False):
        length = (x1 - x0) ** 2 + (y1 - y0) ** 2 or 1
        along = np.clip(((xs - x0) * (x1 - x0) + (ys - y0) * (y1 - y0)) / length, 0, 1)
        reach = np.hypot(xs - (x0 + along * (x1 - x0)), ys - (y0 + along * (y1 - y0)))
        nearest = np.minimum(nearest, reach)
    return nearest


def edited(window: MainWindow, job: Job) -> bool:
    return window.core.jobs.get(job.public_id).edited


def test_a_stroke_erases_exactly_under_the_brush_and_undo_redo_follow(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    job = cut_out(qtbot, window, tmp_path)
    original = exported(window, job, tmp_path)
    touch_up(qtbot, window)
    assert window.touch_bar.isVisible() and window.menu_actions[Command.TOUCH_UP].isChecked()
    window.preview.set_brush(Brush(restore=False, size=30, hardness=1.0))
    drag(window, [(100, 60), (120, 60), (140, 62), (160, 64)])
    painting = window.preview.painting
    assert painting is not None and len(painting.strokes) == 1
    stroke = painting.strokes[0]
    assert len(stroke.points) == 4, "every mouse move is a point of the stroke"
    qtbot.waitUntil(lambda: edited(window, job), timeout=WAIT)
    cutout = exported(window, job, tmp_path)
    reach = distance_from(stroke, cutout.shape)
    assert (cutout[reach < 14, 3] == 0).all(), "cleared under the brush"
    far = reach > 16
    assert np.array_equal(cutout[far, 3], original[far, 3]), "alpha untouched elsewhere"
    assert (original[reach < 14, 3] == 255).mean() > 0.5, "there was something to erase"
    qtbot.waitUntil(lambda: "✎ edited" in window.queue.list.item(0).text(), timeout=WAIT)

    QTest.keyClick(window.preview, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not edited(window, job), timeout=WAIT)
    assert np.array_equal(exported(window, job, tmp_path)[..., 3], original[..., 3])
    redo = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    QTest.keyClick(window.preview, Qt.Key.Key_Z, redo)
    qtbot.waitUntil(lambda: edited(window, job), timeout=WAIT)
    assert np.array_equal(exported(window, job, tmp_path), cutout)

    size = window.preview.brush.size
    QTest.keyClick(window.preview, Qt.Key.Key_BracketRight)
    assert window.preview.brush.size == pytest.approx(size * 1.25)
    QTest.keyClick(window.preview, Qt.Key.Key_BracketLeft)
    assert window.preview.brush.size == pytest.approx(size)
    QTest.keyClick(window.preview, Qt.Key.Key_R)
    assert window.preview.brush.restore
    assert window.menu_actions[Command.RESTORE_BRUSH].isChecked()
    QTest.keyClick(window.preview, Qt.Key.Key_Escape)
    assert not window.preview.touching_up and not window.touch_bar.isVisible()
    assert window.core.ledger.balance(window.core.accounts.owner()) == 99, "edits are free"


def test_restore_and_reset_and_another_start_keeps_the_edit(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, home: Paths
) -> None:
    job = cut_out(qtbot, window, tmp_path)
    original = exported(window, job, tmp_path)
    touch_up(qtbot, window)
    window.preview.set_brush(Brush(restore=True, size=30, hardness=1.0))
    drag(window, [(200, 12), (240, 12)])  # the sky above the shoulder, dropped by the model
    qtbot.waitUntil(lambda: edited(window, job), timeout=WAIT)
    restored = exported(window, job, tmp_path)
    assert original[12, 220, 3] < 30 and restored[12, 220, 3] == 255
    window.touch_up.stop()

    with reopened(qtbot, home) as again:
        assert "✎ edited" in again.queue.list.item(0).text()
        again.queue.select_only(0)
        # The toolbar's button: the first window has the keys.
        again.menu_actions[Command.TOUCH_UP].trigger()
        qtbot.waitUntil(lambda: again.preview.touching_up, timeout=WAIT)
        painting = again.preview.painting
        assert painting is not None and len(painting.strokes) == 1 and painting.can_undo
        assert painting.mask[12, 220] == 255, "the stroke shown as it was saved"
        again.touch_up.reset()
        qtbot.waitUntil(lambda: not edited(again, job), timeout=WAIT)
        assert np.array_equal(exported(again, job, tmp_path)[..., 3], original[..., 3])


def test_undo_history_stays_with_each_job_while_the_window_is_open(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    first = cut_out(qtbot, window, tmp_path)
    original = exported(window, first, tmp_path)
    touch_up(qtbot, window)
    window.preview.set_brush(Brush(restore=False, size=30, hardness=1.0))
    drag(window, [(100, 60), (160, 60)])
    window.touch_up.stop()
    assert edited(window, first), "saved on leaving"
    second = cut_out(qtbot, window, tmp_path, "coffee")
    assert window.queue.current_id() == second.public_id
    touch_up(qtbot, window)
    assert window.preview.painting is not None and not window.preview.painting.can_undo
    window.touch_up.stop()
    window.queue.select_only(window.queue.ids().index(first.public_id))
    touch_up(qtbot, window)
    painting = window.preview.painting
    assert painting is not None and painting.can_undo and len(painting.strokes) == 1
    QTest.keyClick(window.preview, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert painting.can_redo, "the stroke can be redone: the history of this session"
    window.touch_up.stop()
    assert not edited(window, first)
    assert np.array_equal(exported(window, first, tmp_path)[..., 3], original[..., 3])


def test_backgrounds_chosen_in_the_window_are_in_the_saved_file(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    job = cut_out(qtbot, window, tmp_path)
    window.backgrounds.use_colour("#0000ff")
    qtbot.waitUntil(lambda: edited(window, job), timeout=WAIT)
    blue = exported(window, job, tmp_path)
    assert blue.shape[2] == 3 and tuple(blue[5, 250]) == (0, 0, 255)
    assert window.backgrounds.recent_colours()[0] == "#0000ff"
    window.backgrounds.aboutToShow.emit()
    labels = [action.text() for action in window.backgrounds.actions()]
    assert "#0000ff" in labels, "offered again among the recent colours"

    wall = tmp_path / "wall.png"
    wall.write_bytes(photo("coffee", (120, 80), "PNG"))
    window.backgrounds.use_picture(wall)
    qtbot.waitUntil(
        lambda: '"bg_image"' in (window.core.jobs.get(job.public_id).edits or ""), timeout=WAIT
    )
    window.touch_up.flush()
    pictured = exported(window, job, tmp_path)
    assert pictured.shape[2] == 3 and not np.array_equal(pictured, blue)

    window.backgrounds.blur()
    window.touch_up.flush()
    assert '"bg_blur"' in (window.core.jobs.get(job.public_id).edits or "")

    transparent = next(a for a in window.backgrounds.actions() if a.text() == "Transparent")
    transparent.trigger()
    window.touch_up.flush()
    assert not edited(window, job), "back to the cutout as it was made"
    assert exported(window, job, tmp_path).shape[2] == 4


def test_undo_histories_kept_are_bounded_by_the_pixels_of_their_photos(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(touch_up_module, "KEPT_PIXELS", 2 * 256 * 256)  # two of these photos
    jobs = [cut_out(qtbot, window, tmp_path, name) for name in ("astronaut", "coffee", "rocket")]
    for job in jobs:
        window.queue.select_id(job.public_id)
        touch_up(qtbot, window)
        window.touch_up.stop()
    kept = list(window.touch_up._paintings)
    assert kept == [jobs[1].public_id, jobs[2].public_id], "the oldest history given up"
