"""The `bgdesk` command, in process and as a real process, with the real model."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pillow_heif
import pytest

from bgdesk.bootstrap import build_core, main
from bgdesk.cli import run
from bgdesk.core.app import Core
from bgdesk.paths import Paths
from bgdesk.request.options import OutputOptions
from bgdesk.storage.models import CreditEntry, Job, JobSource
from tests.conftest import decode, open_home_database, photo
from tests.processes import free_port, serve_on_free_port, serving, terminate

pytestmark = pytest.mark.slow  # the real model, in process or as a real process


def bgdesk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bgdesk", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_remove_astronaut_gives_an_rgba_cutout(home: Paths, tmp_path: Path) -> None:
    source = tmp_path / "astronaut.jpg"
    source.write_bytes(photo("astronaut"))
    result = bgdesk("remove", str(source))
    assert result.returncode == 0, result.stderr
    image = decode((tmp_path / "astronaut-nobg.png").read_bytes())
    alpha = np.asarray(image)[..., 3]
    assert image.mode == "RGBA" and image.size == (512, 512)
    assert alpha[100:180, 180:260].mean() > 240, "the face is opaque"
    assert alpha[0:60, 430:512].mean() < 10, "the background is transparent"


def test_a_phones_heic_photo_comes_out_as_a_transparent_avif(home: Paths, tmp_path: Path) -> None:
    source = tmp_path / "astronaut.heic"
    buffer = io.BytesIO()
    pillow_heif.from_pillow(decode(photo("astronaut"))).save(buffer, quality=92)
    source.write_bytes(buffer.getvalue())
    result = bgdesk("remove", str(source), "--format", "avif")
    assert result.returncode == 0, result.stderr
    image = decode((tmp_path / "astronaut-nobg.avif").read_bytes())
    alpha = np.asarray(image.convert("RGBA"))[..., 3]
    assert image.format == "AVIF" and image.size == (512, 512)
    assert alpha[100:180, 180:260].mean() > 240, "the face is opaque"
    assert alpha[0:60, 430:512].mean() < 10, "the background is transparent"


def test_folder_with_bad_files_names_each_failure(
    home: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "coffee.jpg").write_bytes(photo("coffee"))
    (folder / "notes.jpg").write_text("not a photo")
    (folder / "empty.png").write_bytes(b"")
    code = main(
        [
            "remove",
            str(folder),
            str(tmp_path / "missing.jpg"),
            "-o",
            str(tmp_path / "out"),
            "--format",
            "webp",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert decode((tmp_path / "out" / "sub" / "coffee.webp").read_bytes()).mode == "RGBA"
    assert "FAILED" in out and "notes.jpg: The file is not an image" in out
    assert "empty.png: The file is empty" in out and "missing.jpg: no such file" in out
    assert main(["credits", "show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["balance"] == 99


def test_json_records_for_scripts(
    home: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "cat.png"
    source.write_bytes(photo("chelsea", fmt="PNG"))
    assert main(["remove", str(source), "--bg-color", "white", "--crop", "--json"]) == 0
    [record] = json.loads(capsys.readouterr().out)
    assert record["status"] == "completed" and record["error"] is None
    assert decode(Path(record["output"]).read_bytes()).mode == "RGB"


def test_accounts_keys_and_credits(home: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["accounts", "create", "script", "--credits", "5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["credits"] == 5
    assert main(["keys", "create", "--account", "script", "--name", "ci", "--json"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["key"].startswith("sk_live_") and created["inKeyring"] is True
    assert main(["keys", "list", "--json"]) == 0
    listed = capsys.readouterr().out
    assert created["prefix"] in listed and created["key"] not in listed
    assert main(["credits", "grant", "7", "--account", "script"]) == 0
    assert main(["accounts", "suspend", "script"]) == 0
    capsys.readouterr()
    assert main(["accounts", "list", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["script"]["credits"] == 12 and rows["script"]["status"] == "suspended"
    assert main(["keys", "revoke", str(created["id"])]) == 0
    assert main(["accounts", "resume", "nobody"]) == 1
    assert "No account 'nobody'" in capsys.readouterr().err


def test_out_of_credits_is_explained_and_costs_nothing(
    fake_core: Core, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    owner = fake_core.accounts.owner()
    for _ in range(100):
        fake_core.intake.submit_upload(
            owner, photo("coffee", (60, 40)), "c.jpg", JobSource.DESKTOP, OutputOptions()
        )
    fake_core.runner.run_until_idle()
    source = tmp_path / "coffee.jpg"
    source.write_bytes(photo("coffee"))
    assert main(["remove", str(source)]) == 1
    assert "Not enough credits" in capsys.readouterr().out
    assert not (tmp_path / "coffee-nobg.png").exists()


def test_bare_command_and_open_open_the_window(home: Paths) -> None:
    opened: list[list[str]] = []

    def window(core: Core, paths: list[str]) -> int:
        opened.append(paths)
        return 0

    assert run([], home, build_core, lambda *_: 1, window) == 0
    assert run(["open", "a.jpg", "folder"], home, build_core, lambda *_: 1, window) == 0
    assert run([str(home.data_dir)], home, build_core, lambda *_: 1, window) == 0
    assert opened == [[], ["a.jpg", "folder"], [str(home.data_dir)]]


def test_killed_mid_batch_then_restarted_every_job_completes_once(
    home: Paths, tmp_path: Path
) -> None:
    folder, out = tmp_path / "batch", tmp_path / "out"
    folder.mkdir()
    names = ["astronaut", "coffee", "chelsea", "rocket"] * 3
    for index, name in enumerate(names):
        (folder / f"{index:02d}-{name}.jpg").write_bytes(photo(name, (480, 360)))
    process = subprocess.Popen(
        [sys.executable, "-m", "bgdesk", "remove", str(folder), "-o", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(out.glob("*.png"))) < 2:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    finished_before = len(list(out.glob("*.png")))
    assert 2 <= finished_before < len(names), "the kill landed mid-batch"

    restarted = bgdesk("jobs", "run")
    assert restarted.returncode == 0, restarted.stderr

    db = open_home_database(home)
    jobs = list(Job.select())
    assert len(jobs) == len(names)
    assert {job.status for job in jobs} == {"completed"}
    for job in jobs:
        kinds = sorted(e.kind for e in CreditEntry.select().where(CreditEntry.job == job))
        assert kinds == ["charge"], f"{job.input_name} was charged {kinds}"
        assert decode(Path(job.output_path).read_bytes()).mode == "RGBA"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{i:02d}-{n}.png" for i, n in enumerate(names)
    ), "no partial files are left"
    db.close()


@pytest.mark.parametrize("args", [["models", "list"], ["models", "verify"], ["jobs", "list"]])
def test_listing_commands_run(home: Paths, args: list[str]) -> None:
    assert main(args) == 0


def test_window_without_a_display_says_what_to_use(
    home: Paths, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert main([]) == 1
    assert "no display" in capsys.readouterr().err


def test_open_shows_the_window_runs_the_photos_serves_the_api_and_quits_cleanly(
    home: Paths, tmp_path: Path
) -> None:
    port = serve_on_free_port(home.settings_file)
    source = tmp_path / "rocket.jpg"
    source.write_bytes(photo("rocket", (300, 200)))
    environment = os.environ | {"QT_QPA_PLATFORM": "offscreen"}
    with serving(
        [sys.executable, "-m", "bgdesk", "open", str(source)], environment, port
    ) as process:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (tmp_path / "rocket-nobg.png").exists():
            time.sleep(0.1)
        errors = terminate(process)
    assert process.returncode == 0, errors
    assert "Traceback" not in errors
    assert (tmp_path / "rocket-nobg.png").is_file(), "the cutout lands beside the photo"
    assert (home.config_dir / "window.ini").is_file(), "the window closed as Quit closes it"


def test_serve_stops_gracefully_on_sigterm(home: Paths) -> None:
    port = free_port()
    with serving(
        [sys.executable, "-m", "bgdesk", "serve", "--port", str(port)], os.environ, port
    ) as process:
        errors = terminate(process)
    assert process.returncode == 0 and "Traceback" not in errors, errors


def test_remove_says_which_cutouts_to_check(
    home: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "grass.jpg").write_bytes(photo("grass", (320, 240)))
    (tmp_path / "astronaut.jpg").write_bytes(photo("astronaut", (320, 240)))
    inputs = [str(tmp_path / "grass.jpg"), str(tmp_path / "astronaut.jpg")]
    assert main(["remove", *inputs, "--json"]) == 0
    records = {Path(r["input"]).stem: r for r in json.loads(capsys.readouterr().out)}
    assert records["grass"]["warning"].startswith("No clear subject")
    assert records["astronaut"]["warning"] is None
    assert main(["remove", *inputs, "--overwrite"]) == 0
    out = capsys.readouterr().out
    assert f"CHECK {tmp_path / 'grass-nobg.png'}: No clear subject" in out
    assert "CHECK" not in out.replace(f"CHECK {tmp_path / 'grass-nobg.png'}", "")


def test_a_folder_run_again_does_not_cut_out_its_own_cutouts(
    home: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "shoot"
    folder.mkdir()
    (folder / "chelsea.jpg").write_bytes(photo("chelsea", (300, 200)))
    assert main(["remove", str(folder)]) == 0
    capsys.readouterr()
    assert main(["remove", str(folder), "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [Path(r["input"]).name for r in records] == ["chelsea.jpg"]
    assert sorted(p.name for p in folder.iterdir()) == ["chelsea-nobg.png", "chelsea.jpg"]
