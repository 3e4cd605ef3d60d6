"""Writing a grid AVIF: tiles that cover the image, a file Pillow's decoder puts back together,
and tiles that cannot share one grid refused."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from bgdesk.errors import ProcessingFailed
from bgdesk.inference.heif import CodedItem, parse_avif
from bgdesk.inference.heif_grid import GridLayout, mux_grid


def pillows_avif(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "AVIF", quality=90, speed=8)
    return buffer.getvalue()


def test_tiles_are_equal_even_and_just_cover_the_image() -> None:
    layout = GridLayout.covering(5000, 3001, 2048)
    assert layout == GridLayout(5000, 3001, 1668, 1502) and (layout.columns, layout.rows) == (3, 2)
    assert list(layout.boxes())[-1] == (3336, 1502, 5000, 3001), "the last box is clipped"
    for width, height, limit in [(10000, 10000, 2048), (301, 203, 128), (5, 100_000, 2048)]:
        layout = GridLayout.covering(width, height, limit)
        for tile, length in ((layout.tile_width, width), (layout.tile_height, height)):
            assert tile % 2 == 0 and 64 <= tile <= max(limit, 64)
            count = -(-length // tile)
            assert count * tile >= length > (count - 1) * tile, "the last tile overlaps the image"
    with pytest.raises(ValueError, match="more than 256 tiles"):
        GridLayout.covering(64 * 257, 64, 64)


def test_a_grid_of_two_tiles_decodes_as_one_image() -> None:
    left, right = Image.new("RGB", (64, 64), (200, 30, 30)), Image.new("RGB", (64, 64), (0, 0, 220))
    files = [pillows_avif(tile) for tile in (left, right)]
    tiles = [parse_avif(data).colour for data in files]
    data = mux_grid(parse_avif(files[0]).ftyp, GridLayout(120, 64, 64, 64), tiles, None)
    with Image.open(io.BytesIO(data)) as decoded:
        assert decoded.size == (120, 64) and decoded.mode == "RGB"
        pixels = np.asarray(decoded).astype(int)
    assert np.abs(pixels[:, :60] - (200, 30, 30)).max() < 12
    assert np.abs(pixels[:, 68:] - (0, 0, 220)).max() < 12


def tiles_of(*modes: str) -> list[CodedItem]:
    return [parse_avif(pillows_avif(Image.new(mode, (64, 64), 90))).colour for mode in modes]


def test_tiles_of_different_configurations_are_refused() -> None:
    ftyp = parse_avif(pillows_avif(Image.new("RGB", (64, 64)))).ftyp
    with pytest.raises(ProcessingFailed, match="different AV1 configurations"):
        mux_grid(ftyp, GridLayout(128, 64, 64, 64), tiles_of("RGB", "L"), None)


def test_a_tile_count_that_does_not_fill_the_grid_is_refused() -> None:
    ftyp = parse_avif(pillows_avif(Image.new("RGB", (64, 64)))).ftyp
    with pytest.raises(ProcessingFailed, match="grid of 2 tiles"):
        mux_grid(ftyp, GridLayout(128, 64, 64, 64), tiles_of("RGB"), None)
    with pytest.raises(ProcessingFailed, match="grid of 2 tiles"):
        mux_grid(ftyp, GridLayout(128, 64, 64, 64), tiles_of("RGB", "RGB"), tiles_of("L"))
