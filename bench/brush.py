"""The brush on a 12 MP cutout: milliseconds per stroke segment, as a mouse drag delivers
them (a segment every few pixels), for a few brush sizes.

    python bench/brush.py [--segments N]

Two figures per brush: laying the segment on the mask alone, and the whole of what the
window does for it — lay it, write the touched box of the shown cutout (and its smaller
copies) again, and repaint that part of the view, fitted in a 1100 x 700 view and at 100 %.
The target is one frame (16 ms) a segment, so strokes follow the hand at 12 MP.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from collections.abc import Callable

import numpy as np

from bgdesk.inference.retouch import MaskPainting

SIZE = (3000, 4000)  # 12 MP
STEP = 6.0  # pixels between the points a drag delivers, on screen


def summary(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {
        "median_ms": round(statistics.median(times), 3),
        "p95_ms": round(times[round(0.95 * (len(times) - 1))], 3),
        "max_ms": round(times[-1], 3),
    }


def drag(scale: float, segments: int) -> list[tuple[float, float]]:
    """A wavy drag across the photo, a point every STEP screen pixels at `scale`."""
    step = STEP / scale
    return [
        (300 + (i * step) % 3400, 1500 + 600 * math.sin(i / 40) + 200 * (i * step // 3400))
        for i in range(segments + 1)
    ]


def timed(
    points: list[tuple[float, float]], one: Callable[[tuple[float, float]], object]
) -> list[float]:
    times = []
    for point in points[1:]:
        began = time.perf_counter()
        one(point)
        times.append((time.perf_counter() - began) * 1000)
    return times


def mask_alone(brush: float, segments: int, base: np.ndarray) -> dict[str, float]:
    painting = MaskPainting(base)
    points = drag(0.25, segments)
    painting.begin(points[0], False, brush, 0.6)
    return summary(timed(points, painting.extend))


def in_the_window(
    brush: float, segments: int, base: np.ndarray, photo: np.ndarray
) -> dict[str, object]:
    from PySide6.QtCore import QPointF
    from PySide6.QtWidgets import QApplication

    from bgdesk.gui.brush import PaintedCutout
    from bgdesk.gui.preview import BeforeAfterView, Brush

    QApplication.instance() or QApplication([])
    view = BeforeAfterView()
    view.resize(1100, 700)
    view.show()
    figures: dict[str, object] = {}
    for name, zoom in (("fitted", None), ("100%", 1.0)):
        painting = MaskPainting(base)
        view.start_touch_up(painting, PaintedCutout(photo, painting.mask))
        view.set_brush(Brush(False, brush, 0.6))
        if zoom is not None:
            view.zoom_at(QPointF(550, 350), zoom / view.fit_scale())
        QApplication.processEvents()
        scale = view.scale()
        if zoom is None:
            points = drag(scale, segments)
        else:  # about the view's centre, where the picture is zoomed to
            x, y = view.image_point(QPointF(550, 350))
            points = [
                (x + (i % 50 - 25) * STEP / scale, y + 3 * math.sin(i / 5) / scale)
                for i in range(segments + 1)
            ]
        painting.begin(points[0], False, brush, 0.6)

        def one(point: tuple[float, float], painting: MaskPainting = painting) -> None:
            box = painting.extend(point)
            if box is not None:
                view.painted.refresh(box)  # type: ignore[union-attr]
                view.repaint(view.on_screen(box))

        figures[name] = summary(timed(points, one))
        view.stop_touch_up()
    view.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--segments", type=int, default=400)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    random = np.random.default_rng(1)
    base = np.full(SIZE, 255, np.uint8)
    photo = random.integers(0, 256, (*SIZE, 3), dtype=np.uint8)
    for brush in (20, 100, 400):
        print({"brush_px": brush, "mask_only": mask_alone(brush, args.segments, base)})
        print({"brush_px": brush, "window": in_the_window(brush, args.segments, base, photo)})


if __name__ == "__main__":
    main()
