"""Selecting with clicks and a box: a person's quick fix of a cutout, kept as data (like brush
strokes) and laid onto the mask in order.

A click says "this belongs to the subject" (keep) or "this does not" (remove). It changes the
part of the mask around it that is on the wrong side: the pixels reachable from the click
without leaving that side and without crossing a strong edge of the photo, no farther (edges
making the way longer) than `REACH` times the click's depth, how far it lies from the mask's
edge. A click in the middle of a missed arm reaches the arm; a click near the edge only trims
the edge; the rest of the mask is left as it was, soft edges (hair) included.

A box says "the subject is in here": everything outside it is removed, and the model looks
again at the boxed part of the photo (with a margin of context), so what it sees there joins
what the mask already kept.

Both work on a copy of the photo at most `WORK_SIDE` pixels on its long side, so a click costs
the same on a 12 MP photo as on a small one; the change is scaled back up with soft edges.
Measured on photos with human-made masks by `bench/clicks.py` (docs/models.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from bgdesk.inference.reach import (
    BLOCKED,
    EDGE_PIXEL,
    depth_at,
    edge_cost,
    enclosed,
    grown,
    ways_from,
)
from bgdesk.inference.snapping import snapped_region
from bgdesk.inference.strokes import Box

WORK_SIDE = 640  # the long side of the copy of the photo a click is worked out on
REACH = 3.0  # a click changes pixels up to this many times its depth away (measured)
EDGE_BAND = 2  # pixels of edge a click's region takes in along its border
BOX_CONTEXT = 0.1  # the model sees this share of the box's size beyond each of its sides

Predictor = Callable[[Image.Image, "str | None"], np.ndarray]  # picture, model -> mask at its size


@dataclass(frozen=True)
class Click:
    """A click on the photo, in its pixels: `keep` says the point belongs to the subject."""

    x: float
    y: float
    keep: bool

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "click", "x": self.x, "y": self.y, "keep": self.keep}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Click:
        return cls(float(values["x"]), float(values["y"]), bool(values["keep"]))


@dataclass(frozen=True)
class SubjectBox:
    """A box around the subject, in the photo's pixels; `model` is the one that looks inside
    it (None: the job's own)."""

    left: float
    top: float
    right: float
    bottom: float
    model: str | None = None

    def __post_init__(self) -> None:
        if not (self.right > self.left and self.bottom > self.top):
            raise ValueError(
                "a box needs its right side past its left and its bottom below its top"
            )

    def to_dict(self) -> dict[str, Any]:
        values = {
            "kind": "box",
            "left": self.left,
            "top": self.top,
            "right": self.right,
            "bottom": self.bottom,
        }
        return values | ({"model": self.model} if self.model else {})

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> SubjectBox:
        model = values.get("model")
        return cls(
            float(values["left"]),
            float(values["top"]),
            float(values["right"]),
            float(values["bottom"]),
            str(model) if model else None,
        )


class PhotoSelection:
    """A photo made ready for clicks and boxes: its working copy and where its edges are."""

    def __init__(self, photo: np.ndarray) -> None:
        self.photo = photo  # h x w x 3, uint8, RGB
        height, width = photo.shape[:2]
        scale = min(1.0, WORK_SIDE / max(height, width))
        self.work_size = (max(1, round(width * scale)), max(1, round(height * scale)))
        picture = Image.fromarray(photo)
        if self.work_size != (width, height):
            picture = picture.resize(self.work_size, Image.Resampling.BOX)
        self.cost = edge_cost(picture)
        self.colours = np.asarray(picture, np.float32)

    def click(self, mask: np.ndarray, click: Click) -> Box | None:
        """Lay `click` onto `mask` (h x w uint8, the photo's size) in place; the box it
        changed, or None when the point is already on the side the click asks for."""
        height, width = mask.shape
        work_width, work_height = self.work_size
        working = mask
        if self.work_size != (width, height):
            small = Image.fromarray(mask).resize(self.work_size, Image.Resampling.BOX)
            working = np.asarray(small)
        x = min(work_width - 1, max(0, int(click.x * work_width / width)))
        y = min(work_height - 1, max(0, int(click.y * work_height / height)))
        region = clicked_region(working >= 128, self.cost, self.colours, (x, y), click.keep)
        if region is None:
            return None
        return _lay_region(mask, region, click.keep)

    def box(self, mask: np.ndarray, box: SubjectBox, predict: Predictor) -> Box | None:
        """Lay `box` onto `mask` in place: nothing kept outside it, and inside what the model
        sees there added to what was kept. The box it changed (all of the mask)."""
        height, width = mask.shape
        left, top = max(0, int(box.left)), max(0, int(box.top))
        right, bottom = min(width, int(np.ceil(box.right))), min(height, int(np.ceil(box.bottom)))
        if left >= right or top >= bottom:
            return None
        margin_x = round(BOX_CONTEXT * (right - left))
        margin_y = round(BOX_CONTEXT * (bottom - top))
        seen_left, seen_top = max(0, left - margin_x), max(0, top - margin_y)
        seen_right, seen_bottom = min(width, right + margin_x), min(height, bottom + margin_y)
        picture = Image.fromarray(self.photo[seen_top:seen_bottom, seen_left:seen_right])
        seen = predict(picture, box.model)
        inside = mask[top:bottom, left:right]
        np.maximum(
            inside,
            seen[top - seen_top : bottom - seen_top, left - seen_left : right - seen_left],
            out=inside,
        )
        mask[:top] = 0
        mask[bottom:] = 0
        mask[:, :left] = 0
        mask[:, right:] = 0
        return (0, 0, width, height)


def clicked_region(
    kept: np.ndarray,
    cost: np.ndarray,
    colours: np.ndarray,
    point: tuple[int, int],
    keep: bool,
) -> np.ndarray | None:
    """The pixels a click at `point` (x, y) changes on a mask that keeps `kept` (bool), or
    None when the point is already on the side the click asks for."""
    wrong = ~kept if keep else kept
    x, y = point
    if not wrong[y, x]:
        return None
    depth = max(1.0, depth_at(wrong, x, y))
    reach = REACH * depth
    # Every step costs at least 1, so nothing farther than `reach` in a straight line can be
    # reached: the ways are worked out inside that square only.
    height, width = kept.shape
    span = int(np.ceil(reach))
    left, top = max(0, x - span), max(0, y - span)
    right, bottom = min(width, x + span + 1), min(height, y + span + 1)
    costs = np.where(wrong[top:bottom, left:right], cost[top:bottom, left:right], BLOCKED)
    start = np.zeros(costs.shape, bool)
    start[y - top, x - left] = True
    region = np.zeros(kept.shape, bool)
    region[top:bottom, left:right] = ways_from(costs, start) <= reach
    # The way stops where an edge's cost rises, a pixel or two before the edge itself: the
    # region takes in the band of edge pixels along its border.
    band = wrong & (cost >= EDGE_PIXEL)
    for _ in range(EDGE_BAND):
        region |= grown(region) & band
    # What the region closes in on its side (a glint on a visor, a patch on a shirt) is
    # part of what the click pointed at.
    rows, columns = np.nonzero(region)
    inside = (slice(rows.min(), rows.max() + 1), slice(columns.min(), columns.max() + 1))
    region[inside] |= enclosed(region[inside]) & wrong[inside]
    # Along the cutout's edge nearby, what looks like the click's side joins it.
    snapped = snapped_region(kept, colours, point, keep, depth)
    if snapped is not None:
        region |= snapped
    return region


def _lay_region(mask: np.ndarray, region: np.ndarray, keep: bool) -> Box:
    """Set `region` (bool, at a working size) on `mask` (at the photo's size) to kept or
    removed, its edge soft where the working pixels are scaled up; returns the box changed."""
    height, width = mask.shape
    work_height, work_width = region.shape
    rows, columns = np.nonzero(region)
    # One working pixel more on each side, so the soft edge is wholly inside the box.
    top, bottom = max(0, int(rows.min()) - 1), min(work_height, int(rows.max()) + 2)
    left, right = max(0, int(columns.min()) - 1), min(work_width, int(columns.max()) + 2)
    across, down = width / work_width, height / work_height
    box = (
        int(left * across),
        int(top * down),
        min(width, int(np.ceil(right * across))),
        min(height, int(np.ceil(bottom * down))),
    )
    part = Image.fromarray(region[top:bottom, left:right].astype(np.float32))
    size = (box[2] - box[0], box[3] - box[1])
    if size != part.size:
        part = part.resize(size, Image.Resampling.BILINEAR)
    painted = np.rint(np.asarray(part) * 255).astype(np.uint8)
    area = mask[box[1] : box[3], box[0] : box[2]]
    if keep:
        np.maximum(area, painted, out=area)
    else:
        np.minimum(area, 255 - painted, out=area)
    return box
