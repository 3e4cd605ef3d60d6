"""What a model is fed: the photo at the model's side, scaled and standardised as it was trained
on. Shared by the engine and by the making of 8-bit models (quantize.py)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from bgdesk.inference.catalog import ModelSpec
from bgdesk.inference.decode import Decoded


def view_of(image: Decoded, side: int) -> Image.Image:
    """The photo as a model with `side`-pixel input sees it."""
    # Lanczos (after Pillow's box reduction for large photos) here and when the mask is
    # scaled back up: chosen on 509 photos with human-made masks, see bench/quality.py.
    return image.rgb.resize((side, side), Image.Resampling.LANCZOS, reducing_gap=3.0)


def model_input(view: Image.Image, spec: ModelSpec) -> np.ndarray:
    """The model's view of the photo scaled to [0, 1] by its maximum and standardised."""
    pixels = np.asarray(view, dtype=np.float32)
    peak = max(float(pixels.max()), 1e-6)
    std = np.asarray(spec.std, dtype=np.float32)
    mean = np.asarray(spec.mean, dtype=np.float32)
    standardised = pixels * (1.0 / (peak * std)) - mean / std
    return np.ascontiguousarray(standardised.transpose(2, 0, 1))[None]
