"""Running bgdesk as a real process: a free port, waiting for its API, stopping it as a
desktop session would."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_on_free_port(settings_file: Path) -> int:
    """Point a bgdesk home's API at a free port (its settings file); returns the port."""
    port = free_port()
    settings_file.parent.mkdir(parents=True, exist_ok=True)
    settings_file.write_text(json.dumps({"api_port": port}))
    return port


@contextmanager
def serving(
    command: list[str], env: Mapping[str, str], port: int, timeout: float = 90
) -> Iterator[subprocess.Popen[str]]:
    """Start `command` and yield once its API on `port` answers; kill it if still running."""
    process = subprocess.Popen(
        command, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + timeout
        while process.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/openapi.json").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        assert process.poll() is None, f"bgdesk exited early: {process.communicate()}"
        assert time.monotonic() < deadline, "the API did not come up"
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def terminate(process: subprocess.Popen[str], timeout: float = 30) -> str:
    """SIGTERM, as a logout or `kill` sends; returns what the process wrote to stderr. One
    that does not end in time is asked for its threads' stacks, killed, and shown."""
    process.send_signal(signal.SIGTERM)
    try:
        _, errors = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        dump = stacks(process)
        raise AssertionError(f"still running {timeout:g} s after SIGTERM:\n{dump}") from None
    return errors


def stacks(process: subprocess.Popen[str]) -> str:
    """What each thread of stuck bgdesk `process` was doing, and its stderr: SIGABRT, which
    bgdesk answers with its threads' stacks before it ends."""
    process.send_signal(signal.SIGABRT)
    try:
        _, errors = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        _, errors = process.communicate()
    return errors or ""


class Logged:
    """A real bgdesk process writing what it prints to files in `folder`, to wait on what it
    says or does and stop it as a session would; killed at the end of a `with` block if it
    still runs."""

    def __init__(self, command: list[str], folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.out, self.err = folder / "stdout", folder / "stderr"
        with self.out.open("w") as out, self.err.open("w") as err:
            self.process = subprocess.Popen(command, stdout=out, stderr=err, text=True)

    def __enter__(self) -> Logged:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def printed(self) -> str:
        return self.out.read_text()

    def wait_until(self, done: Callable[[], bool], what: str, timeout: float = 120) -> None:
        """Poll `done` until it holds, while the process runs."""
        deadline = time.monotonic() + timeout
        while not done():
            assert self.process.poll() is None, f"ended before {what}: {self.err.read_text()}"
            assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
            time.sleep(0.005)

    def wait_for(self, text: str, timeout: float = 120) -> None:
        """Wait until it has printed `text`."""
        self.wait_until(lambda: text in self.printed(), repr(text), timeout)

    def stop(self, timeout: float = 60) -> tuple[int, str]:
        """SIGTERM, as a logout or `kill` sends: (exit status, what it wrote to stderr)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout), self.err.read_text()
        except subprocess.TimeoutExpired:
            stacks(self.process)
            raise AssertionError(
                f"still running {timeout:g} s after SIGTERM:\n{self.err.read_text()}"
            ) from None
