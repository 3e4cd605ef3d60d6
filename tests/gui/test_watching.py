"""Watched folders in the window: set in Settings, photos taken as they arrive, paused from
the toolbar, still watched after a restart."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from bgdesk.bootstrap import build_core, start_embedded_api
from bgdesk.gui.embedded_api import EmbeddedApi
from bgdesk.gui.main_window import MainWindow
from bgdesk.gui.settings_dialog import SettingsDialog
from bgdesk.paths import Paths
from bgdesk.settings import Settings
from bgdesk.storage.models import Job
from tests.conftest import photo
from tests.gui.conftest import WAIT

pytestmark = pytest.mark.slow  # the real window over the real core


def test_a_watched_folder_is_cut_out_paused_and_watched_again_after_a_restart(
    qtbot: QtBot,
    window: MainWindow,
    home: Paths,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    assert not window.pause_watching.isVisible()

    def choose_and_save(dialog: SettingsDialog) -> int:
        dialog.editors["watch_folders"].set_value(str(inbox))
        dialog.save()
        return 1

    monkeypatch.setattr(SettingsDialog, "exec", choose_and_save)
    window.open_settings()
    assert window.pause_watching.isVisible()

    (inbox / "coffee.jpg").write_bytes(photo("coffee"))
    qtbot.waitUntil(lambda: (inbox / "coffee-nobg.png").exists(), timeout=60_000)
    qtbot.waitUntil(lambda: len(window.queue.ids()) == 1, timeout=WAIT)
    row = window.queue.list.item(0)
    assert " · watched folder · " in row.text() and str(inbox) in row.toolTip()
    window.queue.filter.setText("watched")
    assert window.queue.visible_count() == 1, "found by where it came from"
    window.queue.filter.clear()

    window.pause_watching.trigger()  # paused
    (inbox / "rocket.jpg").write_bytes(photo("rocket"))
    qtbot.wait(2500)  # many looks
    assert Job.select().count() == 1
    window.pause_watching.trigger()  # watching again
    qtbot.waitUntil(lambda: (inbox / "rocket-nobg.png").exists(), timeout=60_000)

    window.close()  # a restart: a new window over a new core, the settings as saved
    shutil.copy(inbox / "coffee.jpg", inbox / "chelsea.jpg")
    core = build_core(home, Settings.load(home.settings_file))
    api = EmbeddedApi(core, start_embedded_api)
    core.start()
    again = MainWindow(core, api)
    qtbot.addWidget(again)
    try:
        assert again.pause_watching.isVisible()
        qtbot.waitUntil(lambda: (inbox / "chelsea-nobg.png").exists(), timeout=60_000)
        qtbot.wait(1500)
        assert Job.select().count() == 3, "nothing taken twice"
    finally:
        again.close()
        core.close()
