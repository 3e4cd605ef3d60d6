"""Edge colours without the old background: the subject's own colour in half-transparent pixels.

A pixel the mask keeps at, say, 40 % shows 40 % subject and 60 % of whatever was behind it. Laid
on a new background as it is, the old one shows through as a fringe (green around hair shot
on a green screen). Each such pixel's colour is re-estimated from I = a*F + (1 - a)*B:

1. On a small copy of the photo, the subject's colour F and the background's B are solved for
   every pixel at once, coarse to fine, with neighbours held alike where the alpha is alike
   (the multi-level scheme of Germer et al., "Fast Multi-Level Foreground Estimation", 2020).
2. At full resolution, each half-transparent pixel's F is the small copy's, moved towards what
   its own observed colour asks for by a step as large as its alpha (the correction of Forte
   and Pitie's blur fusion, 2021). Solving each pixel exactly instead would trust an alpha
   the model got wrong: where it is too low the old background is taken out twice, and green
   turns magenta.

The cost grows with the size of the subject's edge, not of the photo: only the small copy is
solved, and only half-transparent pixels are read and written at full size.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

WORK_PIXELS = 160_000  # the small copy's size: about the model's own resolution
SMOOTHNESS = 5e-3  # neighbours' pull everywhere...
EDGE_SMOOTHNESS = 0.1  # ...and more where the alpha changes between them
COARSE_SIDE, COARSE_ROUNDS, FINE_ROUNDS = 32, 10, 2


def clean_edge_colours(rgb: Image.Image, alpha: Image.Image) -> Image.Image:
    """`rgb` with each half-transparent pixel's colour replaced by the subject's own colour
    estimated under `alpha`; opaque and transparent pixels are left as they are."""
    alphas = np.asarray(alpha)
    rows, cols = np.nonzero((alphas > 0) & (alphas < 255))
    if rows.size == 0:
        return rgb
    foreground, background = _small_estimate(rgb, alpha)
    scale_y, scale_x = foreground.shape[0] / rgb.height, foreground.shape[1] / rgb.width
    pixels = np.asarray(rgb)
    observed = pixels[rows, cols].astype(np.float32) / 255.0
    a = (alphas[rows, cols].astype(np.float32) / 255.0)[:, None]
    f = _sample(foreground, rows, cols, scale_y, scale_x)
    b = _sample(background, rows, cols, scale_y, scale_x)
    estimate = f + a * (observed - a * f - (1.0 - a) * b)
    cleaned = np.array(pixels)  # Pillow's arrays are read-only
    cleaned[rows, cols] = np.clip(estimate * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return Image.fromarray(cleaned, "RGB")


def _small_estimate(rgb: Image.Image, alpha: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """F and B (float32, 0..1, h x w x 3) solved on a copy of about `WORK_PIXELS` pixels."""
    factor = min(1.0, math.sqrt(WORK_PIXELS / (rgb.width * rgb.height)))
    width, height = max(1, round(rgb.width * factor)), max(1, round(rgb.height * factor))
    image = _float(rgb.resize((width, height), Image.Resampling.BOX))
    a = _float(alpha.resize((width, height), Image.Resampling.BOX))
    levels = max(1, math.ceil(math.log2(max(width, height))))
    foreground = background = image.mean(axis=(0, 1), keepdims=True)
    for level in range(levels + 1):
        size = (max(1, round(width ** (level / levels))), max(1, round(height ** (level / levels))))
        level_image, level_alpha = _resized(image, size), _resized(a, size)
        foreground, background = _resized(foreground, size), _resized(background, size)
        rounds = COARSE_ROUNDS if max(size) <= COARSE_SIDE else FINE_ROUNDS
        foreground, background = _solve(level_image, level_alpha, foreground, background, rounds)
    return foreground, background


def _solve(
    image: np.ndarray, a: np.ndarray, foreground: np.ndarray, background: np.ndarray, rounds: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rounds of Jacobi updates of I = a*F + (1 - a)*B with smoothness between neighbours: each
    pixel's F and B solve a 2 x 2 system given its four neighbours' current values."""
    weights = [SMOOTHNESS + EDGE_SMOOTHNESS * np.abs(a - near) for near in _neighbours(a)]
    total = sum(weights[1:], weights[0])
    b = 1.0 - a
    f_f, f_b, b_b = a * a + total, a * b, b * b + total
    determinant = f_f * b_b - f_b * f_b
    for _ in range(rounds):
        near_f = sum((w * n for w, n in zip(weights, _neighbours(foreground), strict=True)))
        near_b = sum((w * n for w, n in zip(weights, _neighbours(background), strict=True)))
        want_f, want_b = a * image + near_f, b * image + near_b
        foreground = np.clip((b_b * want_f - f_b * want_b) / determinant, 0.0, 1.0)
        background = np.clip((f_f * want_b - f_b * want_f) / determinant, 0.0, 1.0)
    return foreground, background


def _neighbours(values: np.ndarray) -> tuple[np.ndarray, ...]:
    """The value above, below, left and right of each pixel (its own at the border)."""
    padded = np.pad(values, ((1, 1), (1, 1), (0, 0)), mode="edge")
    return padded[:-2, 1:-1], padded[2:, 1:-1], padded[1:-1, :-2], padded[1:-1, 2:]


def _float(image: Image.Image) -> np.ndarray:
    values = np.asarray(image, dtype=np.float32) / 255.0
    return values if values.ndim == 3 else values[..., None]


def _resized(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`values` (h x w x c float32) resampled bilinearly to `size` (width, height)."""
    if values.shape[1::-1] == size:
        return values
    channels = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(values[..., c])).resize(
                size, Image.Resampling.BILINEAR
            )
        )
        for c in range(values.shape[2])
    ]
    return np.stack(channels, axis=-1)


def _sample(
    grid: np.ndarray, rows: np.ndarray, cols: np.ndarray, scale_y: float, scale_x: float
) -> np.ndarray:
    """Bilinear samples of `grid` (the small copy) at full-resolution pixel centres."""
    height, width = grid.shape[:2]
    y = np.clip((rows + 0.5) * scale_y - 0.5, 0, height - 1).astype(np.float32)
    x = np.clip((cols + 0.5) * scale_x - 0.5, 0, width - 1).astype(np.float32)
    y0, x0 = y.astype(np.intp), x.astype(np.intp)
    y1, x1 = np.minimum(y0 + 1, height - 1), np.minimum(x0 + 1, width - 1)
    wy, wx = (y - y0)[:, None], (x - x0)[:, None]
    top = grid[y0, x0] * (1 - wx) + grid[y0, x1] * wx
    bottom = grid[y1, x0] * (1 - wx) + grid[y1, x1] * wx
    result: np.ndarray = top * (1 - wy) + bottom * wy
    return result
