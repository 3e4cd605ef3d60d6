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

WORK_PIXELS = 40_000  # error ratio 0.362 in bench/edges.py; 160 000: 0.333, +40 ms at 12 MP
SMOOTHNESS = 5e-3  # neighbours' pull everywhere...
EDGE_SMOOTHNESS = 0.1  # ...and more where the alpha changes between them
COARSE_SIDE, COARSE_ROUNDS, FINE_ROUNDS = 32, 10, 2
STRIP_PIXELS = 1 << 20  # pixels re-estimated at a time at full size
_ALPHA = np.arange(256, dtype=np.float32) / np.float32(255)
_ALPHA_TIMES_1_MINUS_ALPHA = _ALPHA * (1 - _ALPHA)


class EdgeColours:
    """The subject's and the background's local colours under one photo's alpha, ready to
    re-estimate the colour of any of its half-transparent pixels, a strip at a time (so the
    PNG encoder can do it in parallel, on strips it copies anyway)."""

    def __init__(self, rgb: Image.Image, alpha: Image.Image, size: tuple[int, int]) -> None:
        """From the photo (or any smaller copy of it, such as the model's view: the aspect
        may differ) and its alpha at the same size; `size` is the photo's."""
        foreground, background = _small_estimate(rgb, alpha, size)
        means = _finer(np.concatenate([foreground, background - foreground]), size)
        self.grid_size = means.shape[1:]
        # F's three channels, then B - F's, each one row; in 0..255, as the pixels are
        self.means = means.reshape(6, -1) * np.float32(255)
        self.width, self.height = size

    def fix(self, rgba: np.ndarray, top: int, left: int = 0) -> None:
        """Re-estimate, in place, the colours of the half-transparent pixels of `rgba` (h x w x
        4 uint8, alpha last: the part of the photo from row `top` and column `left`)."""
        height, width = rgba.shape[:2]
        # One little-endian word per pixel, alpha in the top byte: whole pixels are gathered
        # and scattered at once, and each channel is worked on as one contiguous row (numpy is
        # several times slower on a pixel's three channels side by side).
        packed = rgba.reshape(-1).view("<u4")
        edge = np.flatnonzero(packed - np.uint32(1 << 24) < np.uint32(254 << 24))  # alpha 1..254
        if edge.size == 0:
            return
        grid_height, grid_width = self.grid_size
        grid_row = (np.arange(top, top + height) * grid_height // self.height) * grid_width
        grid_col = np.arange(left, left + width) * grid_width // self.width
        rows = edge // width
        cell = np.take(grid_row, rows)  # np.take: markedly cheaper than indexing with arrays
        cell += np.take(grid_col, edge - rows * width)
        pixels = np.take(packed, edge)
        alpha = (pixels >> 24).astype(np.uint8)
        a, a_times_1_minus_a = np.take(_ALPHA, alpha), np.take(_ALPHA_TIMES_1_MINUS_ALPHA, alpha)
        fixed = pixels & np.uint32(0xFF000000)
        for channel in range(3):
            f = np.take(self.means[channel], cell)
            b_minus_f = np.take(self.means[3 + channel], cell)
            # f + a * (I - a*f - (1 - a)*b), rearranged to need f and b - f only; in 0..255
            estimate = ((pixels >> (8 * channel)) & np.uint32(0xFF)).astype(np.float32)
            estimate -= f
            estimate *= a
            estimate += f
            b_minus_f *= a_times_1_minus_a
            estimate -= b_minus_f
            estimate += 0.5
            np.clip(estimate, 0, 255, out=estimate)
            fixed |= estimate.astype(np.uint32) << (8 * channel)
        np.put(packed, edge, fixed)

    def apply(
        self, rgb: Image.Image, alpha: Image.Image, box: tuple[int, int] = (0, 0)
    ) -> Image.Image:
        """`rgb` (the photo, or its part from `box`'s left and top) with its half-transparent
        pixels under `alpha` re-estimated; a new image, or `rgb` itself when none is."""
        if not any(alpha.histogram()[1:255]):
            return rgb
        fixed = rgb.copy()
        width = rgb.width
        rows = max(1, STRIP_PIXELS // width)
        for top in range(0, rgb.height, rows):  # a strip at a time: no full-size arrays
            strip = (0, top, width, min(rgb.height, top + rows))
            rgba = rgb.crop(strip)
            rgba.putalpha(alpha.crop(strip))
            pixels = np.array(rgba)
            self.fix(pixels, box[1] + top, box[0])
            fixed.paste(Image.fromarray(pixels, "RGBA").convert("RGB"), strip[:2])
        return fixed


def clean_edge_colours(rgb: Image.Image, alpha: Image.Image) -> Image.Image:
    """`rgb` with each half-transparent pixel's colour replaced by the subject's own colour
    estimated under `alpha`; opaque and transparent pixels are left as they are."""
    return EdgeColours(rgb, alpha, rgb.size).apply(rgb, alpha)


def _finer(means: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The small copy's means, bilinearly at up to an eighth of the photo's size: close
    enough to read each full-size pixel's from the nearest (they are smooth), and far cheaper
    than interpolating for every pixel."""
    width, height = size
    step = max(1, min(8, round(width / means.shape[2])))
    return _resized(means, (max(1, width // step), max(1, height // step)))


def _small_estimate(
    rgb: Image.Image, alpha: Image.Image, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """F and B (float32, 0..1, 3 x h x w) solved on a copy of about `WORK_PIXELS` pixels in
    the aspect of a photo of `size`."""
    factor = min(1.0, math.sqrt(WORK_PIXELS / (size[0] * size[1])))
    width, height = max(1, round(size[0] * factor)), max(1, round(size[1] * factor))
    image = _float(rgb.resize((width, height), Image.Resampling.BOX, reducing_gap=2.0))
    a = _float(alpha.resize((width, height), Image.Resampling.BOX, reducing_gap=2.0))
    levels = max(1, math.ceil(math.log2(max(width, height))))
    foreground = background = image.mean(axis=(1, 2), keepdims=True)
    for level in range(levels + 1):
        share = level / levels
        shrunk = (max(1, round(width**share)), max(1, round(height**share)))
        level_image, level_alpha = _resized(image, shrunk), _resized(a, shrunk)
        foreground, background = _resized(foreground, shrunk), _resized(background, shrunk)
        rounds = COARSE_ROUNDS if max(shrunk) <= COARSE_SIDE else FINE_ROUNDS
        foreground, background = _solve(level_image, level_alpha, foreground, background, rounds)
    return foreground, background


def _solve(
    image: np.ndarray, a: np.ndarray, foreground: np.ndarray, background: np.ndarray, rounds: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rounds of Jacobi updates of I = a*F + (1 - a)*B with smoothness between neighbours: each
    pixel's F and B solve a 2 x 2 system given its four neighbours' current values."""
    weights = [
        SMOOTHNESS + EDGE_SMOOTHNESS * np.abs(a - near) for near in _neighbours(_bordered(a))
    ]
    total = weights[0] + weights[1] + weights[2] + weights[3]
    b = 1.0 - a
    f_f, f_b, b_b = a * a + total, a * b, b * b + total
    inverse = 1.0 / (f_f * b_b - f_b * f_b)
    observed = np.concatenate([a * image, b * image])  # what F and B must explain
    both = _bordered(np.concatenate([foreground, background]))
    inside = both[:, 1:-1, 1:-1]
    for _ in range(rounds):
        up, down, left, right = _neighbours(both)
        want = observed + weights[0] * up
        want += weights[1] * down
        want += weights[2] * left
        want += weights[3] * right
        want_f, want_b = want[:3], want[3:]
        new_f = (b_b * want_f - f_b * want_b) * inverse
        new_b = (f_f * want_b - f_b * want_f) * inverse
        np.clip(new_f, 0.0, 1.0, out=inside[:3])
        np.clip(new_b, 0.0, 1.0, out=inside[3:])
        _copy_border(both)
    return inside[:3], inside[3:]


def _bordered(values: np.ndarray) -> np.ndarray:
    """`values` (c x h x w) inside a border one pixel wide repeating its edge."""
    bordered = np.empty((values.shape[0], values.shape[1] + 2, values.shape[2] + 2), np.float32)
    bordered[:, 1:-1, 1:-1] = values
    _copy_border(bordered)
    return bordered


def _copy_border(bordered: np.ndarray) -> None:
    bordered[:, 0, 1:-1], bordered[:, -1, 1:-1] = bordered[:, 1, 1:-1], bordered[:, -2, 1:-1]
    bordered[:, :, 0], bordered[:, :, -1] = bordered[:, :, 1], bordered[:, :, -2]


def _neighbours(bordered: np.ndarray) -> tuple[np.ndarray, ...]:
    """Views of the value above, below, left and right of each pixel inside the border."""
    return (
        bordered[:, :-2, 1:-1],
        bordered[:, 2:, 1:-1],
        bordered[:, 1:-1, :-2],
        bordered[:, 1:-1, 2:],
    )


def _float(image: Image.Image) -> np.ndarray:
    """The image's pixels in 0..1, channels first (c x h x w): numpy works on each channel's
    rows at full speed, and the arrays broadcast over channels."""
    values = np.asarray(image, dtype=np.float32) / 255.0
    return np.ascontiguousarray(values.transpose(2, 0, 1)) if values.ndim == 3 else values[None]


def _resized(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`values` (c x h x w float32) resampled bilinearly to `size` (width, height)."""
    if values.shape[:0:-1] == size:
        return values
    return np.stack(
        [
            np.asarray(Image.fromarray(channel).resize(size, Image.Resampling.BILINEAR))
            for channel in values
        ]
    )
