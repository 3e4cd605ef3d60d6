"""From an image and its mask to the bytes of the requested cutout."""

from __future__ import annotations

import io
from concurrent.futures import Executor

import numpy as np
from PIL import Image, ImageChops, ImageFilter

from bgdesk.inference.decode import Decoded
from bgdesk.inference.edges import EdgeColours
from bgdesk.inference.formats import PNG, OutputFormat
from bgdesk.inference.options import OutputOptions, canvas_size
from bgdesk.inference.png import RowSource, array_rows, encode_png

CROP_THRESHOLD = 16
WHITE = (255, 255, 255)


def compose(
    image: Decoded,
    mask: Image.Image,
    options: OutputOptions,
    pool: Executor | None = None,
    edges: EdgeColours | None = None,
    backdrop: Image.Image | None = None,
) -> tuple[bytes, tuple[int, int]]:
    """Render `image` cut out by `mask` (an L image of the same size) as `options` ask, with
    the old background's colour taken out of half-transparent pixels by `edges` when given,
    over the picture `backdrop` when given; returns the encoded bytes and their size in
    pixels.

    `image` is consumed: its pixels may become the cutout's, saving a full-size copy.
    """
    rgb = image.rgb
    alpha = mask if image.alpha is None else ImageChops.multiply(mask, image.alpha)
    box = (0, 0, rgb.width, rgb.height)
    if options.crop or options.canvas:
        box = _subject_box(alpha, options.crop_margin if options.crop else 0)
        rgb, alpha = rgb.crop(box), alpha.crop(box)
    if options.mask_only:
        return _encode(alpha, options.output_format, None, pool), alpha.size
    fmt = options.output_format
    if options.canvas or options.shadow or options.bg_blur or backdrop is not None:
        if options.bg_blur:
            backdrop = rgb.filter(ImageFilter.GaussianBlur(options.bg_blur))
        if edges is not None:
            rgb = edges.apply(rgb, alpha, box[:2])
        staged = _staged(rgb, alpha, options, backdrop)
        return _encode(staged, fmt, image.icc_profile, pool), staged.size
    background = _background_colour(options)
    streamed = background is None and fmt.encoder is None
    if edges is not None and not streamed:
        rgb = edges.apply(rgb, alpha, box[:2])
    if background is not None:
        flat = Image.new("RGB", rgb.size, background)
        flat.paste(rgb, mask=alpha)
        return _encode(flat, fmt, image.icc_profile, pool), flat.size
    cutout = rgb
    cutout.putalpha(alpha)
    if streamed:
        rows = _cleared_rows(cutout, edges, box[:2])
        encoded = encode_png(cutout.width, cutout.height, 4, rows, pool, image.icc_profile)
        return encoded, cutout.size
    return _encode(cutout, fmt, image.icc_profile, pool), cutout.size


def _background_colour(options: OutputOptions) -> tuple[int, int, int] | None:
    """The colour behind the subject: the one asked for, else white for formats without
    alpha, else none."""
    return options.bg_color or (None if options.output_format.keeps_alpha else WHITE)


def _staged(
    rgb: Image.Image, alpha: Image.Image, options: OutputOptions, backdrop: Image.Image | None
) -> Image.Image:
    """The subject as a product shot: centred on its canvas, over its shadow, on its
    background (a colour, a picture covering it, or nothing: white for formats without
    alpha)."""
    subject = rgb.copy()
    subject.putalpha(alpha)
    if options.canvas:
        subject = _centred(subject, options.canvas, options.padding)
    if options.shadow:
        subject = Image.alpha_composite(_shadow_of(subject), subject)
    if backdrop is not None:
        behind = _covering(backdrop, subject.size).convert("RGBA")
    else:
        colour = _background_colour(options)
        if colour is None:
            return subject
        behind = Image.new("RGBA", subject.size, (*colour, 255))
    return Image.alpha_composite(behind, subject).convert("RGB")


