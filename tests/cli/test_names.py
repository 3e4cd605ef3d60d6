"""Names through `bgdesk remove` and `bgdesk watch`: photos of one name get a cutout each and
are each paid once, on every run; a long name is cut out, one whose cutout could not be named
is refused unpaid; a link out of a watched folder is skipped; names are printed escaped.

In-process over a fake engine first; then the real commands as real processes, with the real
model, the way a person runs them."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bgdesk.cli import run
from bgdesk.core.app import Core
from bgdesk.core.secrets import KeyringSecretStore
from bgdesk.paths import Paths
from bgdesk.settings import Settings
from bgdesk.storage.files import temporary_label
from bgdesk.storage.models import CreditEntry
from tests.conftest import decode, open_home_database, photo
from tests.cutouts import TellingEngine, cutout_of

COFFEE, CAT = photo("coffee", (60, 40), "PNG"), photo("chelsea", (64, 48))
EVIL = "bill\x1b[2J\x1b]0;pwned\x07\nname"  # clears the screen, retitles it, breaks the line


def bgdesk(home: Paths, *argv: str) -> int:
    """`bgdesk ARGV` in this process, over an engine whose cutouts say whose they are."""

    def core(paths: Paths, settings: Settings) -> Core:
        return Core(paths, settings, TellingEngine(), KeyringSecretStore())

    return run(list(argv), home, core, lambda *_: 0, lambda *_: 0)


def charges(home: Paths) -> tuple[int, int]:
    """(charges, refunds) in the ledger."""
    db = open_home_database(home)
    try:
        kinds = [entry.kind for entry in CreditEntry.select()]
        return kinds.count("charge"), kinds.count("refund")
    finally:
        db.close()


def records(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """`remove --json`'s records, by the input's name."""
    return {Path(r["input"]).name: r for r in json.loads(capsys.readouterr().out)}


def test_remove_gives_photos_of_one_name_a_cutout_each_paid_once_on_every_run(
    home: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "shoot"
    folder.mkdir()
    (folder / "same.png").write_bytes(COFFEE)
    (folder / "same.jpg").write_bytes(CAT)

    assert bgdesk(home, "remove", str(folder), "--json") == 0
    made = records(capsys)
    assert made["same.jpg"]["output"] == str(folder / "same-nobg.png")
    assert made["same.png"]["output"] == str(folder / "same-nobg-2.png")
    assert (folder / "same-nobg.png").read_bytes() == cutout_of(CAT)
    assert (folder / "same-nobg-2.png").read_bytes() == cutout_of(COFFEE)
    assert charges(home) == (2, 0)

    assert bgdesk(home, "remove", str(folder), str(folder / "same.png")) == 0
    assert "0 cutouts written" in capsys.readouterr().out
    assert bgdesk(home, "remove", str(folder), "-o", str(tmp_path / "out"), "--json") == 0
    assert {name: Path(r["output"]).name for name, r in records(capsys).items()} == {
        "same.jpg": "same.png",
        "same.png": "same-2.png",
    }, "the numbered cutout is not taken for a photo; the photo named twice is taken once"
    assert (tmp_path / "out" / "same-2.png").read_bytes() == cutout_of(COFFEE)
    cutouts = [*folder.glob("*-nobg*.png"), *(tmp_path / "out").glob("*.png")]
    assert charges(home) == (len(cutouts), 0) == (4, 0)


def test_remove_keeps_a_photos_cutout_when_one_of_its_name_arrives(
    home: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "shoot"
    folder.mkdir()
    (folder / "same.png").write_bytes(COFFEE)
    assert bgdesk(home, "remove", str(folder)) == 0
    (folder / "same.jpg").write_bytes(CAT)  # sorts first, and came later

    assert bgdesk(home, "remove", str(folder)) == 0

    out = capsys.readouterr().out
    assert f"{folder / 'same.jpg'} -> {folder / 'same-nobg-2.png'}" in out
    assert (folder / "same-nobg.png").read_bytes() == cutout_of(COFFEE)
    assert (folder / "same-nobg-2.png").read_bytes() == cutout_of(CAT)
    assert charges(home) == (2, 0)


def test_remove_gives_a_photo_named_alone_the_cutout_its_folders_run_gave_it(
    home: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, out = tmp_path / "shoot", tmp_path / "out"
    folder.mkdir()
    (folder / "same.jpg").write_bytes(CAT)
    (folder / "same.png").write_bytes(COFFEE)
    (folder / "same-nobg.jpg").write_bytes(b"a cutout, no namesake of the photos")
    assert bgdesk(home, "remove", str(folder)) == 0
    assert bgdesk(home, "remove", str(folder), "-o", str(out)) == 0
    assert "2 cutouts written" in capsys.readouterr().out

    alone = str(folder / "same.png")
    assert bgdesk(home, "remove", alone, "--overwrite", "--json") == 0
    assert records(capsys)["same.png"]["output"] == str(folder / "same-nobg-2.png")
    assert bgdesk(home, "remove", alone, "-o", str(out), "--overwrite", "--json") == 0
    assert records(capsys)["same.png"]["output"] == str(out / "same-2.png")
    (folder / "same-nobg-2.png").unlink()
    assert bgdesk(home, "remove", alone, "--json") == 0
    [record] = records(capsys).values()
    assert (record["status"], record["output"]) == ("completed", str(folder / "same-nobg-2.png"))

    assert (folder / "same-nobg.png").read_bytes() == cutout_of(CAT)
    assert (folder / "same-nobg-2.png").read_bytes() == cutout_of(COFFEE)
    assert (out / "same.png").read_bytes() == cutout_of(CAT)
    assert (out / "same-2.png").read_bytes() == cutout_of(COFFEE)
    assert charges(home) == (2 + 2 + 1 + 1 + 1, 0), "each cutout delivered is paid once"


def test_remove_cuts_out_a_long_name_and_refuses_one_too_long_unpaid(
    home: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stem = "p" * (255 - len("-nobg.png"))
    (tmp_path / f"{stem}.png").write_bytes(COFFEE)
    (tmp_path / f"{stem}xx.png").write_bytes(CAT)
    killed = tmp_path / f".{temporary_label(f'{stem}-nobg.png')}.0123456789ab.part"
    killed.write_bytes(b"half a cutout, from a run killed mid-file")

    assert bgdesk(home, "remove", str(tmp_path)) == 1

    out = capsys.readouterr().out
    assert "1 cutout written" in out
    assert f"FAILED {tmp_path / f'{stem}xx.png'}: The cutout's name would be 257 bytes long" in out
    assert (tmp_path / f"{stem}-nobg.png").read_bytes() == cutout_of(COFFEE)
    assert not killed.exists(), "the killed run's temporary file is gone"
    assert charges(home) == (1, 0)


def test_remove_prints_a_name_with_control_characters_escaped(
    home: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / f"{EVIL}.png").write_bytes(COFFEE)
    (tmp_path / f"{EVIL} notes.jpg").write_bytes(b"not a photo")

    assert bgdesk(home, "remove", str(tmp_path)) == 1

    out = capsys.readouterr().out
    shown = "bill\\x1b[2J\\x1b]0;pwned\\x07\\nname"
    assert f"{tmp_path}/{shown}.png -> {tmp_path}/{shown}-nobg.png\n" in out
    assert f"FAILED {tmp_path}/{shown} notes.jpg: The file is not an image" in out
    assert "\x1b" not in out and "\x07" not in out and "\nname" not in out
    assert (tmp_path / f"{EVIL}-nobg.png").read_bytes() == cutout_of(COFFEE)
    assert bgdesk(home, "remove", str(tmp_path / f"{EVIL}.png"), "--json") == 0
    [record] = json.loads(capsys.readouterr().out)
    assert record["input"] == str(tmp_path / f"{EVIL}.png") and record["status"] == "skipped"


# -- the real commands -------------------------------------------------------------------


def bgdesk_process(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bgdesk", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_remove_for_real_gives_photos_of_one_name_a_cutout_each(
    home: Paths, models_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "shoot"
    folder.mkdir()
    (folder / "same.jpg").write_bytes(photo("astronaut", (160, 120)))
    (folder / "same.png").write_bytes(photo("chelsea", (90, 150), "PNG"))

    first = bgdesk_process("remove", str(folder))
    again = bgdesk_process("remove", str(folder))

    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    assert "2 cutouts written" in first.stdout
    assert "0 cutouts written" in again.stdout and "2 already there" in again.stdout
    assert decode((folder / "same-nobg.png").read_bytes()).size == (160, 120)
    assert decode((folder / "same-nobg-2.png").read_bytes()).size == (90, 150)
    assert charges(home) == (2, 0)


class Watching:
    """A real `bgdesk watch` process and the lines it prints, as they come."""

    def __init__(self, *args: str) -> None:
        command = [sys.executable, "-m", "bgdesk", "watch", *args, "--interval", "0.1"]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.lines: list[str] = []
        self._arriving: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._arriving.put(line)
        self._arriving.put(None)

    def wait_until(self, done: Callable[[list[str]], bool], timeout: float = 120) -> None:
        """Read what it prints until `done` holds of all it printed."""
        deadline = time.monotonic() + timeout
        while not done(self.lines):
            try:
                line = self._arriving.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"not printed in {timeout} s: {self.lines}") from None
            assert line is not None, f"bgdesk watch ended: {self.lines}"
            self.lines.append(line)

    def printed(self, *photos: Path) -> Callable[[list[str]], bool]:
        """Whether it told of each of `photos` cut out."""
        return lambda lines: all(
            any(line.startswith(f"  {photo} -> ") for line in lines) for photo in photos
        )

    def stop(self) -> str:
        """SIGTERM, as a logout sends; what it wrote to stderr."""
        self.process.terminate()
        _, errors = self.process.communicate(timeout=60)
        return errors


@pytest.fixture
def watching() -> Iterator[Callable[..., Watching]]:
    """Starts `bgdesk watch` processes; any still running at the end is killed."""
    started: list[Watching] = []

    def start(*args: str) -> Watching:
        started.append(Watching(*args))
        return started[-1]

    yield start
    for process in started:
        if process.process.poll() is None:
            process.process.kill()
            process.process.communicate()


@pytest.mark.slow
def test_watch_for_real_names_skips_and_prints_as_a_person_needs(
    home: Paths, models_dir: Path, tmp_path: Path, watching: Callable[..., Watching]
) -> None:
    inbox, elsewhere = tmp_path / "inbox", tmp_path / "elsewhere"
    inbox.mkdir()
    elsewhere.mkdir()
    (elsewhere / "private.jpg").write_bytes(photo("astronaut", (100, 100)))
    (inbox / "private.jpg").symlink_to(elsewhere / "private.jpg")
    long_stem = "l" * 240
    (inbox / f"{long_stem}.png").write_bytes(photo("rocket", (80, 60), "PNG"))
    (inbox / f"{EVIL}.png").write_bytes(photo("coffee", (70, 50), "PNG"))
    (inbox / "same.png").write_bytes(photo("chelsea", (90, 150), "PNG"))
    watcher = watching(str(inbox))

    shown = inbox / "bill\\x1b[2J\\x1b]0;pwned\\x07\\nname.png"
    watcher.wait_until(watcher.printed(inbox / f"{long_stem}.png", shown, inbox / "same.png"))
    (inbox / "same.jpg").write_bytes(photo("astronaut", (160, 120)))
    watcher.wait_until(watcher.printed(inbox / "same.jpg"))
    errors = watcher.stop()

    assert watcher.process.returncode == 0 and "Traceback" not in errors, errors
    told = [line for line in watcher.lines if "private.jpg" in line]
    assert told == [
        f"  SKIPPED {inbox / 'private.jpg'}: a link to a file outside the watched folder, "
        "not followed (the setting watch_follow_links lets such links in)\n"
    ]
    assert not any("\x1b" in line or "\x07" in line for line in watcher.lines)
    assert decode((inbox / f"{long_stem}-nobg.png").read_bytes()).size == (80, 60)
    assert decode((inbox / f"{EVIL}-nobg.png").read_bytes()).size == (70, 50)
    assert decode((inbox / "same-nobg.png").read_bytes()).size == (90, 150)
    assert decode((inbox / "same-nobg-2.png").read_bytes()).size == (160, 120)
    assert not (inbox / "private-nobg.png").exists()
    assert charges(home) == (4, 0), "the four cutouts are paid for, the link is not"
    assert [p.name for p in inbox.iterdir() if p.name.startswith(".")] == []
