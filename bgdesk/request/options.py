"""What a cutout should look like: model or quality, format, background, crop, mask, edge
colours. Validated on the way in."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from PIL import ImageColor

from bgdesk.errors import InvalidOption
from bgdesk.request.formats import FORMATS, PNG, OutputFormat, format_named
from bgdesk.request.presets import PRESETS

MAX_MARGIN = 10_000
MAX_CANVAS = 10_000  # pixels a side
MAX_BLUR = 500
MAX_PADDING = 45  # percent of the canvas on each side
_HEX = re.compile(r"^[0-9a-fA-F]{6}$")
_SIZE = re.compile(r"^([0-9]{1,5})x([0-9]{1,5})$")

Rgb = tuple[int, int, int]


def parse_color(value: str) -> Rgb:
    """'#RRGGBB', 'RRGGBB' or a CSS colour name → an RGB triple."""
    text = value.strip()
    if _HEX.match(text):
        text = "#" + text
    try:
        red, green, blue = ImageColor.getrgb(text)[:3]
    except ValueError:
        raise InvalidOption(
            f"Unknown colour {value!r}: use #RRGGBB or a colour name such as white."
        ) from None
    return red, green, blue


def _color(value: Any) -> Rgb:
    """A colour from a form field (text) or from stored options (a list of three numbers)."""
    if isinstance(value, list | tuple):
        if len(value) == 3 and all(isinstance(v, int) and 0 <= v <= 255 for v in value):
            return value[0], value[1], value[2]
        raise InvalidOption(f"Unknown colour {value!r}.")
    return parse_color(str(value))


def canvas_size(canvas: str, subject: tuple[int, int]) -> tuple[int, int]:
    """The size of the canvas `canvas` names for a subject of `subject` pixels: `square`
    (as wide as the subject is long, up to `MAX_CANVAS`) or `WIDTHxHEIGHT`."""
    if canvas == "square":
        side = min(max(subject), MAX_CANVAS)
        return side, side
    match = _SIZE.match(canvas)
    assert match is not None  # checked when the options were made
    return int(match.group(1)), int(match.group(2))


def _check_canvas(canvas: str) -> None:
    match = _SIZE.match(canvas)
    sized = match is not None and all(1 <= int(n) <= MAX_CANVAS for n in match.groups())
    if canvas != "square" and not sized:
        raise InvalidOption(
            f"canvas must be square or WIDTHxHEIGHT (up to {MAX_CANVAS} each), not {canvas!r}."
        )


def _whole(name: str, value: Any, low: int, high: int) -> int:
    try:
        number = int(value or 0)
    except (TypeError, ValueError):
        raise InvalidOption(f"{name} must be a whole number.") from None
    if not low <= number <= high:
        raise InvalidOption(f"{name} must be between {low} and {high}.")
    return number


def _maybe_bool(name: str, value: Any) -> bool | None:
    return None if value is None or value == "" else parse_bool(name, value)


TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off", ""})


def parse_bool(name: str, value: Any) -> bool:
    """A yes/no value from a form field, a command line or JSON: true/false, 1/0, yes/no,
    on/off (an empty form field is no)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise InvalidOption(f"{name} must be true or false, not {value!r}.")


@dataclass(frozen=True)
class OutputOptions:
    """How to render a cutout. Defaults give a transparent PNG of the whole image."""

    format: str = "png"
    bg_color: Rgb | None = None
    crop: bool = False
    crop_margin: int = 0
    mask_only: bool = False
    model: str | None = None  # wins over `quality`
    quality: str | None = None  # a preset; None: the setting decides
    decontaminate: bool | None = None  # clean edge colours; None: the setting decides
    bg_blur: int = 0  # the photo itself, blurred by this radius in pixels, as the background
    canvas: str | None = None  # `square` or `WIDTHxHEIGHT`: the subject centred on it
    padding: int = 8  # percent of the canvas kept clear on each side of the subject
    shadow: bool = False  # a soft shadow under the subject
    bg_image: bool = False  # a picture given with the job, scaled to cover, as the background

    def __post_init__(self) -> None:
        # Aliases (jpeg) are stored under the format's own name.
        object.__setattr__(self, "format", format_named(self.format).name)
        if not 0 <= self.crop_margin <= MAX_MARGIN:
            raise InvalidOption(f"crop_margin must be between 0 and {MAX_MARGIN} pixels.")
        _whole("bg_blur", self.bg_blur, 0, MAX_BLUR)
        _whole("padding", self.padding, 0, MAX_PADDING)
        if self.canvas is not None:
            _check_canvas(self.canvas)
        if self.bg_blur and (self.bg_color or self.canvas):
            raise InvalidOption(
                "bg_blur keeps the photo behind the subject: not with bg_color or canvas."
            )
        if self.bg_image and (self.bg_color or self.bg_blur or self.mask_only):
            raise InvalidOption(
                "A background picture fills the background: not with bg_color, bg_blur or "
                "mask_only."
            )
        if self.quality is not None and self.quality not in PRESETS:
            raise InvalidOption(f"quality must be {' or '.join(PRESETS)}, not {self.quality!r}.")

    @property
    def output_format(self) -> OutputFormat:
        return FORMATS[self.format]

    @property
    def media_type(self) -> str:
        return self.output_format.media_type

    @property
    def extension(self) -> str:
        return self.output_format.extension

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> OutputOptions:
        """Build from form fields or stored JSON; unknown names and values are refused."""
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise InvalidOption(f"Unknown option(s): {', '.join(sorted(unknown))}.")
        color = values.get("bg_color")
        try:
            margin = int(values.get("crop_margin") or 0)
        except (TypeError, ValueError):
            raise InvalidOption("crop_margin must be a whole number of pixels.") from None
        return cls(
            format=str(values.get("format") or PNG.name),
            bg_color=_color(color) if color else None,
            crop=parse_bool("crop", values.get("crop", False)),
            crop_margin=margin,
            mask_only=parse_bool("mask_only", values.get("mask_only", False)),
            model=str(values["model"]) if values.get("model") else None,
            quality=str(values["quality"]) if values.get("quality") else None,
            decontaminate=_maybe_bool("decontaminate", values.get("decontaminate")),
            bg_blur=_whole("bg_blur", values.get("bg_blur"), 0, MAX_BLUR),
            canvas=str(values["canvas"]).strip().lower() if values.get("canvas") else None,
            padding=_whole("padding", values.get("padding", 8), 0, MAX_PADDING),
            shadow=parse_bool("shadow", values.get("shadow", False)),
            bg_image=parse_bool("bg_image", values.get("bg_image") or False),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_background(self, background: Mapping[str, Any]) -> OutputOptions:
        """These options with the background `background` names (`bg_color`, `bg_blur` or
        `bg_image`; none of them: transparent) in place of their own."""
        values = self.to_dict() | dict.fromkeys(BACKGROUND_FIELDS) | dict(background)
        return OutputOptions.from_mapping(values)

    @property
    def background(self) -> dict[str, Any]:
        """The fields that say what is behind the subject, those that are set."""
        values = self.to_dict()
        return {name: values[name] for name in BACKGROUND_FIELDS if values[name]}


BACKGROUND_FIELDS = ("bg_color", "bg_blur", "bg_image")
