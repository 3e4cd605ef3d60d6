"""An AVIF file whose primary item is a 'grid' derived image (ISO/IEC 23008-12, 6.6.2.3).

The grid's tiles are hidden 'av01' items, each encoded on its own, so no encoder ever holds the
whole image; decoders put the tiles together. Transparency is a second grid, of alpha tiles,
referenced as the first grid's auxiliary image. Chrome, Safari, libavif and libheif show such
files; Firefox does not (Mozilla bug 1696090).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from bgdesk.errors import ProcessingFailed
from bgdesk.inference.heif import CodedItem, Property, box, full_box

MIN_TILE = 64  # MIAF's smallest grid tile
MAX_TILES_PER_SIDE = 256  # ImageGrid stores rows and columns minus one in a byte


@dataclass(frozen=True)
class GridLayout:
    """Equal tiles covering a width x height image; the last row and column overhang it."""

    width: int
    height: int
    tile_width: int
    tile_height: int

    @classmethod
    def covering(cls, width: int, height: int, max_tile: int) -> GridLayout:
        """The fewest tiles of at most `max_tile` a side, each as small as still covers."""
        return cls(width, height, _tile_side(width, max_tile), _tile_side(height, max_tile))

    @property
    def columns(self) -> int:
        return math.ceil(self.width / self.tile_width)

    @property
    def rows(self) -> int:
        return math.ceil(self.height / self.tile_height)

    def boxes(self) -> Iterator[tuple[int, int, int, int]]:
        """Each tile's box in the image, row by row, clipped to the image."""
        for top in range(0, self.height, self.tile_height):
            for left in range(0, self.width, self.tile_width):
                yield (
                    left,
                    top,
                    min(left + self.tile_width, self.width),
                    min(top + self.tile_height, self.height),
                )


def _tile_side(length: int, max_tile: int) -> int:
    # Even, for 4:2:0 chroma; sized to the image so the overhang stays a few pixels.
    count = math.ceil(length / max_tile)
    side = max(MIN_TILE, math.ceil(length / count / 2) * 2)
    if math.ceil(length / side) > MAX_TILES_PER_SIDE:
        raise ValueError(f"{length} pixels need more than {MAX_TILES_PER_SIDE} tiles a side")
    return side


# Writing the grid file -------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """An item to write: 'av01' data goes to mdat, the 'grid' description to idat."""

    kind: bytes
    data: bytes
    properties: tuple[Property, ...]
    hidden: bool = False


def mux_grid(
    ftyp: bytes,
    layout: GridLayout,
    colour: list[CodedItem],
    alpha: list[CodedItem] | None,
) -> bytes:
    """One AVIF file whose primary item is the grid of the `colour` tiles (row by row), with
    the grid of the `alpha` tiles, if any, as its alpha auxiliary image."""
    count = layout.rows * layout.columns
    if len(colour) != count or len(alpha or colour) != count:
        raise ProcessingFailed(f"An AVIF grid of {count} tiles got a different number.")
    entries = _grid_entries(layout, colour)
    references = [(b"dimg", 1, list(range(2, count + 2)))]
    if alpha is not None:
        alpha_grid = count + 2
        entries += _grid_entries(layout, alpha)
        references.append(
            (b"dimg", alpha_grid, list(range(alpha_grid + 1, alpha_grid + 1 + count)))
        )
        references.append((b"auxl", alpha_grid, [1]))
    coded = [entry.data for entry in entries if entry.kind == b"av01"]
    mdat = box(b"mdat", *coded)
    header = len(mdat) - sum(len(data) for data in coded)
    # Offsets have a fixed width, so a draft with dummy offsets gives the meta box's size.
    draft = _meta(entries, references, 0, wide=False)
    wide = len(ftyp) + len(draft) + len(mdat) > 0xFFFFFFFF
    if wide:
        draft = _meta(entries, references, 0, wide=True)
    meta = _meta(entries, references, len(ftyp) + len(draft) + header, wide)
    return ftyp + meta + mdat


