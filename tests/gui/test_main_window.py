"""The real window, offscreen, over the real core: drops, the queue, credits, the API."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from PIL import Image
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QColor, QImage, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTextBrowser,
    QToolButton,
)
from pytestqt.qtbot import QtBot

from bgdesk.bootstrap import build_core, start_embedded_api
from bgdesk.gui.embedded_api import EmbeddedApi
from bgdesk.gui.export_dialog import ExportAllDialog
from bgdesk.gui.keys_dialog import KeysDialog, curl_example
from bgdesk.gui.main_window import MainWindow
from bgdesk.gui.menus import Command
from bgdesk.gui.settings_dialog import SettingsDialog
from bgdesk.gui.webhooks_dialog import WebhooksDialog
from bgdesk.paths import Paths
from bgdesk.request.options import OutputOptions
from bgdesk.settings import Settings
from bgdesk.storage.models import CreditEntry, Job, JobSource
from tests.conftest import Receiver, decode, photo
from tests.gui.conftest import WAIT, drop, record_opening, showing
from tests.processes import free_port

pytestmark = pytest.mark.slow  # the real window over the real core


def shown_notice(window: MainWindow) -> QMessageBox | None:
    notice = window.notices.current
    return notice if notice is not None and notice.isVisible() else None


def rows(window: MainWindow) -> list[str]:
    return window.queue.texts()


def cell(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    assert item is not None, f"no cell at {row}, {column}"
    return item.text()


def submenu(action: QAction) -> QMenu:
    menu = action.menu()
    assert isinstance(menu, QMenu), action.text()
    return menu


def test_dropped_photos_become_cutouts_in_the_list_and_preview(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    files = [tmp_path / "astronaut.jpg", tmp_path / "coffee.png"]
    files[0].write_bytes(photo("astronaut"))
    files[1].write_bytes(photo("coffee", fmt="PNG"))
    assert window.credits.text() == "Credits: 100"
    drop(window, files)
    qtbot.waitUntil(lambda: sum("Done" in row for row in rows(window)) == 2, timeout=60_000)
    assert window.credits.text() == "Credits: 98"
    with showing(qtbot, window, window.queue.ids()[0]):
        window.queue.select_only(0)
    after = window.preview.after
    assert window.preview.before is not None and after is not None and not after.isNull()
    assert after.hasAlphaChannel()


def test_a_dropped_non_image_is_explained_and_free(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    refused = [tmp_path / f"{name}.jpg" for name in ("notes", "list", "plan")]
    for path in refused:
        path.write_text("not a photo")
    drop(window, refused)
    qtbot.waitUntil(lambda: window.refusals.items.count() == 3, timeout=WAIT)
    assert "plan.jpg" in window.statusBar().currentMessage()
    assert "not an image" in window.statusBar().currentMessage()
    listed = [window.refusals.items.item(n).text() for n in range(3)]
    assert [line.split(":")[0] for line in listed] == ["notes.jpg", "list.jpg", "plan.jpg"]
    assert all("not an image" in line for line in listed)
    assert window.refusals.title.text() == "3 items not added"
    assert window.credits.text() == "Credits: 100" and Job.select().count() == 0
    dismiss = next(b for b in window.refusals.findChildren(QPushButton) if b.text() == "Dismiss")
    # Laid out, to be clicked
    qtbot.waitUntil(lambda: not dismiss.visibleRegion().isEmpty(), timeout=WAIT)
    qtbot.mouseClick(dismiss, Qt.MouseButton.LeftButton)
    assert not window.refusals.isVisible() and window.refusals.items.count() == 0


def test_a_job_submitted_over_http_appears_in_the_window(qtbot: QtBot, window: MainWindow) -> None:
    core = window.core
    key = core.keys.create(core.accounts.owner()).plaintext
    url = window.api_url
    answer = httpx.post(
        f"{url}/api/v1/remove-bg",
        headers={"Authorization": f"Bearer {key}"},
        files={"image_file": ("rocket.jpg", photo("rocket", (300, 200)))},
    )
    assert answer.status_code == 202
    qtbot.waitUntil(
        lambda: any("rocket.jpg" in r and "api" in r and "Done" in r for r in rows(window)),
        timeout=60_000,
    )
    assert window.credits.text() == "Credits: 99"


def test_a_key_made_in_the_window_opens_the_windows_own_api(
    qtbot: QtBot, window: MainWindow
) -> None:
    dialog = KeysDialog(window.core, window.api_url, window)
    qtbot.addWidget(dialog)
    new = dialog.create_key("laptop script")
    assert dialog.table.rowCount() == 1 and cell(dialog.table, 0, 0) == "laptop script"
    assert window.api_url in curl_example(window.api_url, new.plaintext)
    answer = httpx.get(
        f"{window.api_url}/api/v1/account", headers={"Authorization": f"Bearer {new.plaintext}"}
    )
    assert answer.status_code == 200 and answer.json()["credits"] == 100
    window.core.keys.revoke(new.key.id)
    dialog.refresh()
    assert cell(dialog.table, 0, 4) == "revoked"
    assert (
        httpx.get(
            f"{window.api_url}/api/v1/account", headers={"Authorization": f"Bearer {new.plaintext}"}
        ).status_code
        == 401
    )


def test_copy_and_save_the_selected_cutout(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    source = tmp_path / "chelsea.jpg"
    source.write_bytes(photo("chelsea"))
    drop(window, [source])
    qtbot.waitUntil(lambda: any("Done" in row for row in rows(window)), timeout=60_000)
    window.queue.select_only(0)
    window.job_actions.copy()
    assert not QApplication.clipboard().pixmap().isNull()
    job = window.selected_job()
    assert job is not None
    saved = window.core.cutouts.export(job.public_id, tmp_path / "cat.webp")
    assert saved.stat().st_size > 0


def test_settings_dialog_saves_and_applies(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warnings_shown: list[str] = []

    def answer(box: QMessageBox) -> int:
        warnings_shown.append(box.text())
        return 0

    monkeypatch.setattr(QMessageBox, "exec", answer)
    dialog = SettingsDialog(window.core, window)
    qtbot.addWidget(dialog)
    models = dialog.models.model
    assert models.currentData() == "best" and models.currentText().endswith("(now u2netp)")
    assert "not installed" in models.itemText(models.findData("u2net"))
    dialog.editors["allow_private_urls"].set_value(True)
    dialog.editors["api_port"].set_value(9123)
    dialog.editors["output_format"].set_value("webp")
    dialog.editors["output_dir"].set_value(str(tmp_path / "cutouts"))
    dialog.save()
    saved = Settings.load(window.core.paths.settings_file)
    assert (saved.allow_private_urls, saved.api_port, saved.output_format) == (True, 9123, "webp")
    assert window.core.fetcher.limits.allow_private
    dialog.models.model.setCurrentIndex(dialog.models.model.findData("u2net"))
    dialog.save()  # refused: not installed
    assert warnings_shown and "Install u2net first" in warnings_shown[0]
    assert Settings.load(window.core.paths.settings_file).default_model == "best"
    source = tmp_path / "coffee.jpg"
    source.write_bytes(photo("coffee"))
    drop(window, [source])
    qtbot.waitUntil(lambda: (tmp_path / "cutouts" / "coffee-nobg.webp").exists(), timeout=60_000)


def test_filter_hides_rows_that_do_not_match(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    good = tmp_path / "rocket.jpg"
    good.write_bytes(photo("rocket", (300, 200)))
    window.core.intake.submit_file(
        window.core.accounts.owner(), good, JobSource.CLI, OutputOptions()
    )
    qtbot.waitUntil(lambda: any("Done" in row for row in rows(window)), timeout=60_000)
    window.queue.filter.setText("rocket")
    items = [window.queue.list.item(i) for i in range(window.queue.list.count())]
    visible = [item for item in items if not item.isHidden()]
    assert len(visible) == 1 and "cli" in visible[0].text()
    window.queue.filter.setText("nothing like this")
    assert all(item.isHidden() for item in items)


def test_rows_get_thumbnails_of_the_cutout(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    source = tmp_path / "astronaut.jpg"
    source.write_bytes(photo("astronaut", (400, 400)))
    drop(window, [source])
    qtbot.waitUntil(lambda: any("Done" in row for row in rows(window)), timeout=60_000)
    item = window.queue.list.item(0)
    qtbot.waitUntil(lambda: not item.icon().isNull(), timeout=WAIT)
    assert item.icon().availableSizes()[0].width() == 56


def test_no_credits_asks_to_grant_and_charges_nothing(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    CreditEntry.delete().execute()  # the owner's starting grant, gone
    files = [tmp_path / f"{n}.jpg" for n in ("one", "two")]
    for file in files:
        file.write_bytes(photo("coffee", (300, 200)))
    drop(window, files)
    qtbot.waitUntil(lambda: shown_notice(window) is not None, timeout=WAIT)
    notice = shown_notice(window)
    assert notice is not None
    assert "Not enough credits" in notice.text() and "2 items" in notice.text()
    assert Job.select().count() == 0 and window.credits.text() == "Credits: 0"
    assert "bgdesk credits" not in notice.text(), "no terminal commands in notices"
    assert "`bgdesk credits grant`" in notice.detailedText()
    assert window.refusals.isVisible() and window.refusals.title.text() == "2 items not added"
    assert window.refusals.items.item(0).text().startswith("2 items (one.jpg, two.jpg): ")
    assert not window.refusals.again_button.isVisible(), "nothing to add while credits are 0"
    monkeypatch.setattr(QInputDialog, "getInt", lambda *args, **kwargs: (5, True))
    grant = next(b for b in notice.buttons() if b.text() == "Grant Credits…")
    grant.click()
    assert window.credits.text() == "Credits: 5"
    assert window.refusals.again_button.isVisible()
    assert window.refusals.again_button.text() == "Add 2 Photos Again"
    again = window.refusals.again_button
    # Laid out, to be clicked
    qtbot.waitUntil(lambda: not again.visibleRegion().isEmpty(), timeout=WAIT)
    qtbot.mouseClick(again, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sum("Done" in row for row in rows(window)) == 2, timeout=60_000)
    assert window.credits.text() == "Credits: 3" and not window.refusals.isVisible()


def test_a_missing_model_is_explained_costs_nothing_and_points_to_settings(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    window.core.settings.default_model = "u2net"  # in the catalog, not installed
    window.core.apply_settings()
    source = tmp_path / "rocket.jpg"
    source.write_bytes(photo("rocket", (300, 200)))
    drop(window, [source])
    qtbot.waitUntil(lambda: shown_notice(window) is not None, timeout=30_000)
    notice = shown_notice(window)
    assert notice is not None and "u2net" in notice.text()
    assert any(b.text() == "Open Settings…" for b in notice.buttons())
    assert Job.select().count() == 0 and window.credits.text() == "Credits: 100"


def test_same_names_from_two_folders_do_not_overwrite(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    window.core.settings.output_dir = str(tmp_path / "cutouts")
    sources = []
    for folder, name in (("a", "coffee"), ("b", "chelsea")):
        (tmp_path / folder).mkdir()
        sources.append(tmp_path / folder / "photo.jpg")
        sources[-1].write_bytes(photo(name, (300, 200)))
    drop(window, sources)
    qtbot.waitUntil(lambda: sum("Done" in row for row in rows(window)) == 2, timeout=60_000)
    written = sorted(p.name for p in (tmp_path / "cutouts").iterdir())
    assert written == ["photo-nobg-2.png", "photo-nobg.png"]


def test_cutouts_land_beside_their_photos_as_name_nobg(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    (shoot / "chelsea.jpg").write_bytes(photo("chelsea", (300, 200)))
    (shoot / "chelsea-nobg.png").write_bytes(b"an older cutout of the person's")
    drop(window, [shoot])
    qtbot.waitUntil(lambda: any("Done" in row for row in rows(window)), timeout=60_000)
    assert len(rows(window)) == 1, "the folder's own cutout is not cut out again"
    assert sorted(p.name for p in shoot.iterdir()) == [
        "chelsea-nobg-2.png",
        "chelsea-nobg.png",
        "chelsea.jpg",
    ]
    assert (shoot / "chelsea-nobg.png").read_bytes() == b"an older cutout of the person's"
    assert decode((shoot / "chelsea-nobg-2.png").read_bytes()).mode == "RGBA"
    assert list(window.core.paths.outputs_dir.iterdir()) == []

    window.queue.select_only(0)
    window.job_actions.save()
    assert window.statusBar().currentMessage() == f"Saved as {shoot / 'chelsea-nobg-2.png'}"
    opened = record_opening(monkeypatch)
    window.job_actions.reveal()
    assert opened == [QUrl.fromLocalFile(str(shoot))]


def test_a_pasted_picture_lands_in_bgdesks_folder_under_a_readable_name(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = QImage(120, 80, QImage.Format.Format_RGB32)
    image.fill(QColor("orange"))
    window.submissions.add_image(image, "Pasted image 2026-11-25 10.00.00.png")
    qtbot.waitUntil(lambda: any("Done" in row for row in rows(window)), timeout=60_000)
    outputs = window.core.paths.outputs_dir
    assert [p.name for p in outputs.iterdir()] == ["Pasted image 2026-11-25 10.00.00-nobg.png"]
    window.queue.select_only(0)
    asked: list[str] = []

    def answer(parent: object, title: str, suggested: str, filters: str) -> tuple[str, str]:
        asked.append(suggested)
        return str(tmp_path / "mine.png"), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", answer)
    window.job_actions.save()  # in bgdesk's own folder: Save asks where
    assert asked == [str(Path.home() / "Pasted image 2026-11-25 10.00.00-nobg.png")]
    assert (tmp_path / "mine.png").is_file()
    window.job_actions.save_as()
    assert asked[-1] == str(tmp_path / "Pasted image 2026-11-25 10.00.00-nobg.png"), (
        "the dialog opens where the last file was saved"
    )


def test_jobs_of_another_process_show_up_without_events(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    window.core.runner.stop()  # only the periodic look at the database can find it now
    other = build_core(window.core.paths, Settings())  # its own event bus, like another process
    source = tmp_path / "rocket.jpg"
    source.write_bytes(photo("rocket", (300, 200)))
    other.intake.submit_file(other.accounts.owner(), source, JobSource.CLI, OutputOptions())
    qtbot.waitUntil(
        lambda: any("rocket.jpg" in r and "Waiting" in r and "cli" in r for r in rows(window)),
        timeout=WAIT,
    )
    qtbot.waitUntil(lambda: window.credits.text() == "Credits: 99", timeout=WAIT)
    other.close()


def test_webhook_deliveries_show_each_try(
    qtbot: QtBot, window: MainWindow, receiver: Receiver
) -> None:
    receiver.fail_first = 1
    core = window.core
    key = core.keys.create(core.accounts.owner()).plaintext
    answer = httpx.post(
        f"{window.api_url}/api/v1/remove-bg",
        headers={"Authorization": f"Bearer {key}"},
        data={"webhook_url": f"{receiver.url}/hook"},
        files={"image_file": ("rocket.jpg", photo("rocket", (300, 200)))},
    )
    assert answer.status_code == 202
    assert receiver.arrived.wait(60)
    dialog = WebhooksDialog(core, window)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: cell(dialog.deliveries, 0, 3) == "delivered", timeout=WAIT)
    assert cell(dialog.deliveries, 0, 0) == "rocket.jpg"
    assert cell(dialog.deliveries, 0, 4) == "2"
    dialog.deliveries.selectRow(0)
    assert [cell(dialog.attempts, r, 1) for r in range(dialog.attempts.rowCount())] == [
        "HTTP 503",
        "HTTP 200",
    ]
    dialog.send_again()
    qtbot.waitUntil(lambda: len(receiver.posts) == 3, timeout=WAIT)
    qtbot.waitUntil(lambda: dialog.attempts.rowCount() == 3, timeout=WAIT)


def test_closing_with_jobs_waiting_loses_and_double_charges_nothing(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    files = []
    for n, name in enumerate(("coffee", "chelsea", "astronaut", "rocket")):
        files.append(tmp_path / f"{n}-{name}.jpg")
        files[-1].write_bytes(photo(name))
    drop(window, files)
    qtbot.waitUntil(lambda: len(rows(window)) == 4, timeout=WAIT)
    window.close()
    window.core.close()  # what quitting does: the job in hand finishes, the rest wait
    reopened = build_core(window.core.paths, Settings())
    reopened.start()
    try:
        qtbot.waitUntil(
            lambda: (
                not reopened.jobs.pending_ids([job.public_id for job in reopened.jobs.recent()])
            ),
            timeout=120_000,
        )
        assert [job.status for job in reopened.jobs.recent()] == ["completed"] * 4
        assert reopened.ledger.balance(reopened.accounts.owner()) == 96
        assert CreditEntry.select().where(CreditEntry.kind == "charge").count() == 4
    finally:
        reopened.close()


def test_a_rotated_phone_photo_and_its_cutout_stand_the_same_way_up(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was turned; show rotated 90° clockwise
    source = tmp_path / "phone.jpg"
    source.write_bytes(photo("coffee", (300, 200), exif=exif.tobytes()))
    drop(window, [source])
    qtbot.waitUntil(lambda: any("Done" in row for row in rows(window)), timeout=60_000)
    window.queue.select_only(0)
    qtbot.waitUntil(lambda: window.preview.after is not None, timeout=WAIT)
    assert window.preview.before is not None
    assert window.preview.before.size().toTuple() == (200, 300)
    assert window.preview.after is not None
    assert window.preview.after.size().toTuple() == (200, 300)


def test_a_taken_port_leaves_the_window_working_and_says_why_in_few_words(
    qtbot: QtBot, home: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        core = build_core(home, Settings(api_port=port))
        api = EmbeddedApi(core, start_embedded_api)
        api.start()
        main = MainWindow(core, api)
        qtbot.addWidget(main)
        main.show()
        assert main.api_state.text() == "API off — port in use"
        assert f"Cannot listen on 127.0.0.1:{port}" in main.api_state.toolTip()
        assert not main.menu_actions[Command.API_DOCUMENTATION].isEnabled()
        assert main.minimumWidth() <= 900, "the message does not widen the window"
        main.resize(900, 600)
        qtbot.waitUntil(lambda: main.width() == 900, timeout=WAIT)

        seen: list[str] = []

        def look(dialog: SettingsDialog) -> int:
            note = dialog.findChild(QLabel, "api_port_problem")
            seen.append(note.text() if note is not None and note.isVisibleTo(dialog) else "")
            return 0

        monkeypatch.setattr(SettingsDialog, "exec", look)
        main.open_settings()
        assert seen and f"Cannot listen on 127.0.0.1:{port}" in seen[0], "said by the port"
        main.close()
        core.close()


def test_changing_the_api_port_or_switch_applies_at_once(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_url = window.api.status.url
    assert old_url and httpx.get(f"{old_url}/openapi.json").status_code == 200
    new_port = free_port()

    def settings_changed(change: Callable[[SettingsDialog], None]) -> None:
        def answer(dialog: SettingsDialog) -> int:
            change(dialog)
            dialog.save()
            return dialog.result()

        monkeypatch.setattr(SettingsDialog, "exec", answer)
        window.open_settings()

    settings_changed(lambda dialog: dialog.editors["api_port"].set_value(new_port))
    assert window.api_state.text() == f"API on http://127.0.0.1:{new_port}"
    assert httpx.get(f"http://127.0.0.1:{new_port}/openapi.json").status_code == 200
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{old_url}/openapi.json")
    assert window.core.public_url == f"http://127.0.0.1:{new_port}", "output URLs follow"
    settings_changed(lambda dialog: dialog.editors["api_enabled"].set_value(False))
    assert window.api_state.text() == "API off — turned off"
    assert not window.menu_actions[Command.API_DOCUMENTATION].isEnabled()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{new_port}/openapi.json")


def test_the_api_state_never_overflows_the_toolbar(qtbot: QtBot, window: MainWindow) -> None:
    window.resize(200, 400)
    qtbot.wait(50)
    assert window.width() >= window.toolbar.sizeHint().width()
    overflow = window.toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
    assert overflow is None or not overflow.isVisible()
    assert window.api_state.isVisible() and window.credits.isVisible()


def test_the_status_bar_counts_work_under_way(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    window.core.runner.stop()  # nothing runs: everything waits
    files = [tmp_path / f"{n}.jpg" for n in range(3)]
    for file in files:
        file.write_bytes(photo("rocket", (300, 200)))
    drop(window, files)
    qtbot.waitUntil(lambda: window.progress.text() == "3 waiting", timeout=WAIT)
    window.queue.select_only(1)
    qtbot.waitUntil(lambda: window.preview.note == "Waiting for its turn…", timeout=WAIT)
    assert window.preview.before is not None and window.preview.after is None
    window.core.runner.start()
    qtbot.waitUntil(lambda: window.progress.text() == "", timeout=60_000)
    qtbot.waitUntil(lambda: window.preview.after is not None, timeout=WAIT)
    assert window.preview.note == ""


def test_remove_from_history_keeps_a_cutout_in_the_persons_folder(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QMessageBox, "question", lambda *args: QMessageBox.StandardButton.Yes)
    source = tmp_path / "rocket.jpg"
    source.write_bytes(photo("rocket", (300, 200)))
    window.submissions.add_image(QImage(str(source)), "rocket.png")  # into bgdesk's folder
    qtbot.waitUntil(lambda: any("Done" in row for row in rows(window)), timeout=60_000)
    window.core.settings.output_dir = str(tmp_path / "mine")
    drop(window, [source])  # into a folder of the person's
    qtbot.waitUntil(lambda: sum("Done" in row for row in rows(window)) == 2, timeout=60_000)
    own, stored = (window.core.jobs.get(job_id) for job_id in window.queue.ids())
    window.queue.select_only(0)
    window.job_actions.remove()
    window.queue.select_only(0)
    window.job_actions.remove()
    qtbot.waitUntil(lambda: window.queue.list.count() == 0, timeout=WAIT)
    assert Path(own.output_path).is_file() and not Path(stored.output_path).exists()
    assert source.is_file()


def test_paste_an_image_or_a_link(qtbot: QtBot, window: MainWindow, receiver: Receiver) -> None:
    picture = QImage()
    assert picture.loadFromData(photo("chelsea", (300, 200)))
    QApplication.clipboard().setImage(picture)
    window.paste()
    qtbot.waitUntil(
        lambda: any(r.startswith("Pasted image") and "Done" in r for r in rows(window)),
        timeout=60_000,
    )
    receiver.files["/cat.jpg"] = (photo("chelsea", (300, 200)), "image/jpeg")
    window.core.settings.allow_private_urls = True  # the link is on this machine
    window.core.apply_settings()
    QApplication.clipboard().setText(f"{receiver.url}/cat.jpg")
    window.paste()
    qtbot.waitUntil(
        lambda: any(r.startswith("cat.jpg") and "Done" in r for r in rows(window)), timeout=60_000
    )
    assert window.credits.text() == "Credits: 98"


def test_menu_actions_through_their_dialogs(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each action as the person triggers it, with the dialogs answered."""
    sources = [tmp_path / "coffee.jpg", tmp_path / "chelsea.jpg", tmp_path / "notes.jpg"]
    sources[0].write_bytes(photo("coffee", (300, 200)))
    sources[1].write_bytes(photo("chelsea", (300, 200)))
    sources[2].write_bytes(photo("rocket", (300, 200)))
    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", lambda *args: ([str(p) for p in sources[:2]], "")
    )
    window.open_files()
    qtbot.waitUntil(lambda: sum("Done" in row for row in rows(window)) == 2, timeout=60_000)

    window.queue.select_only(0)
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *args: (str(tmp_path / "out" / "one.webp"), "")
    )
    window.job_actions.save_as()
    assert decode((tmp_path / "out" / "one.webp").read_bytes()).mode == "RGBA"

    def answer_export(dialog: ExportAllDialog) -> bool:
        assert dialog.format.currentData() == "png" and dialog.pattern.text() == "{name}-nobg"
        dialog.folder.setText(str(tmp_path / "all"))
        dialog.pattern.setText("{n}-{name}")
        dialog.format.setCurrentIndex(dialog.format.findData("webp"))
        return True

    monkeypatch.setattr(ExportAllDialog, "exec", answer_export)
    window.queue.list.clearSelection()  # nothing selected: every cutout the list shows
    window.job_actions.export()
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == [
        "1-chelsea.webp",
        "2-coffee.webp",
    ]
    assert window.folders.get("export") == tmp_path / "all", "the next export starts there"

    opened = record_opening(monkeypatch)
    window.queue.select_only(0)
    window.job_actions.reveal()
    window.open_api_docs()
    assert opened == [QUrl.fromLocalFile(str(tmp_path)), QUrl(f"{window.api_url}/docs")]

    window.core.runner.stop()  # the photo is moved away before its turn: the job fails
    window.core.intake.submit_file(
        window.core.accounts.owner(), sources[2], JobSource.DESKTOP, OutputOptions()
    )
    moved = sources[2].rename(tmp_path / "elsewhere.jpg")
    window.core.runner.start()
    qtbot.waitUntil(lambda: any("Failed" in row for row in rows(window)), timeout=30_000)
    moved.rename(sources[2])  # back in place, then Retry
    window.queue.select_only(0)
    window.job_actions.retry()
    qtbot.waitUntil(lambda: rows(window)[0].startswith("notes.jpg\nDone"), timeout=60_000)


