"""Export and Save As in the real window: the selection alone, the photos' folder first,
numbers that sort, a name that overwrites nothing, and a background confirmed with its file."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QLabel
from pytestqt.qtbot import QtBot

from bgdesk.gui.export_dialog import ExportAllDialog
from bgdesk.gui.main_window import MainWindow
from tests.conftest import decode, photo
from tests.gui.conftest import WAIT, cut_out_one, drop

pytestmark = pytest.mark.slow  # the real window over the real core

COUNT = 12


def test_export_takes_the_selection_from_the_photos_folder_with_sorting_numbers(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    for n in range(COUNT):
        (shoot / f"item-{n}.jpg").write_bytes(photo("coffee", (64, 64)))
    drop(window, sorted(shoot.iterdir()))
    queue = window.queue
    qtbot.waitUntil(lambda: "".join(queue.texts()).count("Done") == COUNT, timeout=WAIT)

    asked: list[ExportAllDialog] = []

    def answer(dialog: ExportAllDialog) -> bool:
        asked.append(dialog)
        dialog.folder.setText(str(tmp_path / f"export-{len(asked)}"))
        dialog.pattern.setText("{n}-{name}")
        return True

    monkeypatch.setattr(ExportAllDialog, "exec", answer)
    queue.select_id(queue.ids()[3])
    chosen = window.selected_job()
    assert chosen is not None
    window.job_actions.export()
    assert asked[0].windowTitle() == "Export 1 cutout"
    exported = [p.name for p in (tmp_path / "export-1").iterdir()]
    assert exported == [f"1-{Path(chosen.input_name).stem}.png"], "the selected one alone"
    labels = [label for label in asked[0].findChildren(QLabel) if label.text() == "&Folder"]
    assert labels and labels[0].buddy() is asked[0].folder, "&F is an access key, not text"

    queue.list.clearSelection()
    window.job_actions.export()
    names = sorted(p.name for p in (tmp_path / "export-2").iterdir())
    first, last = (window.core.jobs.get(i).input_name for i in (queue.ids()[0], queue.ids()[-1]))
    assert len(names) == COUNT, "nothing selected: every cutout the list shows"
    assert names[0] == f"01-{Path(first).stem}.png", "zero-padded, in the list's order"
    assert names[-1] == f"12-{Path(last).stem}.png"


def test_the_first_export_opens_in_the_photos_folder(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cut_out_one(qtbot, window, tmp_path)
    folders: list[str] = []
    monkeypatch.setattr(ExportAllDialog, "exec", lambda d: folders.append(d.folder.text()))
    window.job_actions.export()
    assert folders == [str(tmp_path)]

    suggested: list[str] = []

    def cancelled(parent: object, title: str, path: str, filters: str) -> tuple[str, str]:
        suggested.append(path)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", cancelled)
    window.job_actions.save_as()
    assert suggested == [str(tmp_path / "coffee-nobg-2.png")], "not the cutout's own file"


def test_a_background_is_confirmed_with_the_file_it_is_in(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    source = tmp_path / "coffee.jpg"
    source.write_bytes(photo("coffee", (64, 64)))
    drop(window, [source])
    cutout = tmp_path / "coffee-nobg.png"
    qtbot.waitUntil(cutout.exists, timeout=WAIT)
    qtbot.waitUntil(lambda: window.selected_job() is not None, timeout=WAIT)

    window.backgrounds.use_colour("#ff0000")
    message = f"Background applied: coffee.jpg saved as {cutout}"
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == message, timeout=WAIT)
    assert decode(cutout.read_bytes()).convert("RGB").getpixel((0, 0)) == (255, 0, 0)

    window.backgrounds.apply({})
    message = f"Background removed: coffee.jpg saved as {cutout}"
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == message, timeout=WAIT)
    assert decode(cutout.read_bytes()).getpixel((0, 0))[3] == 0  # type: ignore[index]
