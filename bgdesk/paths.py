"""Where bgdesk keeps its state: one `Paths` value, built from the environment or by tests.

`BGDESK_HOME` moves everything (database, outputs, models, settings) under one folder;
`BGDESK_MODELS_DIR` lets several homes share one model store. Without them the platform's
usual user folders are used.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import platformdirs

APP_NAME = "bgdesk"


def bundle_root() -> Path:
    """Where the installed app keeps its read-only files; the checkout's root otherwise."""
    return Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[1]))


def resource(name: str) -> Path:
    """A file of `resources/`: beside the package in a checkout, inside a frozen bundle."""
    return bundle_root() / "resources" / name


@dataclass(frozen=True)
class Paths:
    """The folders and files bgdesk reads and writes."""

    data_dir: Path
    config_dir: Path
    models_dir: Path
    storage_dir: Path | None = None  # photos and cutouts, when not under data_dir

    def storing_in(self, folder: str) -> Paths:
        """These paths with photos and cutouts in `folder` (a folder several machines
        mount), or as they are for ''."""
        return replace(self, storage_dir=Path(folder).expanduser().resolve()) if folder else self

    @property
    def _storage(self) -> Path:
        return self.storage_dir or self.data_dir

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Paths:
        env = os.environ if env is None else env
        home = env.get("BGDESK_HOME")
        if home:
            root = Path(home).expanduser().resolve()
            data_dir, config_dir = root, root
        else:
            data_dir = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
            config_dir = Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
        models = env.get("BGDESK_MODELS_DIR")
        models_dir = Path(models).expanduser().resolve() if models else data_dir / "models"
        return cls(data_dir=data_dir, config_dir=config_dir, models_dir=models_dir)

    @classmethod
    def under(cls, root: Path, models_dir: Path | None = None) -> Paths:
        """All state under `root`, as `BGDESK_HOME=root` would give."""
        return cls(data_dir=root, config_dir=root, models_dir=models_dir or root / "models")

    @property
    def bundled_models_dir(self) -> Path | None:
        """Models shipped inside the installed app (read-only), so it works offline at once."""
        return bundle_root() / "models" if getattr(sys, "frozen", False) else None

    @property
    def database(self) -> Path:
        return self.data_dir / "bgdesk.sqlite3"

    @property
    def outputs_dir(self) -> Path:
        return self._storage / "outputs"

    @property
    def uploads_dir(self) -> Path:
        """Inputs received as bytes (uploads, fetched URLs) are kept here until their job ends."""
        return self._storage / "uploads"

    @property
    def edits_dir(self) -> Path:
        """What a person's fix of a cutout is made from besides its strokes: the model's own
        mask and the chosen background picture, each named by its job."""
        return self._storage / "edits"

    @property
    def model_speeds(self) -> Path:
        """Seconds per photo of each model, as measured on this machine."""
        return self.data_dir / "model-speeds.json"

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    def ensure(self) -> None:
        """Make the folders; the ones holding the database, keys' secrets and photos are
        the owner's alone (a shared models folder is left as it is)."""
        private = (
            self.data_dir,
            self.config_dir,
            self.outputs_dir,
            self.uploads_dir,
            self.edits_dir,
        )
        for folder in (*private, self.models_dir):
            folder.mkdir(parents=True, exist_ok=True)
        if os.name == "posix":
            for folder in private:
                folder.chmod(0o700)
