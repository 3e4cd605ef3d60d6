"""From an image and its mask to the bytes of the requested cutout."""

from __future__ import annotations

import io
from concurrent.futures import Executor

import numpy as np
from PIL import Image, ImageChops

from bgdesk.inference.decode import Decoded
from bgdesk.inference.options import OutputOptions
from bgdesk.inference.png import RowSource, array_rows, encode_png

JPEG_QUALITY = 92
WEBP_QUALITY = 90
CROP_THRESHOLD = 16
WHITE = (255, 255, 255)


def compose(image: Decoded, mask: Image.Image, options: OutputOptions,
            pool: Executor | None = None) -> bytes:
    """Render `image` cut out by `mask` (an L image of the same size) as `options` ask."""
    rgb = image.rgb
    alpha = mask if image.alpha is None else ImageChops.multiply(mask, image.alpha)
    if options.crop:
        box = _subject_box(alpha, options.crop_margin)
        rgb, alpha = rgb.crop(box), alpha.crop(box)
    if options.mask_only:
        return _encode(alpha, options, None, pool)
    background = options.bg_color or (WHITE if options.format == "jpg" else None)
    if background is not None:
        flat = Image.new("RGB", rgb.size, background)
        flat.paste(rgb, mask=alpha)
        return _encode(flat, options, image.icc_profile, pool)
    if options.format == "png":
        return encode_png(rgb.width, rgb.height, 4, _rgba_rows(rgb, alpha), pool,
                          image.icc_profile)
    cutout = rgb.copy()
    cutout.putalpha(alpha)
    return _encode(cutout, options, image.icc_profile, pool)


def _subject_box(alpha: Image.Image, margin: int) -> tuple[int, int, int, int]:
    """The subject's bounding box grown by `margin`; the whole image when there is no subject."""
    box = alpha.point(lambda value: 255 if value >= CROP_THRESHOLD else 0).getbbox()
    if box is None:
        return 0, 0, alpha.width, alpha.height
    left, top, right, bottom = box
    return (max(0, left - margin), max(0, top - margin),
            min(alpha.width, right + margin), min(alpha.height, bottom + margin))


def _rgba_rows(rgb: Image.Image, alpha: Image.Image) -> RowSource:
    """Rows of RGBA with the colour of fully transparent pixels zeroed (it compresses away)."""
    colour = np.asarray(rgb)
    opacity = np.asarray(alpha)
    width = rgb.width

    def rows(start: int, stop: int) -> np.ndarray:
        a = opacity[start:stop]
        out = np.empty((stop - start, width, 4), dtype=np.uint8)
        visible = np.negative((a != 0).view(np.uint8))  # 0 or 255 per pixel
        np.bitwise_and(colour[start:stop], visible[..., None], out=out[..., :3])
        out[..., 3] = a
        return out.reshape(stop - start, width * 4)

    return rows


def _encode(image: Image.Image, options: OutputOptions, icc: bytes | None,
            pool: Executor | None) -> bytes:
    if options.format == "png":
        pixels = np.asarray(image)
        channels = 1 if pixels.ndim == 2 else pixels.shape[2]
        return encode_png(image.width, image.height, channels, array_rows(pixels), pool, icc)
    buffer = io.BytesIO()
    extra = {"icc_profile": icc} if icc else {}
    if options.format == "jpg":
        image.convert("RGB" if image.mode != "L" else "L").save(
            buffer, "JPEG", quality=JPEG_QUALITY, **extra)
    else:
        image.save(buffer, "WEBP", quality=WEBP_QUALITY, **extra)
    return buffer.getvalue()
