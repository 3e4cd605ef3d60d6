"""A cutout with no clear subject is marked for a look; a clear one is not."""

from __future__ import annotations

import numpy as np

from bgdesk.core.app import Core
from bgdesk.inference.assess import subject_warning
from bgdesk.inference.options import OutputOptions
from tests.conftest import photo


def disc(peak: float, ramp: float) -> tuple[np.ndarray, np.ndarray]:
    """A round subject in a 320-pixel square whose edge fades over `ramp` pixels:
    (probabilities, the mask stretched to 0..255)."""
    y, x = np.mgrid[:320, :320]
    edge = np.clip((100 - np.hypot(x - 160, y - 160)) / ramp, 0, 1)
    probabilities = (edge * peak).astype(np.float32)
    return probabilities, (edge * 255).astype(np.uint8)


def test_a_clear_subject_passes_and_doubtful_ones_say_why() -> None:
    assert subject_warning(*disc(0.99, ramp=2)) is None
    assert "nothing it is sure of" in str(subject_warning(*disc(0.5, ramp=2)))
    assert "half-transparent" in str(subject_warning(*disc(0.99, ramp=95)))
    probabilities = np.zeros((320, 320), np.float32)
    probabilities[:20, :20] = 0.99
    assert "nearly empty" in str(
        subject_warning(probabilities, (probabilities * 255).astype(np.uint8))
    )


def test_the_real_model_flags_a_lawn_and_not_a_portrait(core: Core) -> None:
    grass = core.engine.remove_background(photo("grass", (320, 240)), OutputOptions())
    portrait = core.engine.remove_background(photo("astronaut", (320, 320)), OutputOptions())
    assert str(grass.warning).startswith("No clear subject") and portrait.warning is None
