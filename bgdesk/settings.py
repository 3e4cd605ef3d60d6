"""One settings object: every field declared once — type, default, help, allowed values or
range — validated when set or loaded, and kept as JSON. The table in docs/settings.md is made
from the declarations (`markdown_table`)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import Field, asdict, dataclass, field, fields
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bgdesk.errors import InvalidOption, SettingsError
from bgdesk.inference.catalog import CATALOG
from bgdesk.inference.decode import Limits
from bgdesk.inference.devices import AUTO, DEVICES, devices_here
from bgdesk.request.formats import FORMATS, names_text
from bgdesk.request.options import CANVAS_PRESETS, OutputOptions, parse_bool
from bgdesk.request.presets import PRESETS, Preset
from bgdesk.storage.database import POSTGRESQL_SCHEMES
from bgdesk.storage.files import write_atomic

SERVER_KEEPS_OUTPUTS_DAYS = 30
KIND_WORDS = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}


def _setting(
    default: Any,
    help: str,
    *,
    label: str = "",
    choices: Callable[[], Mapping[str, str]] | None = None,
    spelling: Callable[[str], str] | None = None,
    low: float | None = None,
    high: float | None = None,
    folder: bool = False,
    folders: bool = False,
    shown: str = "",
    env: str = "",
    option: str = "",
    suggestions: Callable[[], Mapping[str, str]] | None = None,
    offered: Callable[[], Mapping[str, str]] | None = None,
) -> Any:
    """A declared setting: `label` names it in the Settings dialog (which edits only labelled
    ones), `choices` maps each allowed value to what a person is shown (asked when checked, so
    models and formats added later count), `spelling` turns another accepted spelling into the
    stored one, `low`/`high` bound a number, `folder` marks a path to a folder and `folders` a
    list of them (separated by `os.pathsep`, as PATH is), `shown` is how docs/settings.md writes
    the default when the value itself says little, `env` names an environment variable that
    overrides the file (for servers started by systemd or a container), `option` names the
    output option whose value for the window's cutouts the setting holds, `suggestions` are
    values of a text setting offered in a list (each with what it is), others typed in, and
    `offered` the choices the Settings dialog lists (those that make sense on this system),
    when not all of them."""
    return field(
        default=default,
        metadata={
            "help": help,
            "label": label,
            "choices": choices,
            "spelling": spelling,
            "low": low,
            "high": high,
            "folder": folder,
            "folders": folders,
            "shown": shown,
            "env": env,
            "option": option,
            "suggestions": suggestions,
            "offered": offered,
        },
    )


def option_setting(
    name: str,
    help: str,
    *,
    label: str,
    choices: Callable[[], Mapping[str, str]] | None = None,
    shown: str = "",
    suggestions: Callable[[], Mapping[str, str]] | None = None,
) -> Any:
    """A setting holding the window's choice of the output option `name`, with the option's
    default, bounds, allowed values and spelling ('' for an option that may be unset);
    `choices` may put the values in words for the Settings dialog."""
    declared = next(found for found in OutputOptions.option_fields() if found.name == name)
    spelling = declared.spelling
    if spelling is not None and declared.default is None:
        spelling = partial(_unless_empty, spelling)
    return _setting(
        "" if declared.default is None else declared.default,
        help,
        label=label,
        choices=choices or declared.choices,
        spelling=spelling,
        low=declared.low,
        high=declared.high,
        shown=shown,
        option=name,
        suggestions=suggestions,
    )


def _unless_empty(spelling: Callable[[str], str], text: str) -> str:
    return spelling(text) if text.strip() else ""


def canvas_suggestions() -> dict[str, str]:
    """The canvases the Settings dialog lists: none, square and the presets, by size."""
    named: dict[str, list[str]] = {}
    for size, what in CANVAS_PRESETS.values():
        named.setdefault(size, []).append(what)
    return {
        "": "None: the photo's own frame",
        "square": "Square: the subject at its own size",
        **{size: f"{', '.join(names)} ({size})" for size, names in named.items()},
    }


def _database_url(url: str) -> str:
    """A postgresql:// URL, or '' (bgdesk's own SQLite file)."""
    url = url.strip()
    parts = urlsplit(url)
    if url and not (parts.scheme in POSTGRESQL_SCHEMES and parts.hostname):
        raise InvalidOption(
            "database_url must be a PostgreSQL address such as "
            "postgresql://bgdesk:PASSWORD@db.example/bgdesk, or empty"
        )
    return url


