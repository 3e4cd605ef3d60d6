"""What a cutout should look like: model or quality, format, background, crop, mask, edge
colours, canvas. Each option is declared once, here; validated on the way in."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from PIL import ImageColor

from bgdesk.errors import InvalidOption
from bgdesk.request.formats import (
    AVIF_WHOLE_PIXELS,
    FORMATS,
    PNG,
    OutputFormat,
    accepted_names,
    format_named,
)
from bgdesk.request.option_fields import (
    Kind,
    OptionField,
    declared_fields,
    markdown_rows,
    option,
)
from bgdesk.request.presets import PRESETS

MAX_MARGIN = 10_000
MAX_CANVAS = 10_000  # pixels a side
MAX_BLUR = 500
MAX_PADDING = 45  # percent of the canvas on each side
_HEX = re.compile(r"^[0-9a-fA-F]{6}$")
_SIZE = re.compile(r"^([0-9]{1,5})x([0-9]{1,5})$")

Rgb = tuple[int, int, int]

# Named canvases a request may give in place of a size: common square sizes and the shapes
# marketplaces and social networks ask product photos to have.
CANVAS_PRESETS: dict[str, tuple[str, str]] = {
    "square-1000": ("1000x1000", "1000-pixel square"),
    "square-1600": ("1600x1600", "1600-pixel square"),
    "square-2000": ("2000x2000", "2000-pixel square"),
    "amazon": ("2000x2000", "Amazon"),
    "ebay": ("1600x1600", "eBay"),
    "etsy": ("2700x2025", "Etsy, 4:3"),
    "shopify": ("2048x2048", "Shopify"),
    "instagram": ("1080x1080", "Instagram post"),
    "instagram-portrait": ("1080x1350", "Instagram portrait, 4:5"),
}


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


def canvas_size(canvas: str, subject: tuple[int, int], padding: int) -> tuple[int, int]:
    """The size of the canvas `canvas` names for a subject of `subject` pixels kept `padding`
    percent clear of each side: `square` (large enough for the subject at its own size, up
    to `MAX_CANVAS`) or `WIDTHxHEIGHT`."""
    if canvas == "square":
        side = min(math.ceil(max(subject) * 100 / (100 - 2 * padding)), MAX_CANVAS)
        return side, side
    match = _SIZE.match(canvas)
    assert match is not None  # checked when the options were made
    return int(match.group(1)), int(match.group(2))


def _check_canvas(canvas: str) -> None:
    match = _SIZE.match(canvas)
    sized = match is not None and all(1 <= int(n) <= MAX_CANVAS for n in match.groups())
    if canvas != "square" and not sized:
        raise InvalidOption(
            f"canvas must be square, WIDTHxHEIGHT (up to {MAX_CANVAS} each) or one of "
            f"{', '.join(CANVAS_PRESETS)}, not {canvas!r}."
        )


def _whole(option: OptionField, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidOption(f"{option.name} must be a whole number.") from None
    low, high = option.low, option.high
    if (low is not None and number < low) or (high is not None and number > high):
        raise InvalidOption(f"{option.name} must be between {low} and {high}.")
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


def _format_name(name: str) -> str:
    return format_named(name).name


def _canvas(canvas: str) -> str:
    """`square`, `WIDTHxHEIGHT` or a preset's name (stored as its size), any case."""
    canvas = canvas.strip().lower()
    canvas = CANVAS_PRESETS[canvas][0] if canvas in CANVAS_PRESETS else canvas
    _check_canvas(canvas)
    return canvas


def _format_notes() -> str:
    clear = [spec.name for spec in FORMATS.values() if spec.keeps_alpha]
    laid = [spec.name for spec in FORMATS.values() if not spec.keeps_alpha]
    return (
        f"{', '.join(clear[:-1])} and {clear[-1]} keep transparency, {' and '.join(laid)} "
        f"is laid on white. AVIF cutouts over {AVIF_WHOLE_PIXELS // 1_000_000} megapixels are "
        "written as a grid of tiles (as phones write large photos), which Chrome and Safari "
        "show and Firefox does not"
    )


