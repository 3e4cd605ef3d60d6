"""A working session's worth of zooming, panning, dragging the divider and switching the
backdrop over a 12 MP before/after pair: the process lives, None's reference count and the
memory stay where they were."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from bgdesk.gui.main_window import MainWindow
from bgdesk.gui.preview import BeforeAfterView
from tests.conftest import photo
from tests.gui.conftest import drop, rested

ROUNDS = 1500  # of four events each: wheel, pan, divider, backdrop


def resident_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS line")


def drag(view: BeforeAfterView, start: QPoint, end: QPoint, button: Qt.MouseButton) -> None:
    """Press, move in four steps, release: through QTest, as the window system delivers input."""
    QTest.mousePress(view, button, Qt.KeyboardModifier.NoModifier, start)
    for step in (0.25, 0.5, 0.75, 1.0):
        QTest.mouseMove(view, start + (end - start) * step)
        view.repaint()
    QTest.mouseRelease(view, button, Qt.KeyboardModifier.NoModifier, end)


def wheel(view: BeforeAfterView, point: QPoint, notches: int) -> None:
    QApplication.sendEvent(
        view,
        QWheelEvent(
            QPointF(point),
            view.mapToGlobal(QPointF(point)),
            QPoint(0, 0),
            QPoint(0, 120 * notches),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        ),
    )


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for memory")
def test_thousands_of_view_events_over_a_12_mp_pair(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    source = tmp_path / "astronaut-12mp.jpg"
    source.write_bytes(photo("astronaut", size=(4000, 3000)))
    drop(window, [source])
    qtbot.waitUntil(lambda: "Done" in "".join(window.queue.texts()), timeout=120_000)
    rested(qtbot, window)
    window.queue.select_only(0)
    view = window.preview
    qtbot.waitUntil(lambda: view.after is not None, timeout=30_000)
    assert view.after is not None and view.after.width() == 4000
    window.resize(1100, 700)
    rng = random.Random(9)

    def anywhere() -> QPoint:
        return QPoint(rng.randrange(view.width()), rng.randrange(view.height()))

    drag(view, anywhere(), anywhere(), Qt.MouseButton.LeftButton)  # warm every path once
    memory, nones = resident_mib(), sys.getrefcount(None)
    deepest, dividers = 1.0, set()
    for n in range(ROUNDS):
        # Zoom in for a while, then out again, so every zoom level is painted many times.
        wheel(view, anywhere(), 1 if (n // 40) % 2 == 0 else -1)
        view.repaint()
        deepest = max(deepest, view.zoom)
        drag(view, anywhere(), anywhere(), Qt.MouseButton.RightButton)
        drag(view, anywhere(), anywhere(), Qt.MouseButton.LeftButton)
        dividers.add(round(view.divider, 2))
        window.backdrop_choice.setCurrentIndex(n % window.backdrop_choice.count())
        view.repaint()
    drift = sys.getrefcount(None) - nones
    grown = resident_mib() - memory
    print(
        f"{ROUNDS * 4} events: None refcount drift {drift}, memory {grown:+.0f} MiB, "
        f"deepest zoom {deepest:.1f}x"
    )
    assert deepest >= 16.0 and len(dividers) > 50, "the soak reached every zoom and divider"
    assert abs(drift) < 1_000
    assert grown < 150, f"memory grew by {grown:.0f} MiB"
