"""How sure the model is: a crisp subject scores high, a doubtful or empty one is marked."""

from __future__ import annotations

import numpy as np
import pytest

from bgdesk.core.app import Core
from bgdesk.inference.assess import DOUBTFUL, agreement, confidence, subject_warning
from bgdesk.request.options import OutputOptions
from tests.conftest import photo


def disc(peak: float, ramp: float, radius: float = 100) -> np.ndarray:
    """Foreground probabilities of a round subject in a 320-pixel square whose edge fades over
    `ramp` pixels."""
    y, x = np.mgrid[:320, :320]
    edge = np.clip((radius - np.hypot(x - 160, y - 160)) / ramp, 0, 1)
    probabilities: np.ndarray = (edge * peak).astype(np.float32)
    return probabilities


def mask_of(probabilities: np.ndarray) -> np.ndarray:
    mask: np.ndarray = (probabilities / probabilities.max() * 255).astype(np.uint8)
    return mask


def test_crisp_subjects_score_high_and_doubtful_ones_are_marked() -> None:
    crisp, faint, blurred = disc(0.99, 2), disc(0.5, 2), disc(0.99, 95)
    assert confidence(crisp) > 0.95
    assert confidence(faint) < DOUBTFUL and confidence(blurred) < DOUBTFUL
    assert subject_warning(confidence(crisp), mask_of(crisp)) is None
    assert "unsure" in str(subject_warning(confidence(faint), mask_of(faint)))
    assert "unsure" in str(subject_warning(confidence(blurred), mask_of(blurred)))
    speck = disc(0.99, 2, radius=15)
    assert "nearly empty" in str(subject_warning(confidence(speck), mask_of(speck)))
    assert confidence(np.zeros((320, 320), np.float32)) == 0.0


def test_two_models_overlapping_by_two_thirds_are_marked_as_disagreeing() -> None:
    subject = disc(0.99, 2)
    first = mask_of(subject)
    nearby, aside = np.roll(first, 10, axis=1), np.roll(first, 30, axis=1)
    assert agreement(first, nearby) > 0.85 and 0.65 < agreement(first, aside) < 0.7
    assert subject_warning(confidence(subject), first, agreement(first, nearby)) is None
    warning = subject_warning(confidence(subject), first, agreement(first, aside))
    assert "disagree" in str(warning)


@pytest.mark.slow
def test_the_real_model_flags_a_lawn_and_not_a_portrait(core: Core) -> None:
    grass = core.engine.remove_background(photo("grass", (320, 240)), OutputOptions())
    portrait = core.engine.remove_background(photo("astronaut", (320, 320)), OutputOptions())
    assert str(grass.warning).startswith("No clear subject") and portrait.warning is None
    assert grass.confidence is not None and portrait.confidence is not None
    assert grass.confidence < DOUBTFUL < portrait.confidence
    assert portrait.model == "u2netp"
