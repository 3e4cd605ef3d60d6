"""Settings persist, convert what the command line gives, and are all documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from bgdesk.errors import SettingsError
from bgdesk.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_round_trip_and_conversion(tmp_path: Path) -> None:
    settings = Settings()
    settings.set("api_port", "9000")
    settings.set("allow_private_urls", "yes")
    settings.save(tmp_path / "settings.json")
    loaded = Settings.load(tmp_path / "settings.json")
    assert (loaded.api_port, loaded.allow_private_urls) == (9000, True)


def test_bad_values_are_explained(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="api_port needs a int"):
        Settings().set("api_port", "many")
    with pytest.raises(SettingsError, match="Unknown setting"):
        Settings().set("colour", "red")
    (tmp_path / "settings.json").write_text("{not json")
    with pytest.raises(SettingsError, match="Cannot read"):
        Settings.load(tmp_path / "settings.json")


def test_every_setting_is_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [name for name in Settings.help_texts() if f"`{name}`" not in text]
    assert not missing, f"README.md does not document: {missing}"
