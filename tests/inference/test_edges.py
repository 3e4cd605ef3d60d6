"""Edge colours: the old background is taken out of half-transparent pixels, and nothing else
changes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from bgdesk.inference.edges import clean_edge_colours

GREEN = np.array([0, 255, 0], dtype=np.float32)


def soft_disc(size: int = 240) -> tuple[np.ndarray, np.ndarray]:
    """A textured orange subject (float RGB 0..255) and an alpha that falls off over 20 px."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    distance = np.hypot(x - size / 2, y - size / 2)
    alpha = np.clip((size * 0.35 - distance) / 20.0, 0.0, 1.0)
    subject = np.stack(
        [230 + 20 * np.sin(x / 7), 120 + 30 * np.cos(y / 9), 40 + 0 * x], axis=-1
    ).astype(np.float32)
    return subject, alpha


def laid_over(subject: np.ndarray, alpha: np.ndarray, colour: np.ndarray) -> np.ndarray:
    mixed = alpha[..., None] * subject + (1 - alpha[..., None]) * colour
    laid: np.ndarray = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
    return laid


def green_screen(size: int = 240) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The soft disc laid over green, cleaned with its own alpha: (subject, photo, alpha as
    0..255, cleaned photo)."""
    subject, alpha = soft_disc(size)
    photo = laid_over(subject, alpha, GREEN)
    alpha8 = np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8)
    cleaned = np.asarray(clean_edge_colours(Image.fromarray(photo), Image.fromarray(alpha8)))
    return subject, photo, alpha8, cleaned


def edge_errors(
    subject: np.ndarray, photo: np.ndarray, alpha8: np.ndarray, cleaned: np.ndarray
) -> tuple[float, float]:
    """The mean colour error over the half-transparent pixels, before and after cleaning."""
    soft = (alpha8 > 0) & (alpha8 < 255)
    before = np.abs(photo[soft].astype(np.float32) - subject[soft]).mean()
    after = np.abs(cleaned[soft].astype(np.float32) - subject[soft]).mean()
    return float(before), float(after)


def test_a_green_fringe_is_mostly_taken_out() -> None:
    subject, photo, alpha8, cleaned = green_screen()
    before, after = edge_errors(subject, photo, alpha8, cleaned)
    assert after < 0.25 * before, (before, after)
    soft = (alpha8 > 0) & (alpha8 < 255)
    greenness = cleaned[soft][:, 1].astype(np.float32) - subject[soft][:, 1]
    assert greenness.mean() < 0.25 * (photo[soft][:, 1] - subject[soft][:, 1]).mean()


def test_opaque_and_transparent_pixels_keep_their_colours() -> None:
    _, photo, alpha8, cleaned = green_screen()
    settled = (alpha8 == 0) | (alpha8 == 255)
    assert np.array_equal(cleaned[settled], photo[settled])
    assert not np.array_equal(cleaned[~settled], photo[~settled])


@pytest.mark.parametrize("value", [0, 255])
def test_a_mask_without_half_tones_changes_nothing(value: int) -> None:
    photo = Image.new("RGB", (64, 48), (10, 200, 30))
    alpha = Image.new("L", (64, 48), value)
    assert clean_edge_colours(photo, alpha) is photo


def test_a_large_photo_is_cleaned_from_a_small_copy() -> None:
    # 3.2 MP: the local colours are solved on a copy of 0.04 MP
    before, after = edge_errors(*green_screen(1800))
    assert after < 0.25 * before, (before, after)
