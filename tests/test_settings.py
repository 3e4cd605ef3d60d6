"""Settings persist, convert what the command line gives, and are all documented."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bgdesk.cli import run
from bgdesk.core.app import Core
from bgdesk.core.secrets import KeyringSecretStore
from bgdesk.errors import SettingsError
from bgdesk.paths import Paths
from bgdesk.settings import Settings
from tests.conftest import FakeEngine

SETTINGS_DOC = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def test_round_trip_and_conversion(tmp_path: Path) -> None:
    settings = Settings()
    settings.set("api_port", "9000")
    settings.set("allow_private_urls", "yes")
    settings.save(tmp_path / "settings.json")
    loaded = Settings.load(tmp_path / "settings.json")
    assert (loaded.api_port, loaded.allow_private_urls) == (9000, True)


def test_bad_values_are_explained(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="api_port needs a whole number"):
        Settings().set("api_port", "many")
    with pytest.raises(SettingsError, match="Unknown setting"):
        Settings().set("colour", "red")
    with pytest.raises(SettingsError, match="api_port must be between 1 and 65535"):
        Settings().set("api_port", 70000)
    with pytest.raises(SettingsError, match="output_format: Unknown format 'gif': use png, webp"):
        Settings().set("output_format", "gif")
    with pytest.raises(
        SettingsError, match="default_model must be one of best, fast, u2netp, u2net"
    ):
        Settings().set("default_model", "nope")


def test_other_spellings_are_stored_as_the_one_name() -> None:
    settings = Settings()
    settings.set("output_format", " JPEG ")
    assert settings.output_format == "jpg"


def test_a_bad_file_is_reported_by_key_and_reason_and_the_default_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "api_port": "many",
                "parallel_jobs": 0,
                "max_megapixels": 32,
                "output_format": "gif",
                "api_enabled": "sometimes",
            }
        )
    )
    settings, problems = Settings.read(path)
    assert (settings.api_port, settings.parallel_jobs, settings.output_format) == (7878, 2, "png")
    assert settings.max_megapixels == 32 and settings.api_enabled is True
    assert [problem.split(" ")[1].rstrip(":") for problem in problems] == [
        "output_format",
        "api_enabled",
        "api_port",
        "parallel_jobs",
    ]
    assert "Using the default, 7878." in problems[2]
    path.write_text("{not json")
    settings, problems = Settings.read(path)
    assert settings == Settings() and "Cannot read the settings file" in problems[0]
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.json").write_text(json.dumps({"parallel_jobs": -3}))
    assert (
        run(
            ["credits", "show"],
            Paths.under(home),
            lambda p, s: Core(p, s, FakeEngine(), KeyringSecretStore()),
            lambda *a: 0,
            lambda *a: 0,
        )
        == 0
    )
    assert "bgdesk: Setting parallel_jobs must be between 1 and 64" in capsys.readouterr().err


def test_the_documented_table_is_the_declarations() -> None:
    assert Settings.markdown_table() in SETTINGS_DOC.read_text(encoding="utf-8"), (
        "docs/settings.md's table is stale: run scripts/settings_table.py"
    )


def test_every_setting_is_documented() -> None:
    text = SETTINGS_DOC.read_text(encoding="utf-8")
    missing = [name for name in Settings.help_texts() if f"`{name}`" not in text]
    assert not missing, f"docs/settings.md does not document: {missing}"


def test_a_canvas_that_is_no_size_is_refused_with_the_reason() -> None:
    settings = Settings()
    settings.set("canvas", " 1200X800 ")
    assert settings.output_options().canvas == "1200x800"
    with pytest.raises(SettingsError, match="canvas must be square, WIDTHxHEIGHT"):
        settings.set("canvas", "huge")


def test_the_environment_overrides_the_file_and_is_not_written_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"database_url": "", "storage_dir": "/srv/a", "api_port": 9000}))
    monkeypatch.setenv("BGDESK_DATABASE_URL", "postgresql://bgdesk:pw@db.example/bgdesk")
    monkeypatch.setenv("BGDESK_STORAGE_DIR", "/mnt/shared")
    settings, problems = Settings.read(path)
    assert problems == []
    assert settings.database_url == "postgresql://bgdesk:pw@db.example/bgdesk"
    assert settings.storage_dir == "/mnt/shared" and settings.api_port == 9000
    settings.api_port = 9001
    settings.save(path)
    saved = json.loads(path.read_text())
    assert (saved["database_url"], saved["storage_dir"], saved["api_port"]) == ("", "/srv/a", 9001)


def test_a_database_url_must_name_a_postgresql_server(monkeypatch: pytest.MonkeyPatch) -> None:
    for wrong in ("mysql://db.example/bgdesk", "postgresql:///nohost", "bgdesk.sqlite3"):
        with pytest.raises(SettingsError, match="PostgreSQL address"):
            Settings().set("database_url", wrong)
    monkeypatch.setenv("BGDESK_DATABASE_URL", "sqlite:///x")
    with pytest.raises(SettingsError, match="database_url"):
        Settings()


def test_photos_and_cutouts_go_to_the_shared_folder(tmp_path: Path) -> None:
    paths = Paths.under(tmp_path / "home").storing_in(str(tmp_path / "shared"))
    assert paths.uploads_dir == tmp_path / "shared" / "uploads"
    assert paths.outputs_dir == tmp_path / "shared" / "outputs"
    assert paths.database == tmp_path / "home" / "bgdesk.sqlite3"  # the machine's own
