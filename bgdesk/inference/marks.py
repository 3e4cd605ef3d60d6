"""A person's fix of a cutout as data: brush strokes, clicks and boxes, laid onto the model's
mask in the order they were made, the same way by the window, the API and every re-render."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from bgdesk.inference.selection import Click, PhotoSelection, Predictor, SubjectBox
from bgdesk.inference.strokes import Box, Stroke, lay

Mark = Stroke | Click | SubjectBox
MAX_MARKS = 10_000  # marks one cutout may carry
_KINDS: dict[str, type[Stroke] | type[Click] | type[SubjectBox]] = {
    "stroke": Stroke,
    "click": Click,
    "box": SubjectBox,
}


def mark_from_dict(values: dict[str, Any]) -> Mark:
    """A mark from its JSON form (a stroke when it names no kind: how strokes were kept)."""
    kind = values.get("kind", "stroke")
    if kind not in _KINDS:
        raise ValueError(f"a mark is one of {', '.join(_KINDS)}, not {kind!r}")
    return _KINDS[kind].from_dict(values)


def mark_to_dict(mark: Mark) -> dict[str, Any]:
    values = mark.to_dict()
    return values if "kind" in values else {"kind": "stroke"} | values


def box_models(marks: Iterable[Mark]) -> list[str | None]:
    """The models the boxes among `marks` ask to look (None: the job's own)."""
    return [mark.model for mark in marks if isinstance(mark, SubjectBox)]


class MarkLayer:
    """Lays marks onto masks of one photo; the photo's working copy is made at the first click
    or box, and kept for the next."""

    def __init__(self, photo: np.ndarray | None, predict: Predictor | None = None) -> None:
        self._photo = photo
        self._predict = predict
        self._selection: PhotoSelection | None = None

    @property
    def selection(self) -> PhotoSelection:
        if self._selection is None:
            if self._photo is None:
                raise ValueError("clicks and boxes need the photo")
            self._selection = PhotoSelection(self._photo)
        return self._selection

    def lay(self, mask: np.ndarray, mark: Mark, within: Box | None = None) -> Box | None:
        """Lay `mark` onto `mask` (h x w uint8, the photo's size) in place; the box it
        changed, or None when it changed nothing (`within` limits a stroke only)."""
        if isinstance(mark, Stroke):
            return _lay_stroke(mask, mark, within)
        if isinstance(mark, Click):
            return self.selection.click(mask, mark)
        if self._predict is None:
            raise ValueError("a box needs a model to look inside it")
        return self.selection.box(mask, mark, self._predict)

    def lay_all(self, mask: np.ndarray, marks: Sequence[Mark]) -> None:
        for mark in marks:
            self.lay(mask, mark)


def _lay_stroke(mask: np.ndarray, stroke: Stroke, within: Box | None) -> Box | None:
    height, width = mask.shape
    box = stroke.pixel_box(within or (0, 0, width, height))
    if box is not None:
        lay(mask, [stroke], box)
    return box
