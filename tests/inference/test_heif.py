"""Reading HEIF boxes: the items of the files Pillow writes come out whole, with their
properties, and a box that claims more bytes than there are is refused."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image

from bgdesk.errors import ProcessingFailed
from bgdesk.inference.heif import box, boxes, full_box, parse_avif


def pillows_avif(mode: str, width: int = 96, height: int = 64) -> bytes:
    y, x = np.mgrid[:height, :width]
    pixels = np.dstack([x * 2, y * 3, x + y, np.where(x < width // 2, 255, 40)])
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).convert(mode).save(buffer, "AVIF", quality=80, speed=8)
    return buffer.getvalue()


def test_a_transparent_file_gives_its_colour_and_alpha_items() -> None:
    data = pillows_avif("RGBA")
    parsed = parse_avif(data)
    assert parsed.ftyp == next(whole for kind, _, whole in boxes(data) if kind == b"ftyp")
    for item in (parsed.colour, parsed.alpha):
        assert item is not None and item.payload in data
        assert item.property(b"ispe") == full_box(b"ispe", 0, 0, struct.pack(">II", 96, 64))
    assert parsed.alpha is not None and b"auxiliary:alpha" in parsed.alpha.property(b"auxC")


def test_an_opaque_file_has_no_alpha_item() -> None:
    parsed = parse_avif(pillows_avif("RGB"))
    assert parsed.alpha is None
    assert parsed.colour.property(b"av1C")
    with pytest.raises(ProcessingFailed, match="no auxC property"):
        parsed.colour.property(b"auxC")


def test_a_grey_item_becomes_an_alpha_plane() -> None:
    grey = parse_avif(pillows_avif("L")).colour
    alpha = grey.as_alpha()
    assert alpha.payload == grey.payload
    assert b"colr" not in [prop.kind for prop in alpha.properties]
    assert alpha.property(b"auxC").endswith(b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha\0")


def test_boxes_of_64_bit_size_and_to_the_end_are_read() -> None:
    data = (
        box(b"free", b"ab")
        + struct.pack(">I4sQ", 1, b"skip", 16 + 3)
        + b"cde"
        + struct.pack(">I4s", 0, b"mdat")
        + b"the rest"
    )
    assert [(kind, body) for kind, body, _ in boxes(data)] == [
        (b"free", b"ab"),
        (b"skip", b"cde"),
        (b"mdat", b"the rest"),
    ]


@pytest.mark.parametrize("data", [struct.pack(">I4s", 20, b"free") + b"short", b"\0\0\0"])
def test_a_box_past_the_end_is_refused(data: bytes) -> None:
    with pytest.raises(ProcessingFailed, match=r"overruns|truncated"):
        list(boxes(data))
