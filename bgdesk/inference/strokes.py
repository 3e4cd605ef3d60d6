"""Brush strokes on a mask: a person's fix of a cutout, kept as data (what was painted where)
and laid onto the model's mask at any size.

A stroke is a line through points with a round brush: full strength within `hardness` of its
radius, fading to nothing at the radius. Erasing keeps, at each pixel, the lesser of the mask
and what the brush leaves; restoring the greater of the mask and what it paints. Both are
the same whether a stroke is laid at once or one segment after another (the lesser of two
lessers is the least), so a stroke is laid segment by segment, each touching only the pixels
around it: the cost follows the brush, not the photo.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_POINTS = 100_000
Box = tuple[int, int, int, int]  # left, top, right, bottom, in pixels


@dataclass(frozen=True)
class Stroke:
    """One drag of the brush, in the photo's pixels."""

    restore: bool  # True: paint the subject back; False: erase it
    size: float  # the brush's diameter
    hardness: float  # 0..1: the share of the radius painted at full strength
    points: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        if not (self.size > 0 and 0 <= self.hardness <= 1 and 0 < len(self.points) <= MAX_POINTS):
            raise ValueError("a stroke needs a size, a hardness in 0..1 and some points")

    def to_dict(self) -> dict[str, Any]:
        return {
            "restore": self.restore,
            "size": self.size,
            "hardness": self.hardness,
            "points": [list(point) for point in self.points],
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Stroke:
        return cls(
            bool(values["restore"]),
            float(values["size"]),
            float(values["hardness"]),
            tuple((float(x), float(y)) for x, y in values["points"]),
        )

    def pixel_box(self, within: Box) -> Box | None:
        """The pixels the stroke may touch, inside `within`; None when none are."""
        return _around(self.points, self.size / 2, within)


def lay(
    mask: np.ndarray,
    strokes: Iterable[Stroke],
    within: Box | None = None,
) -> None:
    """Lay `strokes` onto `mask` (h x w uint8), in place and in order (only inside the box
    `within`, when given)."""
    for stroke in strokes:
        points = stroke.points
        for start, end in zip(points, points[1:] or points, strict=False):
            lay_segment(mask, stroke, start, end, within)


def lay_segment(
    mask: np.ndarray,
    stroke: Stroke,
    start: Sequence[float],
    end: Sequence[float],
    within: Box | None = None,
) -> Box | None:
    """Lay the part of `stroke` from `start` to `end` onto `mask` (only inside the box
    `within`, when given); returns the box it touched (left, top, right, bottom), or None
    when that is off the mask."""
    radius = stroke.size / 2
    height, width = mask.shape
    box = _around((start, end), radius, within or (0, 0, width, height))
    if box is None:
        return None
    left, top, right, bottom = box
    distance = _distance_to_segment(left, top, right, bottom, start, end)
    full = radius * stroke.hardness
    fade = max(radius - full, 1e-6)
    strength = np.clip((radius - distance) / fade, 0.0, 1.0)
    painted = np.rint(strength * 255).astype(np.uint8)
    area = mask[top:bottom, left:right]
    if stroke.restore:
        np.maximum(area, painted, out=area)
    else:
        np.minimum(area, 255 - painted, out=area)
    return left, top, right, bottom


def _around(points: Sequence[Sequence[float]], radius: float, within: Box) -> Box | None:
    """The pixels within `radius` of the box around `points`, inside `within`."""
    xs, ys = [point[0] for point in points], [point[1] for point in points]
    left = max(within[0], int(np.floor(min(xs) - radius)))
    top = max(within[1], int(np.floor(min(ys) - radius)))
    right = min(within[2], int(np.ceil(max(xs) + radius)) + 1)
    bottom = min(within[3], int(np.ceil(max(ys) + radius)) + 1)
    return (left, top, right, bottom) if left < right and top < bottom else None


def _distance_to_segment(
    left: int, top: int, right: int, bottom: int, start: Sequence[float], end: Sequence[float]
) -> np.ndarray:
    """How far each pixel centre of the box is from the segment start-end."""
    xs = np.arange(left, right, dtype=np.float32)[None, :] + 0.5
    ys = np.arange(top, bottom, dtype=np.float32)[:, None] + 0.5
    dx, dy = end[0] - start[0], end[1] - start[1]
    length = dx * dx + dy * dy
    if length == 0:
        along = np.zeros((1, 1), np.float32)
    else:
        along = np.clip(((xs - start[0]) * dx + (ys - start[1]) * dy) / length, 0.0, 1.0)
    distance: np.ndarray = np.hypot(xs - (start[0] + along * dx), ys - (start[1] + along * dy))
    return distance
