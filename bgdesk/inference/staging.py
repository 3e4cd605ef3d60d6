"""Product shots in bounded memory: the subject centred on its canvas, over a soft shadow, on
a colour or a picture.

A canvas may be 10,000 pixels a side. Made as whole images (the subject placed, its shadow,
the two laid together, then on the background) that is four or five full-size copies; here
the result is the only full-size image. The shadow is blurred on a copy small enough that its
blur is a few pixels wide and scaled up a strip at a time, the background picture is scaled
to cover the canvas a strip at a time, and each strip is laid together and written into the
result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from bgdesk.request.options import canvas_size

SHADOW_SOFTNESS = 0.02  # of the canvas's longer side: the blur's radius
SHADOW_FALL = 0.8  # of the softness: how far below the subject its shadow falls
SHADOW_WORK_RADIUS = 4  # pixels of blur on the small copy the shadow is made on
STRIP_PIXELS = 1 << 20  # pixels laid together at a time
Rgb = tuple[int, int, int]


@dataclass(frozen=True)
class Placed:
    """The subject (RGBA) scaled for its canvas, and where on the canvas it goes."""

    subject: Image.Image
    left: int
    top: int
    size: tuple[int, int]  # the canvas's


def place(subject: Image.Image, canvas: str | None, padding: int) -> Placed:
    """`subject` scaled to fit `canvas` inside `padding` percent on each side and centred
    (on `square`, which is made for it, at its own size); without a canvas, as it is on a
    canvas of its own size."""
    if canvas is None:
        return Placed(subject, 0, 0, subject.size)
    width, height = canvas_size(canvas, subject.size, padding)
    room = (width * (100 - 2 * padding) / 100, height * (100 - 2 * padding) / 100)
    scale = min(room[0] / subject.width, room[1] / subject.height)
    if canvas == "square":
        scale = min(scale, 1.0)
    size = (max(1, round(subject.width * scale)), max(1, round(subject.height * scale)))
    scaled = subject if size == subject.size else subject.resize(size, Image.Resampling.LANCZOS)
    return Placed(scaled, (width - size[0]) // 2, (height - size[1]) // 2, (width, height))


def stage(
    placed: Placed,
    shadow: float,
    colour: Rgb | None = None,
    backdrop: Image.Image | None = None,
) -> np.ndarray:
    """The placed subject over its shadow (`shadow`: its darkest opacity, 0 for none), on
    `backdrop` scaled to cover the canvas, else on `colour`, else on nothing: rows x columns
    x RGB, or RGBA on nothing."""
    width, height = placed.size
    opaque = colour is not None or backdrop is not None
    result = np.zeros((height, width, 3 if opaque else 4), dtype=np.uint8)
    soft = _shadow(placed, shadow) if shadow > 0 else None
    rows = max(1, STRIP_PIXELS // width)
    for top in range(0, height, rows):
        bottom = min(height, top + rows)
        subject = _subject_rows(placed, top, bottom)
        shade = _shadow_rows(soft, placed.size, top, bottom) if soft is not None else None
        if backdrop is not None:
            behind = _covering_rows(backdrop, placed.size, top, bottom)
        elif colour is not None:
            behind = np.broadcast_to(np.asarray(colour, np.float32), (bottom - top, width, 3))
        else:
            behind = None
        result[top:bottom] = _laid(subject, shade, behind)
    return result


@dataclass(frozen=True)
class _Shadow:
    """The shadow's opacity on a copy of the canvas `scale` times smaller."""

    small: Image.Image  # L
    scale: float


def _shadow(placed: Placed, darkest: float) -> _Shadow:
    """The subject's shape fallen a little below it and blurred, made on a copy of the canvas
    so small that the blur is `SHADOW_WORK_RADIUS` pixels wide there."""
    width, height = placed.size
    softness = max(2.0, max(width, height) * SHADOW_SOFTNESS)
    scale = max(1.0, softness / SHADOW_WORK_RADIUS)
    small_size = (max(1, round(width / scale)), max(1, round(height / scale)))
    shape = placed.subject.getchannel("A")
    shape_size = (
        max(1, round(shape.width / scale)),
        max(1, round(shape.height / scale)),
    )
    if shape_size != shape.size:
        shape = shape.resize(shape_size, Image.Resampling.BOX)
    fallen = Image.new("L", small_size, 0)
    fallen.paste(
        shape, (round(placed.left / scale), round((placed.top + softness * SHADOW_FALL) / scale))
    )
    blurred = fallen.filter(ImageFilter.GaussianBlur(softness / scale))
    opacity = blurred.point(lambda value: round(value * darkest))
    return _Shadow(opacity, width / small_size[0])


def _shadow_rows(shadow: _Shadow, size: tuple[int, int], top: int, bottom: int) -> np.ndarray:
    """Rows [top, bottom) of the shadow's opacity at the canvas's size, 0..1."""
    width, height = size
    small = shadow.small
    if small.size == size:
        strip = small.crop((0, top, width, bottom))
    else:
        down = small.height / height
        box = (0.0, top * down, float(small.width), bottom * down)
        strip = small.resize((width, bottom - top), Image.Resampling.BILINEAR, box=box)
    return np.asarray(strip, dtype=np.float32)[..., None] * np.float32(1 / 255)


def _subject_rows(placed: Placed, top: int, bottom: int) -> np.ndarray:
    """Rows [top, bottom) of the canvas with the subject on it (RGBA, float, alpha 0..1,
    colours 0..255; clear where the subject is not)."""
    width = placed.size[0]
    rows = np.zeros((bottom - top, width, 4), dtype=np.float32)
    subject = placed.subject
    first, last = max(top, placed.top), min(bottom, placed.top + subject.height)
    if first < last:
        part = subject.crop((0, first - placed.top, subject.width, last - placed.top))
        columns = slice(placed.left, placed.left + subject.width)
        rows[first - top : last - top, columns] = np.asarray(part, dtype=np.float32)
    rows[..., 3] *= np.float32(1 / 255)
    return rows


def _covering_rows(
    picture: Image.Image, size: tuple[int, int], top: int, bottom: int
) -> np.ndarray:
    """Rows [top, bottom) of `picture` scaled to cover `size` whole, keeping its shape, and
    cut to it about its centre."""
    width, height = size
    scale = max(width / picture.width, height / picture.height)
    scaled = (max(width, round(picture.width * scale)), max(height, round(picture.height * scale)))
    left, above = (scaled[0] - width) // 2, (scaled[1] - height) // 2
    across, down = picture.width / scaled[0], picture.height / scaled[1]
    box = (left * across, (above + top) * down, (left + width) * across, (above + bottom) * down)
    strip = picture.resize((width, bottom - top), Image.Resampling.LANCZOS, box=box)
    return np.asarray(strip.convert("RGB"), dtype=np.float32)


def _laid(subject: np.ndarray, shade: np.ndarray | None, behind: np.ndarray | None) -> np.ndarray:
    """The subject laid over the (black) shadow and the two over `behind`: opaque RGB when
    there is something behind, else RGBA."""
    alpha = subject[..., 3:]
    colour = subject[..., :3] * alpha  # premultiplied
    if behind is not None:
        under = behind if shade is None else behind * (1 - shade)
        laid: np.ndarray = colour + under * (1 - alpha)
        return np.clip(laid + 0.5, 0, 255).astype(np.uint8)
    cover = alpha if shade is None else alpha + shade * (1 - alpha)
    shown = np.divide(colour, cover, out=np.zeros_like(colour), where=cover > 0)
    rgba = np.concatenate([shown, cover * 255], axis=2)
    return np.clip(rgba + 0.5, 0, 255).astype(np.uint8)
