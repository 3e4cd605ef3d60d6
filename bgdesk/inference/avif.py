"""AVIF out in bounded memory.

libaom needs about 25 bytes per pixel while it encodes, so Pillow writing a 100-megapixel
cutout in one go takes 2.7 GB. Images up to `AVIF_WHOLE_PIXELS` (16 MP) still go to Pillow whole,
so ordinary photos stay single images that every browser shows. Larger ones are cut into equal
tiles that Pillow encodes one at a time, and their AV1 payloads are written as one HEIF 'grid'
image (heif_grid.py), with a grid of alpha tiles when there is transparency. Chrome, Safari and
decoders built on libavif or libheif show such grids; Firefox shows nothing (Mozilla bug
1696090).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from functools import lru_cache

import numpy as np
from PIL import Image

from bgdesk.inference.heif import CodedItem, parse_avif
from bgdesk.inference.heif_grid import MIN_TILE, GridLayout, mux_grid
from bgdesk.request.formats import AVIF_WHOLE_PIXELS

MAX_TILE = 2048
"""The longest tile side. Against one whole encode of a smooth 100 MP cutout, 1024 made the file
7% larger, 2048 3% (with about 150 MB in the encoder), 4096 1% (about 450 MB)."""

GRAYSCALE_MODES = frozenset({"1", "L", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"})


def encode_avif(
    image: Image.Image,
    quality: int,
    speed: int,
    icc_profile: bytes | None = None,
    *,
    direct_pixels: int = AVIF_WHOLE_PIXELS,
    max_tile: int = MAX_TILE,
) -> bytes:
    """`image` as an AVIF file: by Pillow whole up to `direct_pixels`, else as a grid of tiles
    no longer than `max_tile` a side, encoded one after another. `icc_profile`, or failing
    that the image's own, is embedded as Pillow would."""
    if max_tile % 2 or max_tile < MIN_TILE:
        raise ValueError(f"max_tile must be even and at least {MIN_TILE}, not {max_tile}")
    if image.width * image.height <= direct_pixels:
        return _pillow_avif(image, quality, speed, icc_profile)
    layout = GridLayout.covering(image.width, image.height, max_tile)
    mode = _tile_mode(image)
    icc = icc_profile or _embedded_profile(image)
    subsampling = _subsampling(mode, image.width, image.height)
    colour: list[CodedItem] = []
    alpha: list[CodedItem | None] = []
    ftyp = b""
    for tile in _tiles(image, layout, mode):
        parsed = parse_avif(_pillow_avif(tile, quality, speed, icc, subsampling))
        ftyp = ftyp or parsed.ftyp
        colour.append(parsed.colour)
        alpha.append(parsed.alpha)
    alpha_tiles = _alpha_tiles(alpha, layout, quality, speed)
    return mux_grid(ftyp, layout, colour, alpha_tiles)


def _pillow_avif(
    image: Image.Image,
    quality: int,
    speed: int,
    icc: bytes | None,
    subsampling: str | None = None,
) -> bytes:
    buffer = io.BytesIO()
    extra: dict[str, str | bytes] = {"icc_profile": icc} if icc else {}
    if subsampling:
        extra["subsampling"] = subsampling
    image.save(buffer, "AVIF", quality=quality, speed=speed, **extra)
    return buffer.getvalue()


def _subsampling(mode: str, width: int, height: int) -> str | None:
    """Chroma subsampling for the tiles; None leaves it to Pillow (4:0:0 for grey).

    MIAF (7.3.11.4.2) wants a 4:2:0 grid's output width and height even, and libavif refuses
    others; an odd-sized colour image keeps full chroma (4:4:4, a larger file) instead."""
    if mode == "L":
        return None
    return "4:2:0" if width % 2 == 0 and height % 2 == 0 else "4:4:4"


def _embedded_profile(image: Image.Image) -> bytes | None:
    # Pillow embeds the image's own profile when given none; padded tiles are new images
    # without it, so the tiled path passes it to every tile itself.
    profile = image.info.get("icc_profile")
    return profile if isinstance(profile, bytes) and profile else None


def _tile_mode(image: Image.Image) -> str:
    """The mode Pillow would encode `image` in, so every tile is converted alike."""
    if image.mode in ("L", "RGB", "RGBA"):
        return image.mode
    if image.has_transparency_data:
        return "RGBA"
    return "L" if image.mode in GRAYSCALE_MODES else "RGB"


def _tiles(image: Image.Image, layout: GridLayout, mode: str) -> Iterator[Image.Image]:
    """The tiles of `image` in `mode`, those at the edges padded by repeating their last
    pixels: that costs the encoder least and keeps shared chroma samples true."""
    for box in layout.boxes():
        tile = image.crop(box)
        if tile.mode != mode:
            tile = tile.convert(mode)
        missing_x, missing_y = layout.tile_width - tile.width, layout.tile_height - tile.height
        if missing_x or missing_y:
            pixels = np.asarray(tile)
            padding = ((0, missing_y), (0, missing_x)) + ((0, 0),) * (pixels.ndim - 2)
            tile = Image.fromarray(np.pad(pixels, padding, mode="edge"))
        yield tile


def _alpha_tiles(
    found: list[CodedItem | None], layout: GridLayout, quality: int, speed: int
) -> list[CodedItem] | None:
    """The alpha tiles, or None when every tile was opaque. libavif leaves the alpha out of an
    opaque tile, so those get a plane of 255s, encoded once."""
    if all(item is None for item in found):
        return None
    opaque = _opaque_alpha(layout.tile_width, layout.tile_height, quality, speed)
    return [opaque if item is None else item for item in found]


@lru_cache(maxsize=4)
def _opaque_alpha(width: int, height: int, quality: int, speed: int) -> CodedItem:
    plane = Image.new("L", (width, height), 255)
    return parse_avif(_pillow_avif(plane, quality, speed, None)).colour.as_alpha()