def _base_url(url: str) -> str:
    """An http(s) URL with a host and nothing after its path, without a final slash; or ''."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if url and not (parts.scheme in ("http", "https") and parts.hostname and not parts.query):
        raise InvalidOption(f"{url!r} is not an http(s) address such as https://cutouts.example")
    return url


@dataclass
class Settings:
    """The owner's choices; unknown keys in the file are ignored, so older apps read newer files."""

    default_model: str = _setting(
        Preset.BEST.value,
        "Model used when a request names none: "
        + "; ".join(f"{name} ({meaning})" for name, meaning in PRESETS.items())
        + "; or a model's name.",
        label="Model",
        choices=lambda: {name: name for name in (*PRESETS, *CATALOG)},
    )
    output_format: str = option_setting(
        "format",
        f"Default output format: {names_text()}.",
        label="Output format",
        choices=lambda: {spec.name: spec.label for spec in FORMATS.values()},
    )
    canvas: str = option_setting(
        "canvas",
        "Cutouts made in the window as product shots: the subject centred on a canvas, "
        "square (the subject at its own size), WIDTHxHEIGHT or a preset's name (empty: the "
        "photo's own frame).",
        label="Product shot canvas",
        shown="(none: the photo's own frame; or square, 1200x1200, amazon)",
        suggestions=canvas_suggestions,
    )
    padding: int = option_setting(
        "padding",
        "With a canvas: percent of it kept clear on each side of the subject.",
        label="Canvas padding (%)",
    )
    shadow: bool = option_setting(
        "shadow", "A soft shadow under the subject of cutouts made in the window.", label="Shadow"
    )
    shadow_strength: int = option_setting(
        "shadow_strength",
        "With a shadow: how dark it is at its darkest, in percent.",
        label="Shadow strength (%)",
    )
    decontaminate: bool = _setting(
        True,
        "Take the old background's colour out of half-transparent edges (hair, fur).",
        label="Clean edge colours",
    )
    output_dir: str = _setting(
        "",
        "Folder for cutouts made in the window (empty: beside each photo).",
        label="Output folder",
        folder=True,
        shown="(beside each photo)",
    )
    max_input_bytes: int = _setting(
        64 * 1024 * 1024,
        "Largest accepted input file, in bytes.",
        label="Largest file",
        low=1,
        high=2**31 - 1,
    )
    max_megapixels: float = _setting(
        64.0,
        "Largest accepted input image, in megapixels.",
        label="Largest image (megapixels)",
        low=0.01,
        high=10_000,
    )
    watch_folders: str = _setting(
        "",
        "Folders whose new photos are cut out as they arrive (separated by "
        f"{os.pathsep!r}): into the output folder as NAME.EXT, or beside each photo as "
        "NAME-nobg.EXT; photos whose cutout is there are skipped.",
        label="Watched folders",
        folders=True,
        shown="(none)",
    )
    watch_follow_links: bool = _setting(
        False,
        "Let `bgdesk watch` take photos through links (symlinks) that lead out of the "
        "watched folder; off, each such link is skipped, and said so once.",
    )
    api_enabled: bool = _setting(
        True,
        "Serve the REST API while the window is open.",
        label="Serve the API while the window is open",
    )
    api_host: str = _setting("127.0.0.1", "Address the REST API binds to (loopback by default).")
    api_port: int = _setting(7878, "Port of the REST API.", label="API port", low=1, high=65535)
    public_url: str = _setting(
        "",
        "The API's address as clients reach it (behind a reverse proxy, or from the network "
        "with api_host): download and webhook URLs use it, and requests naming its host are "
        "answered. Empty: http://api_host:api_port.",
        spelling=_base_url,
        shown="(the bound address)",
    )
    allow_private_urls: bool = _setting(
        False,
        "Allow image_url fetches from private, loopback and link-local addresses.",
        label="Allow image URLs on private and local networks",
    )
    url_fetch_timeout: float = _setting(
        20.0,
        "Seconds allowed to fetch an image_url.",
        label="Time to fetch an image URL (s)",
        low=0.1,
        high=3600,
    )
    url_fetch_max_redirects: int = _setting(
        3,
        "Redirects followed when fetching an image_url.",
        label="Redirects followed for an image URL",
        low=0,
        high=20,
    )
    keep_uploads: bool = _setting(
        False, "Keep bgdesk's copy of each photo sent to the API after its cutout is made."
    )
    keep_outputs_days: int = _setting(
        -1,
        "Days bgdesk keeps the cutouts it stores itself (API jobs and the window's pasted "
        "photos) after their job ends; 0 keeps them for good, -1 keeps them for good in the "
        f"window and {SERVER_KEEPS_OUTPUTS_DAYS} days under `bgdesk serve`.",
        low=-1,
        high=36_500,
        shown=f"-1 (for good in the window, {SERVER_KEEPS_OUTPUTS_DAYS} days under serve)",
    )
    device: str = _setting(
        AUTO,
        "Where models run: auto (the best accelerator the installed ONNX Runtime offers, "
        "else the CPU), cpu, or an accelerator — cuda, directml, coreml, openvino — which "
        "is then used or nothing runs (never the CPU in its place).",
        label="Device",
        choices=lambda: {AUTO: "Automatic", **{d.name: d.label for d in DEVICES.values()}},
        offered=lambda: {AUTO: "Automatic", **{d.name: d.label for d in devices_here()}},
    )
    device_index: int = _setting(
        0,
        "Which GPU, when there are several (0: the first); for cuda and directml.",
        low=0,
        high=64,
    )
    inference_threads: int = _setting(
        0,
        "ONNX Runtime threads per cutout (0: every core for a cutout alone, a share of them "
        "for each of several made at once).",
        low=0,
        high=1024,
    )
    memory_budget_mb: int = _setting(
        2048,
        "Memory the cutouts under way may take between them, in MiB above the idle app: "
        "each job's peak is estimated from its photo and options before it starts, and jobs "
        "wait for room rather than run the machine out of memory.",
        low=256,
        high=1_048_576,
    )
    parallel_jobs: int = _setting(
        2,
        "Jobs run at the same time: with two, one job's decoding and saving overlap "
        "another's model run.",
        low=1,
        high=64,
    )

    database_url: str = _setting(
        "",
        "The database of jobs, keys and credits: empty for bgdesk's own file, or a "
        "PostgreSQL server that several machines share (postgresql://USER:PASSWORD@HOST/DB; "
        "see docs/scaling.md).",
        spelling=_database_url,
        shown="(bgdesk's own SQLite file)",
        env="BGDESK_DATABASE_URL",
    )
    job_lease_seconds: int = _setting(
        30,
        "Seconds a running job stays with a runner that stopped answering (its process "
        "killed, its machine cut off) before another runner takes it over.",
        low=2,
        high=3600,
    )
    storage_dir: str = _setting(
        "",
        "Folder for uploaded photos and stored cutouts, mounted at the same path on every "
        "machine that shares a database_url (empty: in bgdesk's data folder).",
        folder=True,
        shown="(in the data folder)",
        env="BGDESK_STORAGE_DIR",
    )

    def __post_init__(self) -> None:
        self._from_file: dict[str, Any] = {}
        for f in fields(self):
            wanted = os.environ.get(f.metadata["env"]) if f.metadata["env"] else None
            if wanted is not None:
                self._from_file[f.name] = getattr(self, f.name)
                self.set(f.name, wanted)

    @classmethod
    def declared(cls, name: str) -> Field[Any]:
        """The declaration of the setting `name`."""
        return next(f for f in fields(cls) if f.name == name)

    @classmethod
    def editable(cls) -> list[str]:
        """The settings the window's Settings dialog edits, in declaration order."""
        return [f.name for f in fields(cls) if f.metadata["label"]]

    @property
    def input_limits(self) -> Limits:
        """How large an input may be, in bytes and in pixels: one object for every check."""
        return Limits(self.max_input_bytes, self.max_megapixels)

    def output_options(self) -> OutputOptions:
        """How the window (and its watched folders) make cutouts: the options its settings
        hold, the others as their defaults."""
        return OutputOptions.from_mapping(
            {
                f.metadata["option"]: getattr(self, f.name)
                for f in fields(self)
                if f.metadata["option"]
            }
        )

    def watched_folders(self) -> list[Path]:
        """The folders of `watch_folders`, as paths."""
        return [
            Path(part.strip()).expanduser()
            for part in self.watch_folders.split(os.pathsep)
            if part.strip()
        ]

    def keep_outputs(self, serving: bool) -> timedelta | None:
        """How long stored cutouts are kept (None: for good), in the window or under
        `bgdesk serve`."""
        days = self.keep_outputs_days
        if days < 0:
            days = SERVER_KEEPS_OUTPUTS_DAYS if serving else 0
        return timedelta(days=days) if days else None

    @classmethod
    def help_texts(cls) -> dict[str, str]:
        return {f.name: f.metadata["help"] for f in fields(cls)}

    @classmethod
    def read(cls, path: Path) -> tuple[Settings, list[str]]:
        """The settings in `path` (the defaults when there is none yet), and what was wrong
        with it: each bad value is named with the reason, and its default is used."""
        settings = cls()
        if not path.exists():
            return settings, []
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return settings, [f"Cannot read the settings file {path} ({exc}); using the defaults."]
        if not isinstance(raw, dict):
            return settings, [
                f"The settings file {path} must hold a JSON object; using the defaults."
            ]
        problems = []
        for f in fields(cls):
            if f.name in settings._from_file:  # the environment's value wins
                settings._from_file[f.name] = raw.get(f.name, f.default)
            elif f.name in raw:
                try:
                    settings.set(f.name, raw[f.name])
                except SettingsError as exc:
                    problems.append(f"{exc.message} Using the default, {f.default!r}.")
        return settings, problems

    @classmethod
    def load(cls, path: Path) -> Settings:
        """`read` without the report."""
        return cls.read(path)[0]

    def set(self, name: str, value: Any) -> None:
        """Set one field, converting strings from the command line to the field's type and
        checking its allowed values or range."""
        declared = {f.name: f for f in fields(self)}
        if name not in declared:
            raise SettingsError(f"Unknown setting {name!r}. Known: {', '.join(declared)}.")
        kind: Any = type(declared[name].default)
        try:
            value = parse_bool(name, value) if kind is bool else kind(value)
        except (TypeError, ValueError, InvalidOption) as exc:
            wanted = KIND_WORDS.get(kind, kind.__name__)
            raise SettingsError(f"Setting {name} needs {wanted}, not {value!r}.") from exc
        spelling = declared[name].metadata["spelling"]
        if spelling is not None:
            try:
                value = spelling(value)
            except InvalidOption as exc:
                raise SettingsError(f"Setting {name}: {exc.message}") from exc
        _check(name, value, declared[name].metadata)
        setattr(self, name, value)

    @classmethod
    def markdown_table(cls) -> str:
        """The table of settings in docs/settings.md, made from the declarations."""
        rows = ["| setting | default | meaning |", "|---|---|---|"]
        for f in fields(cls):
            default = f.metadata["shown"] or _shown(f.default)
            help_text = re.sub(r"\b(image_url|inference_threads)\b", r"`\1`", f.metadata["help"])
            if help_text[1:2].islower():  # a sentence's capital, not an acronym's
                help_text = help_text[0].lower() + help_text[1:]
            if f.metadata["env"]:
                help_text = f"{help_text.rstrip('.')}; `{f.metadata['env']}` overrides it"
            rows.append(f"| `{f.name}` | {default} | {help_text.rstrip('.')} |")
        return "\n".join(rows)

    def save(self, path: Path) -> None:
        """Write the settings to `path`; those given by the environment keep the file's value."""
        values = asdict(self) | self._from_file
        write_atomic(path, json.dumps(values, indent=2).encode("utf-8"))


def _check(name: str, value: Any, declared: Mapping[str, Any]) -> None:
    choices = declared["choices"]() if declared["choices"] else None
    if choices is not None and value not in choices:
        raise SettingsError(f"Setting {name} must be one of {', '.join(choices)}, not {value!r}.")
    low, high = declared["low"], declared["high"]
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"at least {low:g}" if high is None else f"between {low:g} and {high:g}"
        raise SettingsError(f"Setting {name} must be {bounds}, not {value!r}.")


def _shown(default: Any) -> str:
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, str):
        return f"`{default}`"
    return f"{default:g}" if isinstance(default, float) else str(default)
