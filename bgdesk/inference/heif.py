"""The boxes of AVIF's container, HEIF (ISOBMFF: ISO/IEC 14496-12 and 23008-12), read and
written just as far as encoding in tiles needs.

Pillow encodes an image only whole. To keep a large image's encode small, avif.py has Pillow
encode it tile by tile; `parse_avif` takes each tile's AV1 bitstream and properties out of the
single-image file libavif wrote, and heif_grid.py writes them into one file with `box` and
`full_box`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, replace

from bgdesk.errors import ProcessingFailed

ALPHA_URN = b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha\x00"


@dataclass(frozen=True)
class Property:
    """An item property box (header included) and whether readers must understand it."""

    box: bytes
    essential: bool = False

    @property
    def kind(self) -> bytes:
        return self.box[4:8]


@dataclass(frozen=True)
class CodedItem:
    """One AV1 image item: its bitstream and its properties, in file order."""

    payload: bytes
    properties: tuple[Property, ...]

    def property(self, kind: bytes) -> bytes:
        """The first property box of `kind`."""
        for prop in self.properties:
            if prop.kind == kind:
                return prop.box
        raise ProcessingFailed(f"An AVIF tile has no {kind.decode()} property.")

    def as_alpha(self) -> CodedItem:
        """This grey item as an alpha plane: no colour information, an auxC naming alpha."""
        kept = tuple(prop for prop in self.properties if prop.kind != b"colr")
        return replace(self, properties=(*kept, Property(full_box(b"auxC", 0, 0, ALPHA_URN))))


@dataclass(frozen=True)
class AvifFile:
    """What a single-image AVIF file holds: its ftyp box, colour item and alpha item."""

    ftyp: bytes
    colour: CodedItem
    alpha: CodedItem | None


# Reading Pillow's files ------------------------------------------------------------------


class Fields:
    """Big-endian fields read in order from a box body."""

    def __init__(self, data: bytes) -> None:
        self.data, self.position = data, 0

    def uint(self, size: int) -> int:
        """An unsigned integer of `size` bytes; 0 bytes read as 0."""
        if self.position + size > len(self.data):
            raise ProcessingFailed("An AVIF tile's header is truncated.")
        value = int.from_bytes(self.data[self.position : self.position + size], "big")
        self.position += size
        return value

    def take(self, size: int) -> bytes:
        """The next `size` bytes as they are."""
        start = self.position
        self.uint(size)
        return self.data[start : self.position]


def boxes(data: bytes) -> Iterator[tuple[bytes, bytes, bytes]]:
    """The ISOBMFF boxes laid end to end in `data`, as (type, body, whole box)."""
    position = 0
    while position < len(data):
        fields = Fields(data[position : position + 16])
        size, kind, header = fields.uint(4), fields.take(4), 8
        if size == 1:
            size, header = fields.uint(8), 16
        elif size == 0:
            size = len(data) - position
        if size < header or position + size > len(data):
            raise ProcessingFailed("An AVIF tile has a box that overruns the file.")
        yield kind, data[position + header : position + size], data[position : position + size]
        position += size


def children(data: bytes) -> dict[bytes, bytes]:
    """The bodies of the boxes in `data` by type (the first of each type)."""
    found: dict[bytes, bytes] = {}
    for kind, body, _ in boxes(data):
        found.setdefault(kind, body)
    return found


def parse_avif(data: bytes) -> AvifFile:
    """The colour and alpha items of an AVIF file with one image, as libavif writes it."""
    top = {kind: (body, whole) for kind, body, whole in boxes(data)}
    if b"ftyp" not in top or b"meta" not in top:
        raise ProcessingFailed("An AVIF tile has no ftyp or meta box.")
    meta = children(top[b"meta"][0][4:])
    primary = Fields(meta[b"pitm"][4:]).uint(2 if meta[b"pitm"][0] == 0 else 4)
    extents = _item_locations(meta[b"iloc"])
    properties = _item_properties(meta[b"iprp"])
    alpha_ids = [source for source, target in _references(meta, b"auxl") if target == primary]

    def item(item_id: int) -> CodedItem:
        payload = b"".join(data[offset : offset + length] for offset, length in extents[item_id])
        return CodedItem(payload, properties.get(item_id, ()))

    alpha = item(alpha_ids[0]) if alpha_ids else None
    return AvifFile(top[b"ftyp"][1], item(primary), alpha)


def _item_locations(iloc: bytes) -> dict[int, list[tuple[int, int]]]:
    """Each item's extents (file offset, length) from an ItemLocationBox."""
    fields = Fields(iloc)
    version = fields.uint(4) >> 24
    sizes = fields.uint(2)
    offset_size, length_size, base_size = sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15
    index_size = sizes & 15 if version in (1, 2) else 0
    locations: dict[int, list[tuple[int, int]]] = {}
    for _ in range(fields.uint(2 if version < 2 else 4)):
        item_id = fields.uint(2 if version < 2 else 4)
        if version in (1, 2) and fields.uint(2) & 15:
            raise ProcessingFailed("An AVIF tile keeps its data outside the file's mdat.")
        fields.uint(2)  # data_reference_index: 0, this file
        base = fields.uint(base_size)
        extents = []
        for _ in range(fields.uint(2)):
            fields.uint(index_size)
            offset = base + fields.uint(offset_size)
            extents.append((offset, fields.uint(length_size)))
        locations[item_id] = extents
    return locations


def _references(meta: dict[bytes, bytes], kind: bytes) -> Iterator[tuple[int, int]]:
    """(from, to) item pairs of the references of `kind` in the meta box's iref."""
    if b"iref" not in meta:
        return
    id_size = 2 if meta[b"iref"][0] == 0 else 4
    for ref_kind, body, _ in boxes(meta[b"iref"][4:]):
        fields = Fields(body)
        source = fields.uint(id_size)
        targets = [fields.uint(id_size) for _ in range(fields.uint(2))]
        if ref_kind == kind:
            yield from ((source, target) for target in targets)


def _item_properties(iprp: bytes) -> dict[int, tuple[Property, ...]]:
    """Each item's properties, resolved from the ipco list through ipma."""
    parts = children(iprp)
    pool = [whole for _, _, whole in boxes(parts[b"ipco"])]
    fields = Fields(parts[b"ipma"])
    version_flags = fields.uint(4)
    wide_ids, wide_indices = version_flags >> 24 >= 1, version_flags & 1
    associated: dict[int, tuple[Property, ...]] = {}
    for _ in range(fields.uint(4)):
        item_id = fields.uint(4 if wide_ids else 2)
        found = []
        for _ in range(fields.uint(1)):
            value = fields.uint(2 if wide_indices else 1)
            top_bit = 1 << (15 if wide_indices else 7)
            index = value & (top_bit - 1)
            if index:  # 0 means no property
                found.append(Property(pool[index - 1], bool(value & top_bit)))
        associated[item_id] = tuple(found)
    return associated


# Writing boxes ---------------------------------------------------------------------------


def box(kind: bytes, *parts: bytes) -> bytes:
    """An ISOBMFF box of `kind` around `parts` (a 64-bit size when 32 bits do not hold it)."""
    size = 8 + sum(len(part) for part in parts)
    if size >= 1 << 32:
        return b"".join((struct.pack(">I4sQ", 1, kind, size + 8), *parts))
    return b"".join((struct.pack(">I4s", size, kind), *parts))


def full_box(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    """A FullBox: a box whose body starts with a version byte and 24 bits of flags."""
    return box(kind, struct.pack(">I", version << 24 | flags), *parts)
