"""The output formats, as one table: the API's accepted values, the CLI's choices, the
window's file filters and Settings, the messages that list them and the encoder used all
come from here. A new format is a new row (and its tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bgdesk.errors import InvalidOption


@dataclass(frozen=True)
class OutputFormat:
    """One way to write a cutout."""

    name: str  # as options, settings and the API spell it
    extension: str
    media_type: str
    label: str  # for people: file dialogs and Settings
    keeps_alpha: bool  # False: the cutout is laid on a colour (white unless one is asked for)
    encoder: str | None  # Pillow's writer; None: bgdesk's own parallel PNG encoder
    aliases: tuple[str, ...] = ()
    encoder_options: dict[str, Any] = field(default_factory=dict)
    # Bytes a pixel the encoder holds beside the image (opaque, with alpha), measured with
    # bench/footprint.py, and the most pixels it holds them for (0: the whole image; more
    # are encoded a tile at a time, see inference/avif.py).
    encoder_memory: tuple[float, float] = (0.0, 0.0)
    encoder_pixels: int = 0

    def encoder_bytes(self, pixels: int, alpha: bool) -> int:
        """What encoding an image of `pixels` pixels takes beside the image itself."""
        held = min(pixels, self.encoder_pixels) if self.encoder_pixels else pixels
        return round(self.encoder_memory[alpha] * held)


AVIF_WHOLE_PIXELS = 16_000_000
"""Up to this many pixels Pillow encodes an AVIF image whole, taking about 420 MB in the encoder
at 16 MP, so a 12 MP phone photo or a 4000x4000 canvas stays an image Firefox shows. Tiling would
cost little (a 12 MP photo took 2.4 s and 110 MB tiled, 5.2 s and 320 MB whole, for 0.6% more
bytes) but Firefox shows no grid AVIF at all (Mozilla bug 1696090)."""

PNG = OutputFormat("png", "png", "image/png", "PNG (transparent)", True, None)
FORMATS: dict[str, OutputFormat] = {
    spec.name: spec
    for spec in (
        PNG,
        OutputFormat(
            "webp",
            "webp",
            "image/webp",
            "WEBP (transparent, smaller)",
            True,
            "WEBP",
            encoder_options={"quality": 90},
            encoder_memory=(6.0, 24.0),
        ),
        OutputFormat(
            "jpg",
            "jpg",
            "image/jpeg",
            "JPEG (on white)",
            False,
            "JPEG",
            aliases=("jpeg",),
            encoder_options={"quality": 92},
            encoder_memory=(3.0, 3.0),
        ),
        OutputFormat(
            "avif",
            "avif",
            "image/avif",
            "AVIF (transparent, smallest)",
            True,
            "AVIF",
            # speed 8: as quick as WEBP at 12 MP and about as small; 6 takes twice as long
            encoder_options={"quality": 80, "speed": 8},
            encoder_memory=(26.0, 26.0),
            encoder_pixels=AVIF_WHOLE_PIXELS,
        ),
    )
}


def _by_name() -> dict[str, OutputFormat]:
    return {name: spec for spec in FORMATS.values() for name in (spec.name, *spec.aliases)}


def names_text() -> str:
    """`png, webp, jpg or avif`: the formats as a sentence names them."""
    names = list(FORMATS)
    return f"{', '.join(names[:-1])} or {names[-1]}"


def accepted_names() -> list[str]:
    """Every spelling accepted from people and scripts: names, then aliases."""
    return list(_by_name())


def format_named(name: str) -> OutputFormat:
    """The format called `name` (or one of its aliases), any case."""
    spec = _by_name().get(name.strip().lower().lstrip("."))
    if spec is None:
        raise InvalidOption(f"Unknown format {name!r}: use {names_text()}.")
    return spec


def format_for_suffix(suffix: str) -> OutputFormat:
    """The format a file name's suffix (`.jpeg`) asks for."""
    try:
        return format_named(suffix)
    except InvalidOption:
        extensions = ", ".join(f".{spec.extension}" for spec in FORMATS.values())
        raise InvalidOption(f"Save as {extensions}, not {suffix or 'nothing'}.") from None