def _grid_entries(layout: GridLayout, tiles: list[CodedItem]) -> list[Entry]:
    """A grid item followed by its hidden tile items, all sharing one decoder configuration."""
    config = tiles[0].property(b"av1C")
    if any(tile.property(b"av1C") != config for tile in tiles):
        raise ProcessingFailed("The AVIF tiles were encoded with different AV1 configurations.")
    extent = full_box(b"ispe", 0, 0, struct.pack(">II", layout.width, layout.height))
    shared = tuple(
        Property(extent) if prop.kind == b"ispe" else prop
        for prop in tiles[0].properties
        if prop.kind != b"av1C"
    )
    grid = Entry(b"grid", _image_grid(layout), shared)
    return [grid] + [Entry(b"av01", tile.payload, tile.properties, hidden=True) for tile in tiles]


def _image_grid(layout: GridLayout) -> bytes:
    """The ImageGrid payload: version 0, flags saying whether sizes take 32 bits."""
    large = max(layout.width, layout.height) > 0xFFFF
    size_format = ">II" if large else ">HH"
    counts = struct.pack(">BBBB", 0, int(large), layout.rows - 1, layout.columns - 1)
    return counts + struct.pack(size_format, layout.width, layout.height)


def _meta(
    entries: list[Entry],
    references: list[tuple[bytes, int, list[int]]],
    mdat_start: int,
    wide: bool,
) -> bytes:
    """The meta box; 'av01' data is placed from `mdat_start` on, in entry order."""
    if len(entries) > 0xFFFF:
        raise ProcessingFailed("An AVIF grid has more tiles than 16-bit item IDs can name.")
    pool, associations = _property_pool(entries)
    infos = [
        full_box(b"infe", 2, int(entry.hidden), struct.pack(">HH", item_id, 0), entry.kind, b"\0")
        for item_id, entry in enumerate(entries, 1)
    ]
    links = [
        box(
            kind, struct.pack(">HH", source, len(targets)), *(struct.pack(">H", t) for t in targets)
        )
        for kind, source, targets in references
    ]
    return full_box(
        b"meta",
        0,
        0,
        full_box(b"hdlr", 0, 0, bytes(4), b"pict", bytes(12), b"\0"),
        full_box(b"pitm", 0, 0, struct.pack(">H", 1)),
        _iloc(entries, mdat_start, wide),
        full_box(b"iinf", 0, 0, struct.pack(">H", len(entries)), *infos),
        full_box(b"iref", 0, 0, *links),
        box(b"iprp", box(b"ipco", *pool), _ipma(associations)),
        box(b"idat", *(entry.data for entry in entries if entry.kind == b"grid")),
    )


def _iloc(entries: list[Entry], mdat_start: int, wide: bool) -> bytes:
    """ItemLocationBox version 1: coded items in mdat (construction method 0, file offsets),
    grid descriptions in idat (method 1, offsets into it)."""
    offset_format = ">Q" if wide else ">I"
    positions = {b"av01": mdat_start, b"grid": 0}
    rows = []
    for item_id, entry in enumerate(entries, 1):
        method = 1 if entry.kind == b"grid" else 0
        offset = struct.pack(offset_format, positions[entry.kind])
        rows.append(struct.pack(">HHHH", item_id, method, 0, 1) + offset)
        rows.append(struct.pack(offset_format, len(entry.data)))
        positions[entry.kind] += len(entry.data)
    size = 8 if wide else 4
    sizes = struct.pack(">BB", size << 4 | size, 0)
    return full_box(b"iloc", 1, 0, sizes, struct.pack(">H", len(entries)), *rows)


def _property_pool(entries: list[Entry]) -> tuple[list[bytes], list[list[tuple[int, bool]]]]:
    """The distinct property boxes, and each entry's (1-based index, essential) list."""
    pool: dict[bytes, int] = {}
    associations = [
        [(pool.setdefault(prop.box, len(pool) + 1), prop.essential) for prop in entry.properties]
        for entry in entries
    ]
    return list(pool), associations


def _ipma(associations: list[list[tuple[int, bool]]]) -> bytes:
    """ItemPropertyAssociationBox version 0 (16-bit IDs), with 15-bit indices if needed."""
    wide = any(index > 0x7F for indices in associations for index, _ in indices)
    index_format, top_bit = (">H", 0x8000) if wide else (">B", 0x80)
    rows = [
        struct.pack(">HB", item_id, len(indices))
        + b"".join(
            struct.pack(index_format, index | (top_bit if on else 0)) for index, on in indices
        )
        for item_id, indices in enumerate(associations, 1)
    ]
    return full_box(b"ipma", 0, int(wide), struct.pack(">I", len(associations)), *rows)
