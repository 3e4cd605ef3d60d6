"""The options every command that makes cutouts takes (`remove`, `watch`): where cutouts go
and how they are made, declared once."""

from __future__ import annotations

import argparse
from pathlib import Path

from bgdesk.errors import InvalidRequest
from bgdesk.request.formats import accepted_names
from bgdesk.request.options import OutputOptions, parse_color
from bgdesk.request.presets import PRESETS
from bgdesk.settings import Settings


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="DIR",
        help="write cutouts here (default: beside each input, as NAME-nobg.EXT)",
    )
    parser.add_argument(
        "--format",
        choices=accepted_names(),
        default=None,
        help="output format (default: the setting output_format)",
    )
    parser.add_argument("--model", help="model name (default: the setting default_model)")
    parser.add_argument(
        "--quality",
        choices=list(PRESETS),
        help="best: the installed model that measured best; fast: the fastest (--model wins)",
    )
    parser.add_argument(
        "--decontaminate",
        action=argparse.BooleanOptionalAction,
        help="take the old background's colour out of half-transparent edges "
        "(default: the setting decontaminate)",
    )
    parser.add_argument(
        "--bg-color",
        type=parse_color,
        metavar="COLOUR",
        help="fill the background with a colour (#RRGGBB or a name)",
    )
    parser.add_argument("--crop", action="store_true", help="crop to the subject")
    parser.add_argument(
        "--crop-margin",
        type=int,
        default=0,
        metavar="PX",
        help="pixels kept around the subject when cropping",
    )
    parser.add_argument("--mask-only", action="store_true", help="write the mask, not the cutout")
    parser.add_argument(
        "--bg-blur",
        type=int,
        default=0,
        metavar="PX",
        help="keep the photo as the background, blurred by this radius",
    )
    parser.add_argument(
        "--canvas",
        metavar="SIZE",
        help="centre the subject on a canvas: square, or WIDTHxHEIGHT such as 1200x1200",
    )
    parser.add_argument(
        "--padding",
        type=int,
        default=8,
        metavar="PCT",
        help="with --canvas: percent of the canvas kept clear on each side (default 8)",
    )
    parser.add_argument("--shadow", action="store_true", help="a soft shadow under the subject")
    parser.add_argument(
        "--bg-image",
        type=Path,
        metavar="FILE",
        help="lay the subject on this picture, scaled to cover the cutout",
    )


def output_options(args: argparse.Namespace, settings: Settings) -> OutputOptions:
    """The output options the arguments ask for, the settings filling in the rest."""
    return OutputOptions(
        format=args.format or settings.output_format,
        bg_color=args.bg_color,
        crop=args.crop,
        crop_margin=args.crop_margin,
        mask_only=args.mask_only,
        model=args.model,
        quality=args.quality,
        decontaminate=args.decontaminate,
        bg_blur=args.bg_blur,
        canvas=args.canvas.strip().lower() if args.canvas else None,
        padding=args.padding,
        shadow=args.shadow,
        bg_image=args.bg_image is not None,
    )


def background_picture(args: argparse.Namespace) -> bytes | None:
    """The bytes of the picture `--bg-image` names, if it names one."""
    if args.bg_image is None:
        return None
    try:
        return Path(args.bg_image).read_bytes()
    except OSError as exc:
        raise InvalidRequest(f"Cannot read {args.bg_image}: {exc.strerror or exc}") from None
