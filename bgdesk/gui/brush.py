"""The cutout being touched up, as the view draws it: the photo's pixels under the painting's
mask, kept as premultiplied ARGB (what Qt draws fastest) at full size and in halvings for
zoomed-out views. A stroke's box is written again in each, nothing more, so a 12 MP cutout
follows the brush as readily as a small one."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

from bgdesk.inference.strokes import Box

SMALLEST_SIDE = 64  # halvings stop before a picture this small


class PaintedCutout:
    """`photo` (h x w x 3 RGB) seen through `mask` (h x w, changed in place by a painting)."""

    def __init__(self, photo: np.ndarray, mask: np.ndarray) -> None:
        self.photo = photo
        self.mask = mask
        self.height, self.width = mask.shape
        self._levels: dict[int, np.ndarray] = {1: np.empty((self.height, self.width, 4), np.uint8)}
        self._images: dict[int, QImage] = {}
        self.refresh((0, 0, self.width, self.height))

    def refresh(self, box: Box) -> None:
        """Draw `box` of the cutout again, at every size made so far."""
        left, top, right, bottom = box
        alpha = self.mask[top:bottom, left:right, None].astype(np.uint16)
        colour = self.photo[top:bottom, left:right, ::-1]  # BGR: ARGB32 in little-endian memory
        target = self._levels[1][top:bottom, left:right]
        target[..., :3] = (colour * alpha + 127) // 255
        target[..., 3] = alpha[..., 0]
        for factor in sorted(self._levels)[1:]:
            self._halve_into(factor, box)

    def _halve_into(self, factor: int, box: Box) -> None:
        """Make `box` (in full-size pixels) of the `factor` halving from the next larger one."""
        larger, smaller = self._levels[factor // 2], self._levels[factor]
        height, width = smaller.shape[:2]
        left, top = box[0] // factor, box[1] // factor
        right, bottom = min(width, -(-box[2] // factor)), min(height, -(-box[3] // factor))
        if left >= right or top >= bottom:
            return
        block = larger[2 * top : 2 * bottom, 2 * left : 2 * right].astype(np.uint16)
        summed = block[0::2, 0::2] + block[1::2, 0::2] + block[0::2, 1::2] + block[1::2, 1::2]
        smaller[top:bottom, left:right] = (summed + 2) // 4

    def prepare(self) -> None:
        """Make every smaller copy now (off the GUI thread), not at the first stroke."""
        scale = 1.0
        while min(self.width, self.height) >= self.image(scale)[1] * 2 * SMALLEST_SIDE:
            scale /= 2

    def image(self, scale: float) -> tuple[QImage, int]:
        """The smallest copy with a pixel for every screen pixel at `scale`, and how many
        times smaller than the cutout it is."""
        factor = 1
        while (
            scale * factor * 2 <= 1 and min(self.width, self.height) >= factor * 2 * SMALLEST_SIDE
        ):
            factor *= 2
        if factor not in self._levels:
            self.image(scale * 2)  # the next larger copy first
            larger = self._levels[factor // 2]
            shape = (larger.shape[0] // 2, larger.shape[1] // 2, 4)
            self._levels[factor] = np.empty(shape, np.uint8)
            self._halve_into(factor, (0, 0, self.width, self.height))
        if factor not in self._images:
            pixels = self._levels[factor]
            self._images[factor] = QImage(
                pixels.data,
                pixels.shape[1],
                pixels.shape[0],
                pixels.strides[0],
                QImage.Format.Format_ARGB32_Premultiplied,
            )
        return self._images[factor], factor
