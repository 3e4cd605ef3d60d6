"""Start-up to "API ready": the installed frozen app, the source tree, and `rembg s`.

    python bench/startup.py [PATH/TO/FROZEN/bgdesk]   # default: build/deb-root/usr/bin/bgdesk

Each server is started BENCH_ROUNDS times (5), each time with a fresh home (a first start:
database created, model opened) and, for the cold runs, with its files evicted from the page
cache first (posix_fadvise DONTNEED on every file of the app, or of the virtualenv), as after
a reboot. Ready means GET /openapi.json answers 200. Prints the median seconds and the ratios.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import REMBG_VENV, ensure_rembg_venv, model_file

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
PORT = 17890


def evict(folder: Path) -> None:
    """Drop `folder`'s files from the page cache, so the next start reads them from disk."""
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            try:
                descriptor = os.open(path, os.O_RDONLY)
            except OSError:
                continue
            try:
                os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(descriptor)


def time_to_ready(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited with {process.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{PORT}/openapi.json").status_code == 200:
                    return time.perf_counter() - start
            except httpx.TransportError:
                time.sleep(0.01)
    finally:
        process.terminate()
        process.wait()


def measure(
    name: str, files: Path, start: Callable[[Path], tuple[list[str], dict[str, str]]], cold: bool
) -> float:
    times = []
    for _ in range(ROUNDS):
        with tempfile.TemporaryDirectory() as scratch:
            command, env = start(Path(scratch))
            if cold:
                evict(files)
            times.append(time_to_ready(command, env))
    median = statistics.median(times)
    print(f"  {name:<28} {median:6.2f} s   {[round(t, 2) for t in times]}", flush=True)
    return median


def main() -> None:
    frozen = Path(
        sys.argv[1] if len(sys.argv) > 1 else ROOT / "build" / "deb-root" / "usr" / "bin" / "bgdesk"
    ).resolve()
    if not frozen.is_file():
        sys.exit(f"{frozen} is missing: run `python3 tasks.py package --check` first.")
    rembg = ensure_rembg_venv()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BGDESK_")}

    def bgdesk(executable: list[str]) -> Callable[[Path], tuple[list[str], dict[str, str]]]:
        def start(home: Path) -> tuple[list[str], dict[str, str]]:
            env = clean | {"BGDESK_HOME": str(home)}
            if executable[0] != str(frozen):  # the source tree uses the developer's models
                env["BGDESK_MODELS_DIR"] = str(model_file().parent)
            return [*executable, "serve", "--port", str(PORT)], env

        return start

    def rembg_s(home: Path) -> tuple[list[str], dict[str, str]]:
        (home / "u2netp.onnx").symlink_to(model_file())
        return (
            [
                str(rembg),
                "s",
                "--host",
                "127.0.0.1",
                "--port",
                str(PORT),
                "--no-ui",
                "--log_level",
                "warning",
            ],
            clean | {"U2NET_HOME": str(home)},
        )

    servers = [
        ("bgdesk, installed (frozen)", frozen.parent, bgdesk([str(frozen)])),
        (
            "bgdesk, source tree",
            ROOT / ".venv",
            bgdesk([str(ROOT / ".venv" / "bin" / "python"), "-m", "bgdesk"]),
        ),
        ("rembg s", REMBG_VENV, rembg_s),
    ]
    results: dict[tuple[str, bool], float] = {}
    for cold in (True, False):
        print(f"{'cold' if cold else 'warm'} start to API ready, median of {ROUNDS}:")
        for name, files, start in servers:
            results[name, cold] = measure(name, files, start, cold)
    for cold in (True, False):
        frozen_s = results[servers[0][0], cold]
        print(
            f"{'cold' if cold else 'warm'}: frozen / rembg s "
            f"{frozen_s / results['rembg s', cold]:.2f}, frozen / source "
            f"{frozen_s / results[servers[1][0], cold]:.2f}"
        )


if __name__ == "__main__":
    main()
