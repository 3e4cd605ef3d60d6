"""The brush on a 12 MP mask: milliseconds to lay one segment of a stroke, as a mouse drag
delivers them (a segment every few pixels), for a few brush sizes.

    python bench/brush.py [--segments N]

The target is one frame (16 ms) a segment, so strokes follow the hand at 12 MP.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from itertools import pairwise

import numpy as np

from bgdesk.inference.strokes import Stroke, lay_segment

SIZE = (3000, 4000)  # 12 MP
STEP = 6.0  # pixels between the points a drag delivers


def per_segment(brush: float, segments: int) -> dict[str, float]:
    mask = np.full(SIZE, 255, np.uint8)
    points = [(500 + i * STEP, 1500 + 400 * math.sin(i / 40)) for i in range(segments + 1)]
    stroke = Stroke(False, brush, 0.6, tuple(points))
    times = []
    for start, end in pairwise(points):
        began = time.perf_counter()
        lay_segment(mask, stroke, start, end)
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return {
        "brush_px": brush,
        "median_ms": round(statistics.median(times), 3),
        "p95_ms": round(times[round(0.95 * (len(times) - 1))], 3),
        "max_ms": round(times[-1], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--segments", type=int, default=500)
    args = parser.parse_args()
    for brush in (20, 100, 400):
        print(per_segment(brush, args.segments))


if __name__ == "__main__":
    main()