def test_keyboard_zooms_fits_and_switches_the_backdrop(qtbot: QtBot, window: MainWindow) -> None:
    picture = QPixmap(1600, 1200)
    picture.fill(QColor("red"))
    window.preview.show_images(picture, picture)
    window.preview.setFocus()
    fit = window.preview.fit_scale()
    for key, scale in (
        (Qt.Key.Key_Plus, fit * 1.25),
        (Qt.Key.Key_1, 1.0),
        (Qt.Key.Key_Minus, 0.8),
        (Qt.Key.Key_0, fit),
    ):
        qtbot.keyClick(window.preview, key)
        assert abs(window.preview.scale() - scale) < 1e-9, key
        assert window.zoom_level.text() == f"{scale * 100:.0f} %"
    qtbot.keyClick(window.preview, Qt.Key.Key_B)
    assert window.backdrop_choice.currentText() == "White"
    assert window.preview.backdrop == QColor("white")
    window.queue.filter.setFocus()
    qtbot.keyClicks(window.queue.filter, "1+b")
    assert window.queue.filter.text() == "1+b", "typing in the filter is not a shortcut"
    assert abs(window.preview.scale() - fit) < 1e-9


def test_menus_have_access_keys_and_controls_have_names(window: MainWindow) -> None:
    titles = [action.text() for action in window.menuBar().actions()]
    assert titles == ["&File", "&Edit", "&View", "&Image", "&Account", "&Help"]
    for action in window.menuBar().actions():
        labels = [item.text() for item in submenu(action).actions() if not item.isSeparator()]
        assert all("&" in label for label in labels), labels
    assert window.preview.accessibleName() and window.backdrop_choice.accessibleName()
    assert window.queue.list.accessibleName() and window.queue.filter.accessibleName()