def _covering(picture: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`picture` scaled to cover `size` whole, keeping its shape, and cut to it about its
    centre."""
    if picture.size == size:
        return picture
    scale = max(size[0] / picture.width, size[1] / picture.height)
    width, height = (
        max(size[0], round(picture.width * scale)),
        max(size[1], round(picture.height * scale)),
    )
    left, top = (width - size[0]) // 2, (height - size[1]) // 2
    return picture.resize(
        (width, height), Image.Resampling.LANCZOS, box=None, reducing_gap=3.0
    ).crop((left, top, left + size[0], top + size[1]))


def _centred(subject: Image.Image, canvas: str, padding: int) -> Image.Image:
    """`subject` scaled to fit its canvas inside `padding` percent on each side, centred."""
    width, height = canvas_size(canvas, subject.size)
    room = (width * (100 - 2 * padding) / 100, height * (100 - 2 * padding) / 100)
    scale = min(room[0] / subject.width, room[1] / subject.height)
    size = (max(1, round(subject.width * scale)), max(1, round(subject.height * scale)))
    scaled = subject.resize(size, Image.Resampling.LANCZOS)
    placed = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    placed.paste(scaled, ((width - size[0]) // 2, (height - size[1]) // 2))
    return placed


SHADOW_OPACITY = 0.45


def _shadow_of(subject: Image.Image) -> Image.Image:
    """A soft shadow of `subject`, fallen a little below it, to lay under it."""
    shape = subject.getchannel("A")
    softness = max(2, round(max(subject.size) * 0.02))
    fallen = Image.new("L", subject.size, 0)
    fallen.paste(shape, (0, round(softness * 0.8)))
    blurred = fallen.filter(ImageFilter.GaussianBlur(softness))
    shadow = Image.new("RGBA", subject.size, (0, 0, 0, 0))
    shadow.putalpha(blurred.point(lambda value: round(value * SHADOW_OPACITY)))
    return shadow


def _subject_box(alpha: Image.Image, margin: int) -> tuple[int, int, int, int]:
    """The subject's bounding box grown by `margin`; the whole image when there is no subject."""
    box = alpha.point(lambda value: 255 if value >= CROP_THRESHOLD else 0).getbbox()
    if box is None:
        return 0, 0, alpha.width, alpha.height
    left, top, right, bottom = box
    return (
        max(0, left - margin),
        max(0, top - margin),
        min(alpha.width, right + margin),
        min(alpha.height, bottom + margin),
    )


def _cleared_rows(
    rgba: Image.Image, edges: EdgeColours | None, offset: tuple[int, int]
) -> RowSource:
    """Rows of RGBA with the colour of fully transparent pixels zeroed (it compresses away)
    and, given `edges`, that of half-transparent ones re-estimated.

    Strips are read from the image as they are needed, so no full-size array is made.
    """
    width = rgba.width

    def rows(start: int, stop: int) -> np.ndarray:
        strip = rgba.crop((0, start, width, stop)).tobytes()
        packed = np.frombuffer(strip, dtype="<u4")  # one RGBA pixel each, alpha on top
        visible = np.negative((packed >= 1 << 24).astype("<u4"))  # 0 or 0xFFFFFFFF
        cleared: np.ndarray = np.bitwise_and(packed, visible).view(np.uint8)
        cleared = cleared.reshape(stop - start, width, 4)
        if edges is not None:
            edges.fix(cleared, offset[1] + start, offset[0])
        return cleared.reshape(stop - start, width * 4)

    return rows


def _encode(
    image: Image.Image, fmt: OutputFormat, icc: bytes | None, pool: Executor | None
) -> bytes:
    """`image` written as `fmt`: with bgdesk's own PNG encoder, or with Pillow's."""
    if fmt.encoder is None:
        pixels = np.asarray(image)
        channels = 1 if pixels.ndim == 2 else pixels.shape[2]
        return encode_png(image.width, image.height, channels, array_rows(pixels), pool, icc)
    if not fmt.keeps_alpha and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    extra = {"icc_profile": icc} if icc else {}
    image.save(buffer, fmt.encoder, **fmt.encoder_options, **extra)
    return buffer.getvalue()


def reencode(png: bytes, fmt: OutputFormat) -> bytes:
    """A finished cutout (PNG) in another format; one without alpha gets a white background."""
    if fmt is PNG:
        return png
    with Image.open(io.BytesIO(png)) as source:
        source.load()
        icc = source.info.get("icc_profile")
        cutout = source.convert("RGBA") if source.mode not in ("RGBA", "L", "RGB") else source
        if not fmt.keeps_alpha and cutout.mode == "RGBA":
            flat = Image.new("RGB", cutout.size, WHITE)
            flat.paste(cutout, mask=cutout.getchannel("A"))
            cutout = flat
        return _encode(cutout, fmt, icc, None)
