"""Touching a cutout up by hand: the model's mask at the photo's size, and a painting of
marks (brush strokes, clicks, boxes) on it that can be undone and redone, each change reporting
the box it touched so a view redraws only that.

The mask is always the model's with the marks laid in order, as the engine lays them when it
makes the cutout again. Each step of the history keeps the pixels of the box it changed, before
and after, so undoing and redoing cost a copy of that box whatever the marks were.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from bgdesk.inference.marks import Mark, MarkLayer
from bgdesk.inference.strokes import Box, Stroke, lay_segment

HISTORY = 500  # steps that can be undone
HISTORY_BYTES = 256 << 20  # and the pixels they keep, at most


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


@dataclass(frozen=True)
class Change:
    """What laying one mark did (or would do) to the mask: the box it touched, the pixels
    there before and after, and the marks in force after it."""

    marks: tuple[Mark, ...]
    box: Box
    before: np.ndarray
    after: np.ndarray

    @property
    def size(self) -> int:
        return self.before.nbytes + self.after.nbytes


class MaskPainting:
    """The model's mask (`base`, h x w uint8) and the marks laid on it, with undo and redo
    (marks laid before, `marks`, can be undone one by one too). `mask` is what they make;
    every change returns the box of it that changed. `layer` lays clicks and boxes (it holds
    the photo); without one only strokes can be laid."""

    def __init__(
        self, base: np.ndarray, marks: Sequence[Mark] = (), layer: MarkLayer | None = None
    ) -> None:
        self.base = base
        self.mask = base.copy()
        self.layer = layer or MarkLayer(None)
        self.marks: list[Mark] = []
        self._undo: list[tuple[tuple[Mark, ...], Change]] = []  # marks before, and the change
        self._redo: list[tuple[tuple[Mark, ...], Change]] = []
        self._drawing: Stroke | None = None
        self._drawn: Box | None = None
        self._before_drawing: np.ndarray | None = None
        nothing = np.zeros((0, 0), np.uint8)
        for mark in marks:  # each a step to undo, those that changed nothing too
            change = self.work_out(mark)
            self.accept(change or Change((*self.marks, mark), (0, 0, 0, 0), nothing, nothing))

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

    @property
    def history_bytes(self) -> int:
        """The pixels the history keeps to undo and redo with."""
        return sum(change.size for _, change in self._undo + self._redo)

    @property
    def strokes(self) -> list[Stroke]:
        return [mark for mark in self.marks if isinstance(mark, Stroke)]

    # -- a click or a box: worked out (off the GUI thread), then accepted ----------------

    def work_out(self, mark: Mark) -> Change | None:
        """What laying `mark` would change, without changing the mask; None when nothing."""
        trial = self.mask.copy()
        box = self.layer.lay(trial, mark)
        if box is None:
            return None
        box = _changed_within(self.mask, trial, box)
        if box is None:
            return None
        left, top, right, bottom = box
        return Change(
            (*self.marks, mark),
            box,
            self.mask[top:bottom, left:right].copy(),
            trial[top:bottom, left:right].copy(),
        )

    def accept(self, change: Change) -> Box:
        """Make `change` (worked out on the mask as it is now) part of the painting; what
        was undone is dropped."""
        self._remember(tuple(self.marks), change)
        self._redo.clear()
        self._put(change.box, change.after)
        self.marks = list(change.marks)
        return change.box

    # -- a stroke, as the hand draws it -------------------------------------------------

    def begin(
        self, point: tuple[float, float], restore: bool, size: float, hardness: float
    ) -> Box | None:
        """Put the brush down at `point`."""
        self._drawing = Stroke(restore, size, hardness, (point,))
        self._before_drawing = self.mask.copy()
        self._drawn = lay_segment(self.mask, self._drawing, point, point)
        return self._drawn

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
        box = lay_segment(self.mask, stroke, last, point)
        self._drawn = union(self._drawn, box)
        return box

    def end(self) -> Stroke | None:
        """Lift the brush; the stroke joins the painting (and what was undone is dropped)."""
        stroke, self._drawing = self._drawing, None
        before, self._before_drawing = self._before_drawing, None
        drawn, self._drawn = self._drawn, None
        if stroke is None or before is None:
            return None
        box = drawn or (0, 0, 0, 0)
        left, top, right, bottom = box
        change = Change(
            (*self.marks, stroke),
            box,
            before[top:bottom, left:right].copy(),
            self.mask[top:bottom, left:right].copy(),
        )
        self._remember(tuple(self.marks), change)
        self._redo.clear()
        self.marks.append(stroke)
        return stroke

    # -- history -------------------------------------------------------------------------

    def undo(self) -> Box | None:
        if not self._undo or self.drawing:
            return None
        marks, change = self._undo.pop()
        self._redo.append((marks, change))
        self._put(change.box, change.before)
        self.marks = list(marks)
        return change.box

    def redo(self) -> Box | None:
        if not self._redo or self.drawing:
            return None
        marks, change = self._redo.pop()
        self._remember(marks, change)
        self._put(change.box, change.after)
        self.marks = list(change.marks)
        return change.box

    def reset(self) -> Box | None:
        """Back to the model's mask, as one step that can be undone."""
        if not self.marks or self.drawing:
            return None
        height, width = self.mask.shape
        change = Change((), (0, 0, width, height), self.mask.copy(), self.base.copy())
        return self.accept(change)

    def _put(self, box: Box, pixels: np.ndarray) -> None:
        left, top, right, bottom = box
        self.mask[top:bottom, left:right] = pixels

    def _remember(self, marks: tuple[Mark, ...], change: Change) -> None:
        self._undo.append((marks, change))
        del self._undo[:-HISTORY]
        kept = self.history_bytes
        while len(self._undo) > 1 and kept > HISTORY_BYTES:
            kept -= self._undo.pop(0)[1].size


def _changed_within(before: np.ndarray, after: np.ndarray, box: Box) -> Box | None:
    """The smallest box holding every pixel that differs between `before` and `after` inside
    `box` (a view redraws only that), or None when none does."""
    left, top, right, bottom = box
    changed = before[top:bottom, left:right] != after[top:bottom, left:right]
    rows, columns = np.nonzero(changed.any(axis=1))[0], np.nonzero(changed.any(axis=0))[0]
    if rows.size == 0:
        return None
    return (
        left + int(columns[0]),
        top + int(rows[0]),
        left + int(columns[-1]) + 1,
        top + int(rows[-1]) + 1,
    )
