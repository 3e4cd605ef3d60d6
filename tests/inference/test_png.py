"""The parallel PNG writer: any 8-bit image round-trips exactly through Pillow's reader."""

from __future__ import annotations

import io
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from bgdesk.inference.png import adler32_combine, array_rows, encode_png


def test_adler32_combine_matches_zlib() -> None:
    rng = np.random.default_rng(1)
    first, second = rng.bytes(100_003), rng.bytes(65_537)
    combined = adler32_combine(zlib.adler32(first), zlib.adler32(second), len(second))
    assert combined == zlib.adler32(first + second)


@pytest.mark.parametrize(
    "shape", [(1, 1, 4), (7, 5, 3), (1000, 333, 4), (2000, 1500), (513, 700, 2)]
)
def test_round_trip(shape: tuple[int, ...]) -> None:
    pixels = np.random.default_rng(2).integers(0, 256, shape, dtype=np.uint8)
    channels = 1 if len(shape) == 2 else shape[2]
    with ThreadPoolExecutor(2) as pool:
        data = encode_png(shape[1], shape[0], channels, array_rows(pixels), pool)
    image = Image.open(io.BytesIO(data))
    image.load()
    assert np.array_equal(np.asarray(image), pixels)


def test_icc_profile_is_carried() -> None:
    profile = b"not a real profile but bytes all the same" * 10
    data = encode_png(2, 2, 3, array_rows(np.zeros((2, 2, 3), np.uint8)), None, profile)
    assert Image.open(io.BytesIO(data)).info["icc_profile"] == profile
