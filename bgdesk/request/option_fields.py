"""How an output option is declared, once, for every face to derive its part from: the API's
form field, the command line's flag, the window's setting and the row of docs/api.md.

Texts name other options, and other things to type, in backquotes (`canvas`); each face spells
an option its own way (`--canvas`, `canvas`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import Field, dataclass, field, fields
from enum import StrEnum
from typing import Any, get_type_hints


class Kind(StrEnum):
    """What an option's value is, which says how each face takes it."""

    YES_NO = "yes/no"
    YES_NO_UNSET = "yes/no, or unset for a setting to decide"
    WHOLE = "whole number"
    TEXT = "text"
    COLOUR = "colour"
    PICTURE = "picture"  # a file sent with the job; the option says whether one was


class Face(StrEnum):
    """Where people and scripts set options. The window offers an option through a setting
    declared for it (settings.py)."""

    API = "api"
    CLI = "cli"


KINDS: dict[Any, Kind] = {
    bool: Kind.YES_NO,
    bool | None: Kind.YES_NO_UNSET,
    int: Kind.WHOLE,
    str: Kind.TEXT,
    str | None: Kind.TEXT,
    tuple[int, int, int] | None: Kind.COLOUR,
}
TYPE_WORDS = {
    Kind.YES_NO: "boolean",
    Kind.YES_NO_UNSET: "boolean",
    Kind.WHOLE: "integer",
    Kind.TEXT: "string",
    Kind.COLOUR: "string",
    Kind.PICTURE: "file",
}
_QUOTED = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class OptionField:
    """One output option: its value, limits and words, and the faces that offer it."""

    name: str  # as stored options and the API's form spell it
    kind: Kind
    default: Any
    help: str  # what it does, for people: lower case, no full stop
    # More for the reference (the API's schema and docs) than for the command line's help,
    # going on from `help` or its choices: "; not with `canvas`".
    notes: str = ""
    faces: frozenset[Face] = frozenset(Face)
    low: int | None = None
    high: int | None = None
    choices: Callable[[], Mapping[str, str]] | None = None  # each value, and what it means
    spelling: Callable[[str], str] | None = None  # another accepted spelling → the stored one
    metavar: str = ""  # what the command line calls its value
    # The setting that decides when a request leaves the option unset. The API leaves to it
    # only options that can be unset (default None): elsewhere a script gets `default`.
    default_setting: str = ""

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def api_name(self) -> str:
        """The API's form field: a picture is uploaded as `NAME_file`, as the photo is."""
        return f"{self.name}_file" if self.kind is Kind.PICTURE else self.name


def option(default: Any, help: str, **declared: Any) -> Any:
    """A field of OutputOptions declared as an output option (see OptionField for the rest)."""
    return field(default=default, metadata={"option": {"help": help, **declared}})


def declared_fields(options: type) -> tuple[OptionField, ...]:
    """The output options a dataclass declares with `option`, in their order."""
    hints = get_type_hints(options)
    return tuple(_declared(found, hints[found.name]) for found in fields(options))


def _declared(found: Field[Any], hint: Any) -> OptionField:
    declared = dict(found.metadata["option"])
    kind = Kind.PICTURE if declared.pop("picture", False) else KINDS[hint]
    return OptionField(found.name, kind, found.default, **declared)


def said(
    text: str,
    spell: Callable[[str], str],
    names: Collection[str],
    other: Callable[[str], str] = str,
) -> str:
    """`text` with each option it quotes spelled by `spell`, and other quoted words by
    `other` (unquoted, unless told)."""
    return _QUOTED.sub(lambda quoted: (spell if quoted[1] in names else other)(quoted[1]), text)


def choices_text(option: OptionField, quote: str = "") -> str:
    """`png, webp or jpg`, or `best (what it means) or fast (…)`: the values to choose from."""
    if option.choices is None:
        return ""
    named = [
        f"{quote}{value}{quote}" + (f" ({meaning})" if meaning else "")
        for value, meaning in option.choices().items()
    ]
    return f"{', '.join(named[:-1])} or {named[-1]}" if len(named) > 1 else "".join(named)


def _limits(option: OptionField) -> str:
    """What the reference says of a value's range and default: ` (0-45, default 8)`."""
    said_of = []
    if option.low is not None and option.high is not None:
        said_of.append(f"{option.low}\N{EN DASH}{option.high}")
    if isinstance(option.default, str):
        said_of.append(f"default `{option.default}`")
    elif option.default not in (None, False, 0):
        said_of.append(f"default {option.default}")
    return f" ({', '.join(said_of)})" if said_of else ""


def markdown_rows(options: Collection[OptionField]) -> str:
    """The rows of docs/api.md's table of the remove-bg form that are output options."""
    names = {option.name for option in options}
    api_names = {option.name: option.api_name for option in options}

    def quoted(name: str) -> str:
        return f"`{api_names.get(name, name)}`"

    rows = []
    for option in options:
        if Face.API not in option.faces:
            continue
        meaning = said(option.help, quoted, names, quoted)
        if option.choices is not None:
            meaning += ": " + choices_text(option, "`")
        if option.notes:
            meaning += said(option.notes, quoted, names, quoted)
        meaning += _limits(option)
        if option.default_setting and option.default is None:
            meaning += f"; default: the setting `{option.default_setting}`"
        rows.append(f"| `{option.api_name}` | {TYPE_WORDS[option.kind]} | {meaning} |")
    return "\n".join(rows)
