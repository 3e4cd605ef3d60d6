"""The benchmark corpus: scikit-image's photos as JPEG q92 at 0.1-0.9 MP, and at 12 MP."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image
from skimage import data

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field")
SMALL_MEGAPIXELS = (0.1, 0.35, 0.6, 0.9)
LARGE_MEGAPIXELS = 12.0


@dataclass(frozen=True)
class Sample:
    name: str
    megapixels: float
    jpeg: bytes


def _resized(pixels: np.ndarray, megapixels: float) -> Image.Image:
    image = Image.fromarray(pixels)
    scale = math.sqrt(megapixels * 1e6 / (image.width * image.height))
    size = (round(image.width * scale), round(image.height * scale))
    return image.resize(size, Image.Resampling.LANCZOS)


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def build() -> tuple[list[Sample], list[Sample]]:
    """(20 small samples, 5 large samples)."""
    small, large = [], []
    for name in PHOTOS:
        pixels = getattr(data, name)()
        small += [Sample(name, mp, _jpeg(_resized(pixels, mp))) for mp in SMALL_MEGAPIXELS]
        large.append(Sample(name, LARGE_MEGAPIXELS, _jpeg(_resized(pixels, LARGE_MEGAPIXELS))))
    return small, large
