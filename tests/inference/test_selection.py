"""Clicks and boxes on a mask, on drawn photos whose right answer is known: a click changes the
part it points at and nothing else, a box clears what is outside it, and a painting of mixed
marks undoes, redoes and lays again to the same pixels."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from bgdesk.core.job_records import marks_of
from bgdesk.inference.marks import Mark, MarkLayer, mark_from_dict, mark_to_dict
from bgdesk.inference.retouch import MaskPainting
from bgdesk.inference.selection import Click, PhotoSelection, SubjectBox
from bgdesk.inference.strokes import Stroke
from bgdesk.storage.models import Job

BODY = (slice(40, 120), slice(40, 120))  # rows, columns of the red subject
ARM = (slice(70, 90), slice(120, 170))  # its arm, of the same red, that the model missed
BLOB = (slice(125, 150), slice(8, 30))  # a blue thing apart that the model kept


def drawn_photo(scale: int = 1) -> np.ndarray:
    """A grey, slightly noisy backdrop with a red subject and its arm, and a blue blob."""
    noise = np.random.default_rng(7).integers(-6, 7, (160, 200, 3))
    photo = np.clip(120 + noise, 0, 255).astype(np.uint8)
    photo[BODY] = (200, 40, 30)
    photo[ARM] = (200, 40, 30)
    photo[BLOB] = (30, 60, 200)
    return np.kron(photo, np.ones((scale, scale, 1), np.uint8)) if scale > 1 else photo


def model_mask(scale: int = 1) -> np.ndarray:
    mask = np.zeros((160, 200), np.uint8)
    mask[BODY] = 255
    mask[BLOB] = 255
    return np.kron(mask, np.ones((scale, scale), np.uint8)) if scale > 1 else mask


def region(area: tuple[slice, slice], scale: int) -> tuple[slice, slice]:
    rows, columns = area
    return (
        slice(rows.start * scale, rows.stop * scale),
        slice(columns.start * scale, columns.stop * scale),
    )


def away_from(area: tuple[slice, slice], shape: tuple[int, ...], margin: int) -> np.ndarray:
    """Every pixel more than `margin` pixels outside `area`."""
    far = np.ones(shape[:2], bool)
    rows, columns = area
    far[
        max(0, rows.start - margin) : rows.stop + margin,
        max(0, columns.start - margin) : columns.stop + margin,
    ] = False
    return far


@pytest.mark.parametrize("scale", [1, 6], ids=["small", "larger than the working copy"])
def test_a_keep_click_brings_back_the_missed_part_and_nothing_else(scale: int) -> None:
    mask = model_mask(scale)
    before = mask.copy()
    changed = PhotoSelection(drawn_photo(scale)).click(
        mask, Click(145.0 * scale, 80.0 * scale, True)
    )
    arm = region(ARM, scale)
    assert changed is not None
    assert (mask[arm] >= 128).mean() > 0.95, "the arm is kept"
    far = away_from(arm, mask.shape, 2 * scale)
    assert np.array_equal(mask[far], before[far]), "nothing else changed"
    left, top, right, bottom = changed
    outside = np.ones(mask.shape, bool)
    outside[top:bottom, left:right] = False
    assert np.array_equal(mask[outside], before[outside]), "the box holds every change"


def test_a_click_on_a_thin_miss_moves_the_edge_along_it_and_no_further() -> None:
    """A model that cut the subject short by a 3-pixel strip down one side: a click on the
    strip, where a click's own reach is a few pixels, brings back the strip as far as the
    colours say it is subject, and leaves the backdrop beside it alone."""
    photo = drawn_photo()
    mask = model_mask()
    mask[40:120, 40:43] = 0  # the strip the model missed, of the subject's red
    before = mask.copy()
    PhotoSelection(photo).click(mask, Click(41.5, 80.0, True))
    strip = mask[40:120, 40:43] >= 128
    assert strip[:, 1].mean() > 0.5, "the strip came back far beyond the click"
    assert not (mask[:, :38] != before[:, :38]).any(), "the grey backdrop beside it stayed"
    assert np.array_equal(mask[:, 44:], before[:, 44:]), "the rest of the edge stayed"


def test_a_remove_click_drops_the_kept_thing_it_points_at() -> None:
    mask = model_mask()
    before = mask.copy()
    PhotoSelection(drawn_photo()).click(mask, Click(19.0, 137.0, False))
    assert (mask[BLOB] < 128).mean() > 0.98, "the blob is gone (its corners may stay)"
    far = away_from(BLOB, mask.shape, 2)
    assert np.array_equal(mask[far], before[far]), "the subject and backdrop untouched"


def test_a_click_on_the_side_it_asks_for_changes_nothing() -> None:
    mask = model_mask()
    selection = PhotoSelection(drawn_photo())
    assert selection.click(mask, Click(80.0, 80.0, True)) is None
    assert selection.click(mask, Click(5.0, 5.0, False)) is None
    assert np.array_equal(mask, model_mask())


def test_a_click_near_the_edge_only_trims_the_edge() -> None:
    """A remove click two pixels inside the subject's edge reaches a few pixels, not the
    subject."""
    mask = model_mask()
    PhotoSelection(drawn_photo()).click(mask, Click(41.5, 80.5, False))
    assert (mask[BODY] >= 128).mean() > 0.9


def test_a_box_clears_what_is_outside_and_adds_what_the_model_sees_inside() -> None:
    photo = drawn_photo()
    mask = model_mask()
    seen: list[tuple[int, int]] = []

    def predict(picture: Image.Image, model: str | None) -> np.ndarray:
        seen.append(picture.size)
        assert model == "u2netp"
        sees = np.zeros((picture.height, picture.width), np.uint8)
        sees[picture.height // 2 :, :] = 255  # the lower half of whatever it is shown
        return sees

    box = SubjectBox(36.0, 36.0, 176.0, 124.0, "u2netp")
    assert PhotoSelection(photo).box(mask, box, predict) == (0, 0, 200, 160)
    assert seen == [(168, 106)], "the box and a tenth of it more on each side"
    assert not mask[BLOB].any(), "outside the box: removed"
    assert (mask[BODY] == 255).all(), "what was kept inside stays"
    assert (mask[100:124, 36:176] == 255).all(), "and what the model saw there is added"


def test_marks_keep_their_kind_through_json_and_old_strokes_still_read() -> None:
    marks: list[Mark] = [
        Click(3.5, 4.0, False),
        SubjectBox(1, 2, 30, 40, "u2net"),
        Stroke(True, 12.0, 0.5, ((1.0, 2.0), (3.0, 4.0))),
    ]
    assert [mark_from_dict(mark_to_dict(mark)) for mark in marks] == marks
    legacy = {"restore": False, "size": 8, "hardness": 1, "points": [[1, 1]]}
    assert mark_from_dict(legacy) == Stroke(False, 8.0, 1.0, ((1.0, 1.0),))
    edited_before_clicks = Job(edits=json.dumps({"strokes": [legacy], "background": {}}))
    assert marks_of(edited_before_clicks) == (Stroke(False, 8.0, 1.0, ((1.0, 1.0),)),)
    with pytest.raises(ValueError, match="click, box"):
        mark_from_dict({"kind": "lasso"})
    with pytest.raises(ValueError, match="right"):
        SubjectBox(10, 10, 5, 20)


def test_mixed_marks_undo_redo_and_lay_again_to_the_same_pixels() -> None:
    photo = drawn_photo()
    layer = MarkLayer(photo)
    painting = MaskPainting(model_mask(), layer=layer)
    shown = [painting.mask.copy()]
    for mark in (Click(145.0, 80.0, True), Click(19.0, 137.0, False)):
        change = painting.work_out(mark)
        assert change is not None
        painting.accept(change)
        shown.append(painting.mask.copy())
    painting.begin((60.0, 60.0), False, 20.0, 1.0)
    painting.extend((100.0, 60.0))
    painting.end()
    shown.append(painting.mask.copy())
    again = MaskPainting(model_mask(), painting.marks, MarkLayer(photo))
    assert np.array_equal(again.mask, painting.mask), "laid again from the marks: the same"
    for expected in reversed(shown[:-1]):
        painting.undo()
        assert np.array_equal(painting.mask, expected)
    assert painting.marks == [] and not painting.can_undo
    for expected in shown[1:]:
        painting.redo()
        assert np.array_equal(painting.mask, expected)
    painting.reset()
    assert np.array_equal(painting.mask, model_mask()) and painting.marks == []
    painting.undo()
    assert np.array_equal(painting.mask, shown[-1]) and len(painting.marks) == 3