@dataclass(frozen=True)
class OutputOptions:
    """How to render a cutout. Defaults give a transparent PNG of the whole image. Each field
    is declared once (`option`): the API's form, the command line's flags, the window's
    settings and the docs are made from the declarations."""

    format: str = option(
        PNG.name,
        "output format",
        choices=lambda: dict.fromkeys(accepted_names(), ""),
        spelling=_format_name,
        notes="; " + _format_notes(),
        default_setting="output_format",
    )
    bg_color: tuple[int, int, int] | None = option(
        None, "fill the background with a colour (#RRGGBB or a name)", metavar="COLOUR"
    )
    crop: bool = option(False, "crop to the subject")
    crop_margin: int = option(
        0, "pixels kept around the subject when cropping", low=0, high=MAX_MARGIN, metavar="PX"
    )
    mask_only: bool = option(False, "write the mask, not the cutout", notes=" (a greyscale image)")
    model: str | None = option(
        None,
        "model name",
        notes=" (see `bgdesk models list`); wins over `quality`",
        default_setting="default_model",
    )
    quality: str | None = option(  # a preset
        None, "the models to use when `model` names none", choices=lambda: PRESETS
    )
    decontaminate: bool | None = option(
        None,
        "take the old background's colour out of half-transparent edges",
        notes=" (hair, fur)",
        default_setting="decontaminate",
    )
    bg_blur: int = option(  # the photo itself behind the subject
        0,
        "keep the photo as the background, blurred by this radius",
        notes=" in pixels; not with `bg_color` or `canvas`",
        low=0,
        high=MAX_BLUR,
        metavar="PX",
    )
    canvas: str | None = option(
        None,
        "centre the subject on a canvas: square, WIDTHxHEIGHT such as 1200x1200, or a preset",
        notes=f"; a product shot of the cropped subject: `square` keeps the subject at its own "
        f"size, with `padding` around it (up to {MAX_CANVAS} pixels), `WIDTHxHEIGHT` up to "
        f"{MAX_CANVAS} each; presets: "
        + ", ".join(f"{name} ({size})" for name, (size, _) in CANVAS_PRESETS.items()),
        spelling=_canvas,
        metavar="SIZE",
    )
    padding: int = option(
        8,
        "with `canvas`: percent of the canvas kept clear on each side",
        low=0,
        high=MAX_PADDING,
        metavar="PCT",
    )
    shadow: bool = option(False, "a soft shadow under the subject")
    shadow_strength: int = option(
        45,
        "with `shadow`: how dark the shadow is at its darkest",
        notes=" in percent",
        low=1,
        high=100,
        metavar="PCT",
    )
    bg_image: bool = option(
        False,
        "lay the subject on this picture, scaled to cover the cutout",
        notes=" (or its canvas) and centred; not with `bg_color`, `bg_blur` or `mask_only`",
        picture=True,
        metavar="FILE",
    )

    def __post_init__(self) -> None:
        for declared in OPTION_FIELDS:
            value = getattr(self, declared.name)
            if value is None:
                continue
            if declared.spelling is not None:  # aliases (jpeg) are stored as the one name
                value = declared.spelling(value)
                object.__setattr__(self, declared.name, value)
            if declared.kind is Kind.WHOLE:
                _whole(declared, value)
            allowed = declared.choices() if declared.choices is not None else None
            if allowed is not None and value not in allowed:
                raise InvalidOption(
                    f"{declared.name} must be {' or '.join(allowed)}, not {value!r}."
                )
        self._check_together()

    def _check_together(self) -> None:
        """Options that ask for different backgrounds are refused together."""
        if self.bg_blur and (self.bg_color or self.canvas):
            raise InvalidOption(
                "bg_blur keeps the photo behind the subject: not with bg_color or canvas."
            )
        if self.bg_image and (self.bg_color or self.bg_blur or self.mask_only):
            raise InvalidOption(
                "A background picture fills the background: not with bg_color, bg_blur or "
                "mask_only."
            )

    @classmethod
    def option_fields(cls) -> tuple[OptionField, ...]:
        """The declared options, in order: what every face offers."""
        return OPTION_FIELDS

    @classmethod
    def markdown_rows(cls) -> str:
        """docs/api.md's rows of the output options, made from the declarations."""
        return markdown_rows(cls.option_fields())

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
        """Build from form fields, arguments or stored JSON; unknown names and values are
        refused, and an option left out or empty has its default."""
        unknown = set(values) - {option.name for option in OPTION_FIELDS}
        if unknown:
            raise InvalidOption(f"Unknown option(s): {', '.join(sorted(unknown))}.")
        return cls(
            **{option.name: _parsed(option, values.get(option.name)) for option in OPTION_FIELDS}
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


OPTION_FIELDS = declared_fields(OutputOptions)
BACKGROUND_FIELDS = ("bg_color", "bg_blur", "bg_image")


def _parsed(option: OptionField, value: Any) -> Any:
    """The value of `option` from a form field, an argument or stored JSON."""
    if value is None or value == "":
        value = option.default
    if option.kind in (Kind.YES_NO, Kind.PICTURE):
        return parse_bool(option.name, value)
    if option.kind is Kind.YES_NO_UNSET:
        return _maybe_bool(option.name, value)
    if option.kind is Kind.WHOLE:
        return _whole(option, value)
    if option.kind is Kind.COLOUR:
        return None if value is None else _color(value)
    return None if value is None else str(value)
