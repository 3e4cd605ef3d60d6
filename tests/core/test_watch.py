"""Watched folders, look by look: a photo is taken once it has settled, once; its cutout
there or its job under way means no new charge, across a restart too; photos of one name get
a cutout each whenever they arrive; links out of the folder are skipped, and said so once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bgdesk.core.app import Core
from bgdesk.core.secrets import KeyringSecretStore
from bgdesk.core.watch import LINK_OUTSIDE, FolderWatcher, Watched
from bgdesk.paths import Paths
from bgdesk.request.options import OutputOptions
from bgdesk.settings import Settings
from bgdesk.storage.models import CreditEntry, Job
from tests.conftest import photo
from tests.cutouts import TellingEngine, cutout_of

COFFEE = photo("coffee", (60, 40))


def watcher(
    core: Core, folder: Path, output: Path | None = None, follow_links: bool = False
) -> FolderWatcher:
    return FolderWatcher(
        core.intake,
        core.jobs,
        core.accounts.owner,
        [folder],
        output,
        OutputOptions,
        follow_links=follow_links,
    )


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
        # the turn under way may have begun before the photo came; two more would take it
        rounds(watching, watching.rounds + 3)
        assert Job.select().count() == 0
        watching.paused.clear()
        rounds(watching, watching.rounds + 3)
    finally:
        watching.stop()
    assert Job.select().count() == 1


def rounds(watching: FolderWatcher, count: int) -> None:
    """Wait until the watcher's loop has taken `count` turns."""
    deadline = time.monotonic() + 30
    while watching.rounds < count:
        assert time.monotonic() < deadline, f"the watcher took {watching.rounds} turns"
        time.sleep(0.005)


@pytest.fixture
def telling_core(home: Paths) -> Iterator[Core]:
    """A core whose cutouts say which photo they were cut from."""
    instance = Core(home, Settings(), TellingEngine(), KeyringSecretStore())
    yield instance
    instance.close()


def charges() -> int:
    return CreditEntry.select().where(CreditEntry.kind == "charge").count()


def settle(watching: FolderWatcher) -> list[Watched]:
    """The looks it takes a photo that just arrived to be taken: one to note it, one to see
    it unchanged."""
    return watching.look() + watching.look()


def test_photos_of_one_name_get_a_cutout_each_whenever_they_arrive(
    telling_core: Core, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    png, jpg = photo("coffee", (60, 40), "PNG"), photo("chelsea", (60, 40))
    (folder / "same.png").write_bytes(png)
    first = watcher(telling_core, folder)
    assert [w.target.name for w in settle(first)] == ["same-nobg.png"]
    telling_core.runner.run_until_idle()
    (folder / "same.jpg").write_bytes(jpg)  # sorts first, and arrives later
    assert [w.target.name for w in settle(first)] == ["same-nobg-2.png"]
    telling_core.runner.run_until_idle()

    restarted = watcher(telling_core, folder)
    assert settle(restarted) == [], "both have their cutout"
    assert (folder / "same-nobg.png").read_bytes() == cutout_of(png)
    assert (folder / "same-nobg-2.png").read_bytes() == cutout_of(jpg)
    assert charges() == 2 == len(list(folder.glob("*-nobg*.png")))


def test_photos_of_one_name_arriving_together_are_numbered_by_name(
    telling_core: Core, tmp_path: Path
) -> None:
    folder, output = tmp_path / "in", tmp_path / "out"
    (folder / "sub").mkdir(parents=True)
    pictures = {
        "same.png": photo("coffee", (60, 40), "PNG"),
        "same.jpg": photo("chelsea", (60, 40)),
        "sub/same.jpg": photo("rocket", (60, 40)),
    }
    for name, data in pictures.items():
        (folder / name).write_bytes(data)
    assert len(settle(watcher(telling_core, folder, output))) == 3
    telling_core.runner.run_until_idle()
    assert (output / "same.png").read_bytes() == cutout_of(pictures["same.jpg"])
    assert (output / "same-2.png").read_bytes() == cutout_of(pictures["same.png"])
    assert (output / "sub" / "same.png").read_bytes() == cutout_of(pictures["sub/same.jpg"])
    assert charges() == 3


def test_a_link_out_of_the_folder_is_skipped_said_once_and_costs_nothing(
    telling_core: Core, tmp_path: Path
) -> None:
    folder, private = tmp_path / "in", tmp_path / "private"
    folder.mkdir()
    private.mkdir()
    secret = photo("astronaut", (60, 60))
    (private / "secret.jpg").write_bytes(secret)
    (folder / "secret.jpg").symlink_to(private / "secret.jpg")
    (folder / "own.jpg").write_bytes(COFFEE)
    (folder / "alias.jpg").symlink_to(folder / "own.jpg")  # stays in the folder: taken
    watching = watcher(telling_core, folder)

    looks = [watching.look() for _ in range(4)]

    [told] = [w for look in looks for w in look if w.job is None]
    assert told.photo == folder / "secret.jpg" and told.error == LINK_OUTSIDE
    assert sorted(w.photo.name for w in looks[1]) == ["alias.jpg", "own.jpg"]
    telling_core.runner.run_until_idle()
    assert not (folder / "secret-nobg.png").exists()
    assert charges() == 2

    allowed = watcher(telling_core, folder, follow_links=True)
    [taken] = settle(allowed)
    assert taken.photo == folder / "secret.jpg" and taken.job is not None
    telling_core.runner.run_until_idle()
    assert (folder / "secret-nobg.png").read_bytes() == cutout_of(secret)


def test_a_photo_with_a_name_as_long_as_its_cutout_allows_is_cut_out(
    telling_core: Core, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    stem = "p" * (255 - len("-nobg.png"))
    (folder / f"{stem}.jpg").write_bytes(COFFEE)
    (folder / f"{stem}x.jpg").write_bytes(COFFEE)  # its cutout's name would be too long
    watching = watcher(telling_core, folder)

    found = settle(watching) + watching.look()

    [refused] = [w for w in found if w.job is None]
    assert refused.photo.name == f"{stem}x.jpg" and "shorter name" in str(refused.error)
    telling_core.runner.run_until_idle()
    assert (folder / f"{stem}-nobg.png").read_bytes() == cutout_of(COFFEE)
    assert sorted(p.name for p in folder.iterdir()) == [
        f"{stem}-nobg.png",
        f"{stem}.jpg",
        f"{stem}x.jpg",
    ], "no temporary file is left"
    assert charges() == 1
