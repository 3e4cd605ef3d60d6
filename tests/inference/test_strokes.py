"""Brush strokes laid on a mask: exactly under the brush, nowhere else, the same laid at
once or segment by segment, and kept as data."""

from __future__ import annotations

import json
from itertools import pairwise

import numpy as np
import pytest

from bgdesk.inference.strokes import Stroke, lay, lay_segment


def filled(value: int) -> np.ndarray:
    return np.full((200, 300), value, np.uint8)


def test_erasing_changes_exactly_the_pixels_under_the_brush() -> None:
    mask = filled(255)
    stroke = Stroke(False, 20, 1.0, ((50, 100), (250, 100)))
    lay(mask, [stroke])
    ys, xs = np.mgrid[0:200, 0:300] + 0.5
    along = np.clip(xs, 50, 250)
    distance = np.hypot(xs - along, ys - 100)
    assert (mask[distance < 9.5] == 0).all(), "cleared under the brush"
    assert (mask[distance > 10.5] == 255).all(), "untouched beyond its radius"


def test_restoring_paints_the_subject_back_and_soft_brushes_fade() -> None:
    mask = filled(0)
    lay(mask, [Stroke(True, 40, 0.5, ((150, 100),))])
    assert mask[100, 150] == 255 and mask[100, 150 + 9] == 255  # within the hard half
    assert 0 < mask[100, 150 + 15] < 255, "fading between half the radius and the radius"
    assert mask[100, 150 + 21] == 0


def test_a_stroke_laid_segment_by_segment_is_the_stroke_laid_whole() -> None:
    points = tuple((40.0 + 9 * i, 100 + 40 * np.sin(i / 3)) for i in range(25))
    stroke = Stroke(False, 31, 0.3, points)
    whole = filled(255)
    lay(whole, [stroke])
    pieces = filled(255)
    touched = [lay_segment(pieces, stroke, a, b) for a, b in pairwise(points)]
    assert np.array_equal(whole, pieces)
    assert all(box is not None for box in touched)


def test_strokes_off_the_mask_touch_nothing() -> None:
    mask = filled(255)
    assert lay_segment(mask, Stroke(False, 10, 1, ((-50, -50),)), (-50, -50), (-40, -40)) is None
    assert (mask == 255).all()


def test_strokes_are_data_that_round_trip() -> None:
    stroke = Stroke(True, 12.5, 0.8, ((1.5, 2.0), (3.0, 4.25)))
    assert Stroke.from_dict(json.loads(json.dumps(stroke.to_dict()))) == stroke
    with pytest.raises(ValueError):
        Stroke(True, 0, 0.5, ((1, 1),))
    with pytest.raises(ValueError):
        Stroke(True, 5, 1.5, ((1, 1),))
