"""The touch-up's painting: what it shows is always the model's mask with its strokes laid in
order, through strokes, undo, redo and reset, and each change says where it happened."""

from __future__ import annotations

import numpy as np

from bgdesk.inference.retouch import HISTORY, MaskPainting
from bgdesk.inference.strokes import Stroke, lay


def model_mask() -> np.ndarray:
    ys, xs = np.mgrid[0:300, 0:400]
    mask: np.ndarray = np.clip(255 - np.hypot(xs - 200, ys - 150), 0, 255).astype(np.uint8)
    return mask


def expected(strokes: list[Stroke]) -> np.ndarray:
    mask = model_mask()
    lay(mask, strokes)
    return mask


def draw(painting: MaskPainting, stroke: Stroke) -> list[tuple[int, int, int, int] | None]:
    """Drag the brush through the stroke's points, as the view does."""
    boxes = [painting.begin(stroke.points[0], stroke.restore, stroke.size, stroke.hardness)]
    boxes += [painting.extend(point) for point in stroke.points[1:]]
    painting.end()
    return boxes


ERASE = Stroke(False, 30, 0.7, tuple((50.0 + 7 * i, 140.0 + 3 * i) for i in range(40)))
RESTORE = Stroke(True, 50, 0.2, ((300.0, 40.0), (360.0, 260.0)))


def test_a_drawn_stroke_is_the_stroke_laid_and_its_boxes_hold_every_change() -> None:
    painting = MaskPainting(model_mask())
    before = painting.mask.copy()
    boxes = draw(painting, ERASE)
    assert np.array_equal(painting.mask, expected([ERASE]))
    outside = np.ones(before.shape, bool)
    for box in boxes:
        assert box is not None
        outside[box[1] : box[3], box[0] : box[2]] = False
    assert np.array_equal(painting.mask[outside], before[outside])
    assert painting.strokes == [ERASE] and painting.can_undo and not painting.can_redo


def test_undo_redo_and_reset_always_show_the_strokes_in_force() -> None:
    painting = MaskPainting(model_mask())
    draw(painting, ERASE)
    draw(painting, RESTORE)
    assert painting.undo() is not None
    assert np.array_equal(painting.mask, expected([ERASE]))
    assert painting.redo() is not None
    assert np.array_equal(painting.mask, expected([ERASE, RESTORE]))
    assert painting.reset() is not None
    assert np.array_equal(painting.mask, model_mask()) and painting.strokes == []
    painting.undo()
    assert np.array_equal(painting.mask, expected([ERASE, RESTORE])), "a reset can be undone"
    painting.undo()
    draw(painting, RESTORE)
    assert not painting.can_redo, "a new stroke drops what was undone"
    assert painting.redo() is None


def test_strokes_laid_before_can_be_undone_one_by_one() -> None:
    painting = MaskPainting(model_mask(), [ERASE, RESTORE])
    assert np.array_equal(painting.mask, expected([ERASE, RESTORE]))
    painting.undo()
    painting.undo()
    assert np.array_equal(painting.mask, model_mask()) and not painting.can_undo


def test_a_thousand_strokes_stay_exact() -> None:
    """Many small strokes, undone and redone at random: the mask never drifts."""
    random = np.random.default_rng(7)
    painting = MaskPainting(model_mask())
    for _ in range(1000):
        if painting.can_undo and random.random() < 0.3:
            painting.undo()
        elif painting.can_redo and random.random() < 0.3:
            painting.redo()
        else:
            x, y = random.uniform(0, 400), random.uniform(0, 300)
            stroke = Stroke(
                bool(random.random() < 0.5),
                random.uniform(2, 40),
                random.random(),
                ((x, y), (x + random.uniform(-30, 30), y + random.uniform(-30, 30))),
            )
            draw(painting, stroke)
    assert np.array_equal(painting.mask, expected(painting.strokes))


def test_history_is_bounded() -> None:
    painting = MaskPainting(model_mask(), [RESTORE] * (HISTORY + 20))
    assert painting.undo_steps == HISTORY
    for _ in range(30):
        draw(painting, ERASE)
    assert painting.undo_steps == HISTORY
