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

import httpx
import pytest

from bgdesk.paths import Paths
from tests.processes import free_port

pytestmark = pytest.mark.slow  # a server process

LIMIT = 200  # open files the server may have; the test opens twice as many connections


def low_file_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (LIMIT, LIMIT))


def test_running_out_of_descriptors_is_said_once_and_passes(home: Paths) -> None:
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
    finally:
        for connection in crowd:
            connection.close()
        server.terminate()
        _, rest = server.communicate(timeout=60)
    # Whatever else ran out of files meanwhile may say so once; failed accepts say nothing more.
    assert "socket.accept() out of system resource" not in rest, rest[:2000]
    assert "Cannot take new connections" not in rest, "one line for the burst"
    assert len(rest) < 20_000, rest[:2000]
