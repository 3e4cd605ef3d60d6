"""The real window, offscreen, over the real core: drops, the queue, credits, the API."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from bgdesk.api.server import ApiServer
from bgdesk.bootstrap import build_core
from bgdesk.core.app import Core
from bgdesk.gui.keys_dialog import KeysDialog, curl_example
from bgdesk.gui.main_window import MainWindow
from bgdesk.gui.settings_dialog import SettingsDialog
from bgdesk.inference.options import OutputOptions
from bgdesk.paths import Paths
from bgdesk.settings import Settings
from bgdesk.storage.models import Job
from tests.conftest import photo


@pytest.fixture
def window(qtbot, home: Paths) -> Iterator[MainWindow]:
    core: Core = build_core(home, Settings())
    server = ApiServer(core, "127.0.0.1", 0)
    server.start()
    core.start()
    main = MainWindow(core, f"API on {server.url}")
    qtbot.addWidget(main)
    main.show()
    yield main
    main.close()
    server.stop()
    core.close()


def drop(window: MainWindow, paths: list[Path]) -> None:
    """What a file manager does: drag in over the window, then drop."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    with warnings.catch_warnings():  # PySide flags the only constructor Qt 6 offers
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                                Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    assert QApplication.sendEvent(window, enter) and enter.isAccepted()
    release = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                         Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    assert QApplication.sendEvent(window, release)


def rows(window: MainWindow) -> list[str]:
    return [window.jobs.item(i).text() for i in range(window.jobs.count())]


def test_dropped_photos_become_cutouts_in_the_list_and_preview(qtbot, window: MainWindow,
                                                                tmp_path: Path) -> None:
    files = [tmp_path / "astronaut.jpg", tmp_path / "coffee.png"]
    files[0].write_bytes(photo("astronaut"))
    files[1].write_bytes(photo("coffee", fmt="PNG"))
    assert window.credits.text() == "Credits: 100"
    drop(window, files)
    qtbot.waitUntil(lambda: sum("Done" in row for row in rows(window)) == 2, timeout=60_000)
    assert window.credits.text() == "Credits: 98"
    window.jobs.setCurrentRow(0)
    qtbot.waitUntil(lambda: window.preview.after is not None, timeout=5_000)
    assert window.preview.before is not None and not window.preview.after.isNull()
    assert window.preview.after.hasAlphaChannel()


def test_a_dropped_non_image_is_explained_and_free(qtbot, window: MainWindow,
                                                   tmp_path: Path) -> None:
    notes = tmp_path / "notes.jpg"
    notes.write_text("not a photo")
    drop(window, [notes])
    qtbot.waitUntil(lambda: "notes.jpg" in window.statusBar().currentMessage(), timeout=10_000)
    assert "not an image" in window.statusBar().currentMessage()
    assert window.credits.text() == "Credits: 100" and Job.select().count() == 0


def test_a_job_submitted_over_http_appears_in_the_window(qtbot, window: MainWindow) -> None:
    core = window.core
    key = core.keys.create(core.accounts.owner()).plaintext
    url = window.api_state.text().removeprefix("API on ")
    answer = httpx.post(f"{url}/api/v1/remove-bg", headers={"Authorization": f"Bearer {key}"},
                        files={"image_file": ("rocket.jpg", photo("rocket", (300, 200)))})
    assert answer.status_code == 202
    qtbot.waitUntil(lambda: any("rocket.jpg" in r and "api" in r and "Done" in r
                                for r in rows(window)), timeout=60_000)
    assert window.credits.text() == "Credits: 99"


def test_a_key_made_in_the_window_opens_the_windows_own_api(qtbot, window: MainWindow) -> None:
    dialog = KeysDialog(window.core, window.api_url, window)
    qtbot.addWidget(dialog)
    new = dialog.create_key("laptop script")
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, 0).text() == "laptop script"
    assert window.api_url in curl_example(window.api_url, new.plaintext)
    answer = httpx.get(f"{window.api_url}/api/v1/account",
                       headers={"Authorization": f"Bearer {new.plaintext}"})
    assert answer.status_code == 200 and answer.json()["credits"] == 100
    window.core.keys.revoke(new.key.id)
    dialog.refresh()
    assert dialog.table.item(0, 4).text() == "revoked"
    assert httpx.get(f"{window.api_url}/api/v1/account",
                     headers={"Authorization": f"Bearer {new.plaintext}"}).status_code == 401


def test_copy_and_save_the_selected_cutout(qtbot, window: MainWindow, tmp_path: Path) -> None:
    source = tmp_path / "chelsea.jpg"
    source.write_bytes(photo("chelsea"))
    drop(window, [source])
    qtbot.waitUntil(lambda: any("Done" in row for row in rows(window)), timeout=60_000)
    window.jobs.setCurrentRow(0)
    window.copy_cutout()
    assert not QApplication.clipboard().pixmap().isNull()
    job = window.selected_job()
    assert job is not None
    saved = window.core.jobs.export(job.public_id, tmp_path / "cat.webp")
    assert saved.stat().st_size > 0


def test_settings_dialog_saves_and_applies(qtbot, window: MainWindow, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    warnings_shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda parent, title, text: warnings_shown.append(text))
    dialog = SettingsDialog(window.core, window)
    qtbot.addWidget(dialog)
    assert dialog.model.currentData() == "u2netp" and dialog.model.currentText() == "u2netp"
    assert "not installed" in dialog.model.itemText(dialog.model.findData("u2net"))
    dialog.private_urls.setChecked(True)
    dialog.api_port.setValue(9123)
    dialog.output_format.setCurrentText("webp")
    dialog.output_dir.setText(str(tmp_path / "cutouts"))
    dialog.save()
    saved = Settings.load(window.core.paths.settings_file)
    assert (saved.allow_private_urls, saved.api_port, saved.output_format) == (True, 9123, "webp")
    assert window.core.fetcher.limits.allow_private
    dialog.model.setCurrentIndex(dialog.model.findData("u2net"))
    dialog.save()  # refused: not installed
    assert warnings_shown and "Install u2net first" in warnings_shown[0]
    assert Settings.load(window.core.paths.settings_file).default_model == "u2netp"
    source = tmp_path / "coffee.jpg"
    source.write_bytes(photo("coffee"))
    drop(window, [source])
    qtbot.waitUntil(lambda: (tmp_path / "cutouts" / "coffee-nobg.webp").exists(),
                    timeout=60_000)


def test_filter_hides_rows_that_do_not_match(qtbot, window: MainWindow, tmp_path: Path) -> None:
    good = tmp_path / "rocket.jpg"
    good.write_bytes(photo("rocket", (300, 200)))
    window.core.jobs.submit_file(window.core.accounts.owner(), good, "cli", OutputOptions())
    qtbot.waitUntil(lambda: any("Done" in row for row in rows(window)), timeout=60_000)
    window.filter.setText("rocket")
    visible = [window.jobs.item(i) for i in range(window.jobs.count())
               if not window.jobs.item(i).isHidden()]
    assert len(visible) == 1 and "cli" in visible[0].text()
    window.filter.setText("nothing like this")
    assert all(window.jobs.item(i).isHidden() for i in range(window.jobs.count()))
