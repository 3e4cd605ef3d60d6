"""Running out of file descriptors, against a real `bgdesk serve` whose open-file limit is
low: one warning for the burst instead of a traceback per failed accept, and the server
serves again once connections close."""

from __future__ import annotations

import os
import resource
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from bgdesk.paths import Paths
from tests.processes import free_port

pytestmark = pytest.mark.slow  # a server process

LIMIT = 200  # open files the server may have; the test opens twice as many connections


def low_file_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (LIMIT, LIMIT))


@contextmanager
def crowded_server() -> Iterator[tuple[int, list[socket.socket]]]:
    """`bgdesk serve` with a low open-file limit, crowded with twice as many connections as
    it may open until it has said so; its port and the crowd. What the server wrote to
    stderr after that is checked once it has been stopped."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bgdesk", "serve", "--port", str(port)],
        env=os.environ,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=low_file_limit,
    )
    crowd: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            assert time.monotonic() < deadline and server.poll() is None, "did not come up"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/openapi.json").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        for _ in range(2 * LIMIT):
            connection = socket.create_connection(("127.0.0.1", port))
            connection.sendall(b"GET /api/v1/account HTTP/1.1\r\nHost: localhost\r\n")
            crowd.append(connection)
        assert server.stderr is not None
        ready, _, _ = select.select([server.stderr], [], [], 60)  # the server meets its limit
        assert ready, "the server said nothing of its limit"
        said = server.stderr.readline()
        assert "Cannot take new connections (Too many open files)" in said
        yield port, crowd
    finally:
        server.terminate()  # the crowd still there, unless the test let it go
        _, rest = server.communicate(timeout=60)
        for connection in crowd:
            connection.close()
    # Whatever else ran out of files meanwhile may say so once; failed accepts, and their
    # retries still pending when the server stopped, say nothing more.
    assert "socket.accept() out of system resource" not in rest, rest[:2000]
    assert "Cannot take new connections" not in rest, "one line for the burst"
    assert "Exception in callback" not in rest, rest[:2000]
    assert len(rest) < 20_000, f"{len(rest):,} characters: {rest[:2000]}"


def test_running_out_of_descriptors_is_said_once_and_passes(home: Paths) -> None:
    with crowded_server() as (port, crowd):
        for connection in crowd:
            connection.close()
        crowd.clear()
        deadline = time.monotonic() + 60
        while True:  # the connections that waited are taken, then new ones are
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server never served again"
        assert answer.status_code == 200


def test_a_server_stopped_while_out_of_descriptors_stops_quietly(home: Paths) -> None:
    """Stopped in the middle of the burst: the accepts it would have retried end unsaid."""
    with crowded_server():
        pass
