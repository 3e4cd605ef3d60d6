"""Watched folders, look by look: a photo is taken once it has settled, once; its cutout
there or its job under way means no new charge, across a restart too."""

from __future__ import annotations

import time
from pathlib import Path

from bgdesk.core.app import Core
from bgdesk.core.watch import FolderWatcher
from bgdesk.inference.options import OutputOptions
from bgdesk.storage.models import Job
from tests.conftest import photo

COFFEE = photo("coffee", (60, 40))


def watcher(core: Core, folder: Path, output: Path | None = None) -> FolderWatcher:
    return FolderWatcher(core.jobs, core.accounts.owner, [folder], output, OutputOptions)


def names(found: list) -> list[str]:  # type: ignore[type-arg]
    return sorted(w.photo.name for w in found)


def test_new_photos_are_taken_once_settled_and_only_once(fake_core: Core, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.jpg").write_bytes(COFFEE)
    (folder / "sub" / "b.jpg").write_bytes(COFFEE)
    (folder / "done.jpg").write_bytes(COFFEE)
    (folder / "done-nobg.png").write_bytes(b"made before")
    watching = watcher(fake_core, folder)

    assert watching.look() == [], "the first look only notes what is there"
    assert names(watching.look()) == ["a.jpg", "b.jpg"]
    assert watching.look() == []
    fake_core.runner.run_until_idle()
    assert (folder / "a-nobg.png").exists() and (folder / "sub" / "b-nobg.png").exists()

    growing = folder / "c.jpg"
    growing.write_bytes(COFFEE[:1000])
    watching.look()
    growing.write_bytes(COFFEE)  # still being copied at the last look
    assert watching.look() == []
    assert names(watching.look()) == ["c.jpg"]
    assert Job.select().count() == 3


def test_a_restart_pays_for_nothing_twice(fake_core: Core, tmp_path: Path) -> None:
    folder, output = tmp_path / "in", tmp_path / "in" / "cutouts"
    folder.mkdir()
    for name in ("a.jpg", "b.jpg"):
        (folder / name).write_bytes(COFFEE)
    first = watcher(fake_core, folder, output)
    first.look()
    assert names(first.look()) == ["a.jpg", "b.jpg"]  # queued, not yet run: then a stop

    again = watcher(fake_core, folder, output)
    again.look()
    assert again.look() == [], "their jobs are under way"
    fake_core.runner.run_until_idle()
    assert sorted(p.name for p in output.iterdir()) == ["a.png", "b.png"]
    third = watcher(fake_core, folder, output)
    third.look()
    assert third.look() == [], "their cutouts are there; the output folder is not watched"
    assert fake_core.ledger.balance(fake_core.accounts.owner()) == 98


def test_a_bad_file_is_reported_once(fake_core: Core, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "notes.jpg").write_bytes(b"not a photo")
    watching = watcher(fake_core, folder)
    watching.look()
    [refused] = watching.look()
    assert refused.job is None and refused.error and "not an image" in refused.error
    assert watching.look() == []
    assert fake_core.ledger.balance(fake_core.accounts.owner()) == 100


def test_a_paused_watcher_takes_nothing_until_resumed(fake_core: Core, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    watching = watcher(fake_core, folder)
    watching.interval = 0.02
    watching.paused.set()
    watching.start()
    try:
        (folder / "a.jpg").write_bytes(COFFEE)
        time.sleep(0.5)  # many intervals
        assert Job.select().count() == 0
        watching.paused.clear()
        deadline = time.monotonic() + 10
        while Job.select().count() == 0:
            assert time.monotonic() < deadline, "nothing was taken after resuming"
            time.sleep(0.02)
    finally:
        watching.stop()
    assert Job.select().count() == 1
