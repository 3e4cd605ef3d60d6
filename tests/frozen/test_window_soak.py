"""The installed window on a real X display (Xvfb), driven by synthetic input (xdotool) for
a few thousand wheel, pan, divider, zoom-key and backdrop events over a 12 MP photo and its
cutout: the process lives, answers, and quits cleanly.

`.ci/run` installs Xvfb and xdotool (Debian packages xvfb, xdotool) before it gets here.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import photo
from tests.processes import serve_on_free_port, serving, terminate

pytestmark = pytest.mark.slow  # the installed app

CHUNKS = 80
EVENTS_PER_CHUNK = 25  # each a wheel notch, a pan, a divider drag or a key


@pytest.fixture
def display() -> Iterator[tuple[str, Path]]:
    """A virtual X screen: its name and the file its framebuffer is mirrored into."""
    missing = [tool for tool in ("Xvfb", "xdotool") if not shutil.which(tool)]
    if missing:
        pytest.fail(f"{' and '.join(missing)} missing: apt-get install -y xvfb xdotool")
    framebuffer = Path(os.environ.get("TMPDIR", "/tmp")) / f"bgdesk-fb-{os.getpid()}"
    framebuffer.mkdir(exist_ok=True)
    ready, announce = os.pipe()
    server = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(announce),
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
            "-fbdir",
            str(framebuffer),
        ],
        pass_fds=(announce,),
        stderr=subprocess.DEVNULL,
    )
    os.close(announce)
    announced = b""
    while not announced.endswith(b"\n"):  # Xvfb dies if the pipe closes before its newline
        chunk = os.read(ready, 16)
        if not chunk:
            break
        announced += chunk
    os.close(ready)
    number = announced.decode().strip()
    name = f":{number}"
    try:
        # Xvfb names its display once it listens; wait until a client really gets through.
        wait_for(
            lambda: (
                subprocess.run(
                    ["xdotool", "getdisplaygeometry"],
                    env=os.environ | {"DISPLAY": name},
                    capture_output=True,
                    check=False,
                ).returncode
                == 0
            ),
            20,
            f"the X display {name}",
        )
        yield name, framebuffer / "Xvfb_screen0"
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(framebuffer, ignore_errors=True)


def xdotool(env: dict[str, str], *args: object) -> str:
    return subprocess.run(
        ["xdotool", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout


def completed_jobs(home: Path) -> int:
    database = home / "bgdesk.sqlite3"
    if not database.exists():
        return 0
    with sqlite3.connect(database) as connection:
        return int(
            connection.execute("SELECT count(*) FROM job WHERE status = 'completed'").fetchone()[0]
        )


def resident_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS line")


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.2)


def screen(framebuffer: Path) -> str:
    return hashlib.sha256(framebuffer.read_bytes()).hexdigest()


def settled_screen(framebuffer: Path, timeout: float = 60) -> str:
    """The screen once it has stopped changing for a second: what was asked of the window
    (its pictures read, a key's zoom) is drawn."""
    deadline = time.monotonic() + timeout
    last = screen(framebuffer)
    while True:
        time.sleep(1.0)
        now = screen(framebuffer)
        if now == last:
            return now
        assert time.monotonic() < deadline, "the screen never settled"
        last = now


def soak_chunk(rng: random.Random, box: tuple[int, int, int, int]) -> list[object]:
    """One xdotool command line's worth of events inside the preview's box."""
    left, top, right, bottom = box

    def point() -> list[object]:
        return ["mousemove", rng.randrange(left, right), rng.randrange(top, bottom)]

    words: list[object] = []
    for _ in range(EVENTS_PER_CHUNK):
        kind = rng.randrange(5)
        if kind == 0:
            words += [*point(), "click", rng.choice((4, 4, 5))]  # wheel: mostly in
        elif kind in (1, 2):
            button = 3 if kind == 1 else 1  # right-drag pans, left-drag moves the divider
            words += [*point(), "mousedown", button, *point(), *point(), "mouseup", button]
        elif kind == 3:
            words += ["key", rng.choice(("plus", "minus", "Left", "Right", "Up", "Down", "1"))]
        else:
            words += ["key", "b"]
    return words


@pytest.mark.slow
def test_the_installed_window_survives_a_long_session_of_view_events(
    frozen: Path, app_env: dict[str, str], tmp_path: Path, display: tuple[str, Path]
) -> None:
    name, framebuffer = display
    env = app_env | {"DISPLAY": name, "QT_QPA_PLATFORM": "xcb"}
    home = Path(env["BGDESK_HOME"])
    port = serve_on_free_port(home / "settings.json")
    source = tmp_path / "astronaut-12mp.jpg"
    source.write_bytes(photo("astronaut", size=(4000, 3000)))
    with serving([str(frozen), "open", str(source)], env, port) as process:
        wait_for(lambda: completed_jobs(home) == 1, 120, "the cutout")
        window = xdotool(env, "search", "--sync", "--onlyvisible", "--name", "^bgdesk").split()[0]
        xdotool(
            env,
            "windowmove",
            window,
            0,
            0,
            "windowsize",
            window,
            1200,
            760,
            "windowfocus",
            "--sync",
            window,
        )
        geometry = dict(
            line.split("=") for line in xdotool(env, "getwindowgeometry", "--shell", window).split()
        )
        width, height = int(geometry["WIDTH"]), int(geometry["HEIGHT"])
        box = (int(width * 0.45), int(height * 0.25), int(width * 0.95), int(height * 0.85))
        xdotool(env, "mousemove", (box[0] + box[2]) // 2, (box[1] + box[3]) // 2, "click", 1)
        rng = random.Random(5)
        xdotool(env, *soak_chunk(rng, box))  # every path warmed once
        settled_screen(framebuffer)  # the 12 MP pair read and drawn
        memory = resident_mib(process.pid)
        for _ in range(CHUNKS):
            xdotool(env, *soak_chunk(rng, box))
            assert process.poll() is None, process.communicate()
        settled_screen(framebuffer)
        grown = resident_mib(process.pid) - memory
        xdotool(env, "key", "0")
        fitted = settled_screen(framebuffer)
        xdotool(env, "key", "plus", "plus", "plus")
        wait_for(lambda: screen(framebuffer) != fitted, 10, "the zoom keys to show")
        errors = terminate(process)
    print(f"{CHUNKS * EVENTS_PER_CHUNK} input events: memory {grown:+.0f} MiB")
    assert process.returncode == 0, errors
    assert "Fatal" not in errors and "Traceback" not in errors, errors
    assert grown < 200, f"memory grew by {grown:.0f} MiB"
