"""Running bgdesk as a real process: a free port, waiting for its API, stopping it as a
desktop session would."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
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
    """SIGTERM, as a logout or `kill` sends; returns what the process wrote to stderr."""
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=timeout)
    return errors