def test_first_start_offers_open_and_a_sample_photo(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert window.pages.currentWidget() is window.welcome and window.welcome.isVisible()
    assert not window.queue_column.isVisible(), "no empty list beside the drop target"
    asked: list[str] = []

    def ask_for_photos(*args: object) -> tuple[list[str], str]:
        asked.append("open")
        return [], ""

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", ask_for_photos)
    qtbot.mouseClick(window.welcome.open_button, Qt.MouseButton.LeftButton)
    assert asked == ["open"]
    qtbot.mouseClick(window.welcome.sample_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any("Done" in row for row in rows(window)), timeout=60_000)
    assert window.pages.currentWidget() is window.preview and window.queue_column.isVisible()
    assert rows(window)[0].startswith("sample-photo.jpg\nDone")
    cutout = window.core.paths.outputs_dir / "sample-photo-nobg.png"
    assert decode(cutout.read_bytes()).mode == "RGBA"
    assert window.credits.text() == "Credits: 99"
    qtbot.waitUntil(lambda: window.preview.after is not None, timeout=WAIT)


def test_help_has_a_guide_and_about(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.menu_actions[Command.QUICK_GUIDE].trigger()
    dialog = next(
        d for d in window.findChildren(QDialog) if d.windowTitle() == "bgdesk Quick Guide"
    )
    browser = dialog.findChild(QTextBrowser)
    assert browser is not None
    text = browser.toPlainText()
    assert "NAME-nobg.png" in text and "Ctrl+Shift+S" in text and str(window.api.status.url) in text
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, body: shown.append(body))
    window.menu_actions[Command.ABOUT].trigger()
    assert "u2netp" in shown[0] and "Apache-2.0" in shown[0] and "LGPL-3.0" in shown[0]


def select(window: MainWindow, rows_wanted: list[int]) -> None:
    window.queue.list.clearSelection()
    for row in rows_wanted:
        window.queue.list.item(row).setSelected(True)


def test_a_batch_shows_progress_cancels_waiting_jobs_and_sums_up(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    window.core.runner.stop()  # everything waits until the cancellation is done
    sources = []
    for name in ("astronaut", "coffee", "chelsea", "rocket"):
        sources.append(tmp_path / f"{name}.jpg")
        sources[-1].write_bytes(photo(name, (300, 200)))
    drop(window, sources)
    qtbot.waitUntil(lambda: len(rows(window)) == 4, timeout=WAIT)
    assert (
        window.batch_status.isVisible()
        and window.batch_status.label.text() == "0 of 4 · about 4 s left"  # two at a time
    )
    assert window.credits.text() == "Credits: 96"
    select(window, [0, 1])  # rocket and chelsea, the last two dropped
    window.job_actions.cancel()
    assert window.credits.text() == "Credits: 98", "refunded at once"
    assert [row.split("\n")[1].split(" · ")[0] for row in rows(window)] == [
        "Cancelled",
        "Cancelled",
        "Waiting",
        "Waiting",
    ]
    refunds = CreditEntry.select().where(CreditEntry.kind == "refund").count()
    assert refunds == 2
    sources[1].rename(tmp_path / "gone.jpg")  # coffee fails: its photo moved away
    window.core.runner.start()
    qtbot.waitUntil(lambda: window.batch_status.dismiss_button.isVisible(), timeout=60_000)
    assert window.batch_status.label.text() == "Batch finished: 1 done, 1 failed, 2 cancelled"
    assert window.credits.text() == "Credits: 99"
    qtbot.mouseClick(window.batch_status.show_button, Qt.MouseButton.LeftButton)
    visible = [
        r for r in range(window.queue.list.count()) if not window.queue.list.item(r).isHidden()
    ]
    assert [rows(window)[r].split("\n")[0] for r in visible] == ["coffee.jpg"]
    qtbot.mouseClick(window.batch_status.dismiss_button, Qt.MouseButton.LeftButton)
    assert not window.batch_status.isVisible()


def test_several_rows_at_once_and_dragging_cutouts_out(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = []
    for name in ("coffee", "chelsea", "rocket"):
        sources.append(tmp_path / f"{name}.jpg")
        sources[-1].write_bytes(photo(name, (300, 200)))
    drop(window, sources)
    qtbot.waitUntil(lambda: sum("Done" in row for row in rows(window)) == 3, timeout=60_000)
    cutouts = [tmp_path / f"{name}-nobg.png" for name in ("rocket", "chelsea", "coffee")]

    select(window, [0, 2])
    items = window.queue.list.selectedItems()
    mime = window.queue.list.mimeData(items)
    assert [url.toLocalFile() for url in mime.urls()] == [str(cutouts[0]), str(cutouts[2])]
    select(window, [1])
    mime = window.queue.list.mimeData(window.queue.list.selectedItems())
    assert mime.hasImage() and mime.urls()[0].toLocalFile() == str(cutouts[1])
    assert QImage(mime.imageData()).hasAlphaChannel()

    def answer_export(dialog: ExportAllDialog) -> bool:
        assert dialog.windowTitle() == "Export 2 cutouts"
        dialog.folder.setText(str(tmp_path / "picked"))
        return True

    monkeypatch.setattr(ExportAllDialog, "exec", answer_export)
    select(window, [0, 2])
    window.job_actions.save()  # several: into one folder
    assert sorted(p.name for p in (tmp_path / "picked").iterdir()) == [
        "coffee-nobg.png",
        "rocket-nobg.png",
    ]

    monkeypatch.setattr(QMessageBox, "question", lambda *args: QMessageBox.StandardButton.Yes)
    select(window, [0, 1])
    window.job_actions.remove()
    qtbot.waitUntil(lambda: len(rows(window)) == 1, timeout=WAIT)
    assert rows(window)[0].startswith("coffee.jpg")
    assert cutouts[0].is_file() and cutouts[1].is_file(), "cutouts in the person's folder stay"
    assert window.statusBar().currentMessage() == "2 jobs removed."


def test_a_cutout_with_no_clear_subject_is_marked_in_the_list_and_preview(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    source = tmp_path / "grass.jpg"
    source.write_bytes(photo("grass", (320, 240)))
    drop(window, [source])
    qtbot.waitUntil(lambda: "Done" in "".join(rows(window)), timeout=60_000)
    assert rows(window)[0].startswith("grass.jpg\nDone ⚠ check it")
    assert window.queue.list.item(0).toolTip().startswith("No clear subject")
    window.queue.select_only(0)
    qtbot.waitUntil(lambda: window.preview.after is not None, timeout=WAIT)
    assert window.preview.warning.startswith("No clear subject")


def test_the_status_bar_says_where_models_run(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    assert window.device_state.text() == "Runs on: CPU"
    assert window.device_state.toolTip().startswith("auto: no accelerator")
    window.core.settings.device = "cuda"
    window.core.apply_settings()
    window._update_status()
    assert window.device_state.text() == "Runs on: ⚠ No cuda device"
    assert "bgdesk[cuda]" in window.device_state.toolTip()
    path = tmp_path / "coffee.jpg"
    path.write_bytes(photo("coffee", (64, 64)))
    drop(window, [path])
    qtbot.waitUntil(lambda: shown_notice(window) is not None, timeout=WAIT)
    notice = shown_notice(window)
    assert notice is not None and "NVIDIA GPU (CUDA)" in notice.text()
    assert "CUDAExecutionProvider" in notice.detailedText(), "the runtime's words in Details"
    assert window.credits.text() == "Credits: 100", "refused, not charged"


def test_a_photo_added_to_an_idle_window_is_shown(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    first = tmp_path / "coffee.jpg"
    first.write_bytes(photo("coffee", (64, 64)))
    drop(window, [first])
    qtbot.waitUntil(lambda: "Done" in "".join(rows(window)), timeout=60_000)
    assert window.queue.current_id() == window.queue.ids()[0]
    later = tmp_path / "rocket.jpg"
    later.write_bytes(photo("rocket", (64, 64)))
    drop(window, [later])
    qtbot.waitUntil(lambda: len(rows(window)) == 2, timeout=60_000)
    qtbot.waitUntil(lambda: window.queue.current_id() == window.queue.ids()[0], timeout=WAIT)
    current = window.queue.list.currentItem()
    assert current is not None and current.text().startswith("rocket.jpg")
