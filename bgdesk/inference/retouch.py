"""Touching a cutout up by hand: the model's mask at the photo's size, and a painting of
strokes on it that can be undone and redone, each change reporting the box it touched so a
view redraws only that.

The mask is always the model's with the strokes laid in order, as the engine lays them
when it makes the cutout again; undoing lays the remaining strokes again inside the undone
stroke's box only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from bgdesk.inference.strokes import Box, Stroke, lay, lay_segment

HISTORY = 500  # steps that can be undone; each holds a list of the strokes then in force


def full_mask(small: Image.Image, size: tuple[int, int]) -> Image.Image:
    """A model's mask scaled up to the photo's `size`, as every cutout is made from it."""
    return small.resize(size, Image.Resampling.LANCZOS)


def union(first: Box | None, second: Box | None) -> Box | None:
    if first is None or second is None:
        return first or second
    return (
        min(first[0], second[0]),
        min(first[1], second[1]),
        max(first[2], second[2]),
        max(first[3], second[3]),
    )


class MaskPainting:
    """The model's mask (`base`, h x w uint8) and the strokes laid on it, with undo and redo
    (strokes laid before, `strokes`, can be undone one by one too). `mask` is what they make;
    every change returns the box of it that changed."""

    def __init__(self, base: np.ndarray, strokes: Sequence[Stroke] = ()) -> None:
        self.base = base
        self.mask = base.copy()
        self._whole: Box = (0, 0, base.shape[1], base.shape[0])
        self.strokes: list[Stroke] = []
        self._undo: list[list[Stroke]] = []  # earlier stroke lists, the latest last
        self._redo: list[list[Stroke]] = []
        self._drawing: Stroke | None = None
        self._set(list(strokes))
        earliest = max(0, len(strokes) - HISTORY)
        self._undo = [list(strokes[:count]) for count in range(earliest, len(strokes))]

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def undo_steps(self) -> int:
        return len(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def drawing(self) -> bool:
        return self._drawing is not None

    # -- a stroke, as the hand draws it -------------------------------------------------

    def begin(
        self, point: tuple[float, float], restore: bool, size: float, hardness: float
    ) -> Box | None:
        """Put the brush down at `point`."""
        self._drawing = Stroke(restore, size, hardness, (point,))
        return lay_segment(self.mask, self._drawing, point, point)

    def extend(self, point: tuple[float, float]) -> Box | None:
        """Move the brush, down, to `point`: the segment from the last point is laid."""
        stroke = self._drawing
        if stroke is None:
            return None
        last = stroke.points[-1]
        if abs(point[0] - last[0]) < 0.5 and abs(point[1] - last[1]) < 0.5:
            return None  # less than a pixel: nothing to lay
        self._drawing = Stroke(
            stroke.restore, stroke.size, stroke.hardness, (*stroke.points, point)
        )
        return lay_segment(self.mask, stroke, last, point)

    def end(self) -> Stroke | None:
        """Lift the brush; the stroke joins the painting (and what was undone is dropped)."""
        stroke, self._drawing = self._drawing, None
        if stroke is not None:
            self._remember(list(self.strokes))
            self._redo.clear()
            self.strokes.append(stroke)
        return stroke

    def _remember(self, strokes: list[Stroke]) -> None:
        self._undo.append(strokes)
        del self._undo[:-HISTORY]

    # -- history -------------------------------------------------------------------------

    def undo(self) -> Box | None:
        if not self._undo or self.drawing:
            return None
        self._redo.append(self.strokes)
        return self._set(self._undo.pop())

    def redo(self) -> Box | None:
        if not self._redo or self.drawing:
            return None
        self._remember(self.strokes)
        return self._set(self._redo.pop())

    def reset(self) -> Box | None:
        """Back to the model's mask, as one step that can be undone."""
        if not self.strokes or self.drawing:
            return None
        self._remember(self.strokes)
        self._redo.clear()
        return self._set([])

    def _set(self, strokes: list[Stroke]) -> Box | None:
        """Make `strokes` the painting; only the box the strokes that differ cover is laid
        again."""
        shared = 0
        for before, after in zip(self.strokes, strokes, strict=False):
            if before is not after:
                break
            shared += 1
        changed: Box | None = None
        for stroke in self.strokes[shared:] + strokes[shared:]:
            changed = union(changed, stroke.pixel_box(self._whole))
        self.strokes = strokes
        if changed is not None:
            self._lay_again(changed)
        return changed

    def _lay_again(self, box: Box) -> None:
        left, top, right, bottom = box
        self.mask[top:bottom, left:right] = self.base[top:bottom, left:right]
        for stroke in self.strokes:
            covered = stroke.pixel_box(box)
            if covered is not None:
                lay(self.mask, [stroke], box)
