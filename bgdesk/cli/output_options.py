"""The options every command that makes cutouts takes (`remove`, `watch`): where cutouts go,
and a flag for each output option, made from the options' declarations."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bgdesk.errors import InvalidRequest
from bgdesk.request.option_fields import Face, Kind, OptionField, choices_text, said
from bgdesk.request.options import OutputOptions, parse_color
from bgdesk.settings import Settings

ACTIONS: dict[Kind, dict[str, Any]] = {
    Kind.YES_NO: {"action": "store_true"},
    Kind.YES_NO_UNSET: {"action": argparse.BooleanOptionalAction},
    Kind.WHOLE: {"type": int},
    Kind.TEXT: {},
    Kind.COLOUR: {"type": parse_color},
    Kind.PICTURE: {"type": Path},
}


def cli_options() -> list[OptionField]:
    return [option for option in OutputOptions.option_fields() if Face.CLI in option.faces]


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="DIR",
        help="write cutouts here (default: beside each input, as NAME-nobg.EXT)",
    )
    options = cli_options()
    flags = {option.name: option.flag for option in options}
    for option in options:
        parser.add_argument(option.flag, **_argument(option, flags))


def _argument(option: OptionField, flags: dict[str, str]) -> dict[str, Any]:
    """How argparse takes `option`: its action or type, default, choices, metavar and help."""
    argument = dict(ACTIONS[option.kind])
    if option.kind is Kind.WHOLE:
        argument["default"] = option.default
    if option.metavar:
        argument["metavar"] = option.metavar
    if option.choices is not None:
        argument["choices"] = list(option.choices())
    argument["help"] = _help(option, flags)
    return argument


def _help(option: OptionField, flags: dict[str, str]) -> str:
    text = said(option.help, lambda name: flags[name], flags)
    meanings = option.choices() if option.choices is not None else {}
    if any(meanings.values()):  # the values alone are listed by argparse
        text += ": " + choices_text(option)
    if option.default_setting:
        text += f" (default: the setting {option.default_setting})"
    elif option.kind is Kind.WHOLE and option.default:
        text += f" (default {option.default})"
    return text


def output_options(args: argparse.Namespace, settings: Settings) -> OutputOptions:
    """The output options the arguments ask for, the settings filling in the rest."""
    values: dict[str, Any] = {}
    for option in cli_options():
        value = getattr(args, option.name)
        if option.kind is Kind.PICTURE:
            value = value is not None
        elif value is None and option.default_setting and option.default is not None:
            # An option that cannot be left unset takes the setting here; the others are
            # left for the engine, which asks the setting as it makes the cutout.
            value = getattr(settings, option.default_setting)
        values[option.name] = value
    return OutputOptions.from_mapping(values)


def background_picture(args: argparse.Namespace) -> bytes | None:
    """The bytes of the picture `--bg-image` names, if it names one."""
    if args.bg_image is None:
        return None
    try:
        return Path(args.bg_image).read_bytes()
    except OSError as exc:
        raise InvalidRequest(f"Cannot read {args.bg_image}: {exc.strerror or exc}") from None
