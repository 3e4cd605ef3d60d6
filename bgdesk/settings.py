"""One settings object: every field has a default and a help text, and persists as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from bgdesk.errors import InvalidOption, SettingsError
from bgdesk.inference.catalog import DEFAULT_MODEL
from bgdesk.inference.decode import Limits
from bgdesk.inference.formats import PNG, names_text
from bgdesk.inference.options import parse_bool
from bgdesk.storage.files import write_atomic


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass
class Settings:
    """The owner's choices; unknown keys in the file are ignored, so older apps read newer files."""

    default_model: str = _setting(DEFAULT_MODEL, "Model used when a request names none.")
    output_format: str = _setting(PNG.name, f"Default output format: {names_text()}.")
    max_input_bytes: int = _setting(64 * 1024 * 1024, "Largest accepted input file, in bytes.")
    max_megapixels: float = _setting(64.0, "Largest accepted input image, in megapixels.")
    api_enabled: bool = _setting(True, "Serve the REST API while the window is open.")
    api_host: str = _setting("127.0.0.1", "Address the REST API binds to (loopback by default).")
    api_port: int = _setting(7878, "Port of the REST API.")
    allow_private_urls: bool = _setting(
        False, "Allow image_url fetches from private, loopback and link-local addresses."
    )
    url_fetch_timeout: float = _setting(20.0, "Seconds allowed to fetch an image_url.")
    url_fetch_max_redirects: int = _setting(3, "Redirects followed when fetching an image_url.")
    output_dir: str = _setting(
        "", "Folder for cutouts made in the window (empty: beside each photo).")
    inference_threads: int = _setting(0, "ONNX Runtime threads per model (0: one per core).")
    parallel_jobs: int = _setting(1, "Jobs run at the same time.")

    @property
    def input_limits(self) -> Limits:
        """How large an input may be, in bytes and in pixels: one object for every check."""
        return Limits(self.max_input_bytes, self.max_megapixels)

    @classmethod
    def help_texts(cls) -> dict[str, str]:
        return {f.name: f.metadata["help"] for f in fields(cls)}

    @classmethod
    def load(cls, path: Path) -> Settings:
        """Read `path`, or return the defaults when it does not exist yet."""
        if not path.exists():
            return cls()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SettingsError(f"Cannot read settings file {path}: {exc}") from exc
        if not isinstance(raw, dict):
            raise SettingsError(f"Settings file {path} must hold a JSON object.")
        settings = cls()
        for f in fields(cls):
            if f.name in raw:
                settings.set(f.name, raw[f.name])
        return settings

    def set(self, name: str, value: Any) -> None:
        """Set one field, converting strings from the command line to the field's type."""
        kinds: dict[str, type] = {f.name: type(f.default) for f in fields(self)}
        if name not in kinds:
            raise SettingsError(f"Unknown setting {name!r}. Known: {', '.join(kinds)}.")
        kind = kinds[name]
        try:
            value = parse_bool(name, value) if kind is bool else kind(value)
        except (TypeError, ValueError, InvalidOption) as exc:
            raise SettingsError(f"Setting {name} needs a {kind.__name__}, not {value!r}.") from exc
        setattr(self, name, value)

    def save(self, path: Path) -> None:
        write_atomic(path, json.dumps(asdict(self), indent=2).encode("utf-8"))
