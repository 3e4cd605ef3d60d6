"""From an image and its mask to the bytes of the requested cutout."""

from __future__ import annotations

import io
from concurrent.futures import Executor

import numpy as np
from PIL import Image, ImageChops, ImageFilter

from bgdesk.inference.avif import encode_avif
from bgdesk.inference.decode import Decoded
from bgdesk.inference.edges import EdgeColours
from bgdesk.inference.png import RowSource, array_rows, encode_png
from bgdesk.inference.staging import place, stage
from bgdesk.request.formats import PNG, OutputFormat
from bgdesk.request.options import OutputOptions

CROP_THRESHOLD = 16
WHITE = (255, 255, 255)
# Encoders bgdesk drives itself, whole up to the format's `encoder_pixels`, then in tiles
_TILING_WRITERS = {"AVIF": encode_avif}


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
    rgb, icc = image.rgb, image.icc_profile
    alpha = mask if image.alpha is None else ImageChops.multiply(mask, image.alpha)
    box = (0, 0, rgb.width, rgb.height)
    if options.crop or options.canvas:
        box = _subject_box(alpha, options.crop_margin if options.crop else 0)
        if box != (0, 0, rgb.width, rgb.height):  # a crop is a copy: none of the whole
            rgb, alpha = rgb.crop(box), alpha.crop(box)
    if options.mask_only:
        return _encode(alpha, options.output_format, None, pool), alpha.size
    fmt = options.output_format
    if options.canvas or options.shadow or options.bg_blur or backdrop is not None:
        if options.bg_blur:
            backdrop = rgb.filter(ImageFilter.GaussianBlur(options.bg_blur))
        if edges is not None:
            rgb = edges.apply(rgb, alpha, box[:2])
        subject = rgb
        subject.putalpha(alpha)
        del rgb, alpha
        placed = place(subject, options.canvas, options.padding)
        colour = None if backdrop is not None else _background_colour(options)
        size = placed.size
        darkest = options.shadow_strength / 100 if options.shadow else 0.0
        laid = stage(placed, darkest, colour, backdrop)
        return _encode_pixels(laid, fmt, icc, pool), size
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


def _image_rows(image: Image.Image) -> RowSource:
    """Rows of `image` read a strip at a time, so no full-size copy of it is made."""

    def rows(start: int, stop: int) -> np.ndarray:
        strip = np.frombuffer(image.crop((0, start, image.width, stop)).tobytes(), np.uint8)
        return strip.reshape(stop - start, -1)

    return rows


def _encode(
    image: Image.Image, fmt: OutputFormat, icc: bytes | None, pool: Executor | None
) -> bytes:
    """`image` written as `fmt`: with bgdesk's own PNG encoder, or with Pillow's."""
    if fmt.encoder is None:
        channels = len(image.getbands())
        return encode_png(image.width, image.height, channels, _image_rows(image), pool, icc)
    if not fmt.keeps_alpha and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    if fmt.encoder in _TILING_WRITERS:
        write = _TILING_WRITERS[fmt.encoder]
        return write(
            image, icc_profile=icc, direct_pixels=fmt.encoder_pixels, **fmt.encoder_options
        )
    buffer = io.BytesIO()
    extra = {"icc_profile": icc} if icc else {}
    image.save(buffer, fmt.encoder, **fmt.encoder_options, **extra)
    return buffer.getvalue()


def _encode_pixels(
    pixels: np.ndarray, fmt: OutputFormat, icc: bytes | None, pool: Executor | None
) -> bytes:
    """`pixels` (rows x columns x channels) written as `fmt`, the PNG straight from them."""
    if fmt.encoder is None:
        height, width, channels = pixels.shape
        return encode_png(width, height, channels, array_rows(pixels), pool, icc)
    image = Image.fromarray(pixels)
    del pixels  # when Pillow made its own copy, the array goes before encoding
    return _encode(image, fmt, icc, pool)


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
