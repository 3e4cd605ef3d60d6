"""Untrusted bytes: each bad input gets its own clear error, each odd-but-valid one a result."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pillow_heif
import pytest
from PIL import Image

from bgdesk.errors import (
    ImageTooLarge,
    InvalidRequest,
    NotAnImage,
    TruncatedImage,
    UnsupportedFormat,
)
from bgdesk.inference.decode import Limits, decode_image, images_in, inspect_image
from tests.conftest import photo

LIMITS = Limits(max_bytes=64 << 20, max_megapixels=64)


def huge_png(width: int, height: int) -> bytes:
    """A real, valid 1-bit PNG of width x height that is small on disk."""
    row = b"\x00" + bytes((width + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload))
            + kind
            + payload
            + struct.pack(">I", zlib.crc32(kind + payload))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("check", [inspect_image, decode_image])
def test_zero_bytes_is_not_an_image(check: Callable[[bytes, Limits], object]) -> None:
    with pytest.raises(NotAnImage, match="empty"):
        check(b"", LIMITS)


@pytest.mark.parametrize("check", [inspect_image, decode_image])
def test_text_named_jpg_is_not_an_image(check: Callable[[bytes, Limits], object]) -> None:
    with pytest.raises(NotAnImage, match="not an image"):
        check(b"hello, this is text pretending to be a photo\n" * 20, LIMITS)


@pytest.mark.parametrize("check", [inspect_image, decode_image])
def test_truncated_jpeg_is_refused(check: Callable[[bytes, Limits], object]) -> None:
    whole = photo("astronaut")
    with pytest.raises(TruncatedImage, match="truncated"):
        check(whole[: len(whole) // 2], LIMITS)


def test_30000_square_png_is_refused_before_decoding() -> None:
    data = huge_png(30000, 30000)
    assert len(data) < 2_000_000
    with pytest.raises(ImageTooLarge, match="30000 x 30000"):
        inspect_image(data, LIMITS)
    with pytest.raises(ImageTooLarge, match="megapixels"):
        decode_image(data, LIMITS)


def test_byte_limit_is_enforced() -> None:
    with pytest.raises(ImageTooLarge, match="MB"):
        inspect_image(photo("astronaut"), Limits(max_bytes=10_000, max_megapixels=64))


def test_gif_is_an_unsupported_format() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "GIF")
    with pytest.raises(UnsupportedFormat, match="GIF"):
        inspect_image(buffer.getvalue(), LIMITS)


def test_cmyk_jpeg_decodes_to_the_right_colours() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 40)).convert("CMYK").save(buffer, "JPEG", quality=95)
    decoded = decode_image(buffer.getvalue(), LIMITS)
    red, green, blue = np.asarray(decoded.rgb).reshape(-1, 3).mean(axis=0)
    assert decoded.rgb.mode == "RGB" and decoded.size == (64, 48)
    assert red > 150 and green < 80 and blue < 80


def test_exif_orientation_is_applied() -> None:
    upright = Image.open(io.BytesIO(photo("coffee")))  # 600 x 400, landscape
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # as a sideways camera wrote it
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=95, exif=exif.tobytes())
    decoded = decode_image(buffer.getvalue(), LIMITS)
    assert decoded.size == upright.size
    difference = np.abs(np.asarray(decoded.rgb, float) - np.asarray(upright, float)).mean()
    assert difference < 6


@pytest.mark.parametrize("mode", ["L", "P", "LA", "RGBA", "I;16", "1"])
def test_every_pixel_mode_becomes_rgb(mode: str) -> None:
    base = Image.open(io.BytesIO(photo("chelsea", (90, 60), fmt="PNG")))
    if mode == "I;16":
        image = Image.fromarray(np.asarray(base.convert("L")).astype(np.uint16) * 257)
    else:
        image = base.convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    decoded = decode_image(buffer.getvalue(), LIMITS)
    assert decoded.rgb.mode == "RGB" and decoded.size == (90, 60)
    if mode == "I;16":  # scaled to 8 bits, not clipped to white
        grey = np.asarray(base.convert("L"), float)
        assert np.abs(np.asarray(decoded.rgb.convert("L"), float) - grey).mean() < 2


def test_alpha_of_the_input_is_kept() -> None:
    image = Image.new("RGBA", (20, 10), (10, 20, 30, 255))
    image.putpixel((0, 0), (10, 20, 30, 0))
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", lossless=True)
    decoded = decode_image(buffer.getvalue(), LIMITS)
    assert decoded.alpha is not None and decoded.alpha.getpixel((0, 0)) == 0


def phone_photo(image: Image.Image, kind: str, exif: Image.Exif | None = None) -> bytes:
    """`image` as a phone saves it: HEIC (written with pillow-heif's encoder, which bgdesk
    does not ship) or AVIF."""
    buffer = io.BytesIO()
    extra = {"exif": exif.tobytes()} if exif is not None else {}
    if kind == "HEIC":
        pillow_heif.from_pillow(image).save(buffer, quality=92, **extra)
    else:
        image.save(buffer, "AVIF", quality=92, **extra)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["HEIC", "AVIF"])
def test_phone_formats_come_in_upright_within_the_limits(kind: str) -> None:
    upright = Image.open(io.BytesIO(photo("coffee")))  # 600 x 400
    exif = Image.Exif()
    exif[0x0112] = 6
    data = phone_photo(upright.transpose(Image.Transpose.ROTATE_90), kind, exif)
    assert inspect_image(data, LIMITS).format in ("HEIF", "AVIF")
    decoded = decode_image(data, LIMITS)
    assert decoded.size == upright.size and decoded.alpha is None
    difference = np.abs(np.asarray(decoded.rgb, float) - np.asarray(upright, float)).mean()
    assert difference < 6
    with pytest.raises(ImageTooLarge, match="megapixels"):
        decode_image(data, Limits(LIMITS.max_bytes, 0.2))
    with pytest.raises(InvalidRequest):  # truncated, or too broken to be told from noise
        decode_image(data[: len(data) // 2], LIMITS)


@pytest.mark.parametrize("kind", ["HEIC", "AVIF"])
def test_phone_formats_keep_their_alpha(kind: str) -> None:
    picture = Image.new("RGBA", (64, 48), (200, 30, 30, 255))
    picture.paste((0, 0, 0, 0), (0, 0, 32, 48))
    decoded = decode_image(phone_photo(picture, kind), LIMITS)
    assert decoded.alpha is not None
    alpha = np.asarray(decoded.alpha)
    assert alpha[:, :28].max() < 20 and alpha[:, 36:].min() > 235


def test_folders_are_searched_for_every_format_read(tmp_path: Path) -> None:
    for name in ("a.jpg", "b.JPEG", "c.png", "d.webp", "e.heic", "f.HEIF", "g.avif", "h.gif"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in images_in(tmp_path)] == [
        "a.jpg",
        "b.JPEG",
        "c.png",
        "d.webp",
        "e.heic",
        "f.HEIF",
        "g.avif",
    ]
