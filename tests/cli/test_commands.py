"""The command line in the fast lane: every command run in-process over the fake engine —
bookkeeping, keys, a folder through `remove`, failures named and refunded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bgdesk.cli import run
from bgdesk.core.app import Core
from bgdesk.core.secrets import KeyringSecretStore
from bgdesk.paths import Paths
from bgdesk.settings import Settings
from tests.conftest import FakeEngine, photo


def bgdesk(home: Paths, *argv: str, engine: FakeEngine | None = None) -> int:
    """`bgdesk ARGV` in this process, over a fake engine."""

    def fake_core(paths: Paths, settings: Settings) -> Core:
        return Core(paths, settings, engine or FakeEngine(), KeyringSecretStore())

    return run(list(argv), home, fake_core, lambda *_: 0, lambda *_: 0)


def printed_json(capsys: pytest.CaptureFixture[str]) -> Any:
    return json.loads(capsys.readouterr().out)


def test_accounts_keys_and_credits(home: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    assert bgdesk(home, "accounts", "create", "shop", "--credits", "5", "--json") == 0
    assert printed_json(capsys)["name"] == "shop"
    assert bgdesk(home, "keys", "create", "--account", "shop", "--name", "ci", "--json") == 0
    key = printed_json(capsys)
    assert str(key["key"]).startswith("sk_live_")
    assert bgdesk(home, "keys", "list", "--json") == 0
    listed = printed_json(capsys)
    assert [k["name"] for k in listed] == ["ci"]
    assert str(key["key"]) not in json.dumps(listed), "the plaintext is shown once"
    assert bgdesk(home, "credits", "grant", "7", "--account", "shop") == 0
    capsys.readouterr()
    assert bgdesk(home, "credits", "show", "--account", "shop", "--json") == 0
    assert printed_json(capsys)["balance"] == 12
    assert bgdesk(home, "accounts", "suspend", "shop") == 0
    assert bgdesk(home, "credits", "grant", "0") == 1
    assert "positive" in capsys.readouterr().err


def test_remove_a_folder_names_each_failure_and_refunds_it(
    home: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "shoot"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(photo("chelsea", (64, 48)))
    (folder / "notes.jpg").write_text("not a photo")
    assert bgdesk(home, "remove", str(folder), "--format", "jpeg", "--json") == 1
    records = {Path(r["input"]).name: r for r in printed_json(capsys)}
    assert records["cat.jpg"]["status"] == "completed"
    assert Path(records["cat.jpg"]["output"]) == folder / "cat-nobg.jpg"
    assert "not an image" in records["notes.jpg"]["error"]
    assert bgdesk(home, "credits", "show", "--json") == 0
    assert printed_json(capsys)["balance"] == 99
    assert bgdesk(home, "remove", str(folder / "cat.jpg"), engine=FakeEngine(fail=True)) == 1
    assert "FAILED" in capsys.readouterr().out
    assert bgdesk(home, "credits", "show", "--json") == 0
    assert printed_json(capsys)["balance"] == 99, "the failed job was refunded"


def test_remove_asks_for_quality_and_edge_colours(home: Paths, tmp_path: Path) -> None:
    source = tmp_path / "cat.jpg"
    source.write_bytes(photo("chelsea", (64, 48)))
    engine = FakeEngine()
    assert (
        bgdesk(
            home, "remove", str(source), "--quality", "fast", "--no-decontaminate", engine=engine
        )
        == 0
    )
    assert bgdesk(home, "remove", str(source), "-o", str(tmp_path / "again"), engine=engine) == 0
    asked = [(options.quality, options.decontaminate) for options in engine.asked]
    assert asked == [("fast", False), (None, None)]
