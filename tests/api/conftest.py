"""A real uvicorn server on a free port over a real core, and local peers to talk to it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bgdesk.api.server import ApiServer
from bgdesk.bootstrap import build_core
from bgdesk.core.app import Core
from bgdesk.core.secrets import KeyringSecretStore
from bgdesk.paths import Paths
from bgdesk.settings import Settings
from bgdesk.storage.database import BUSY_TIMEOUT
from tests.conftest import FakeEngine


@dataclass
class Served:
    """A running API: its base URL, its core, and a key of the owner's account."""

    url: str
    core: Core
    key: str

    def client(self, key: str | None = None) -> httpx.Client:
        token = self.key if key is None else key
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def wait(self, client: httpx.Client, job_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}").json()
            if body["status"] != "processing":
                return body
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} did not finish")


ServeFactory = Callable[..., Served]


@pytest.fixture
def serve(home: Paths) -> Iterator[ServeFactory]:
    """Start a server; `fake=True` swaps the model for an instant fake engine."""
    started: list[tuple[ApiServer, Core]] = []

    def start(
        fake: bool = False,
        run_jobs: bool = True,
        busy_timeout: float = BUSY_TIMEOUT,
        paths: Paths | None = None,
        **settings: object,
    ) -> Served:
        values = Settings()
        for name, value in settings.items():
            values.set(name, value)
        where = paths or home
        core = (
            Core(where, values, FakeEngine(), KeyringSecretStore(), busy_timeout)
            if fake
            else build_core(where, values)
        )
        core.webhooks.backoff = 0.2
        core.webhooks.poll = 0.1
        server = ApiServer(core, "127.0.0.1", 0)
        server.start()
        if run_jobs:
            core.start()
        started.append((server, core))
        return Served(server.url, core, core.keys.create(core.accounts.owner()).plaintext)

    yield start
    for server, core in started:
        if isinstance(core.engine, FakeEngine):
            core.engine.gate.set()  # a test that failed may have left jobs waiting in it
        server.stop()
        core.close()


def upload_path(core: Core, job_id: str) -> Path:
    return Path(core.jobs.get(job_id).input_path)


@dataclass
class HangingPeer:
    """An HTTP peer that takes every request and never answers; `requests` counts those whose
    headers it has read, each left waiting for its answer from then on."""

    url: str  # path /hook
    requests: int = 0


@pytest.fixture
def hanging_peer() -> Iterator[HangingPeer]:
    listener = socket.create_server(("127.0.0.1", 0))
    peer = HangingPeer(f"http://127.0.0.1:{listener.getsockname()[1]}/hook")
    held: list[socket.socket] = []
    readers: list[threading.Thread] = []
    counting = threading.Lock()
    stop = threading.Event()

    def read_headers(connection: socket.socket) -> None:
        received = b""
        connection.settimeout(0.1)
        while b"\r\n\r\n" not in received:
            if stop.is_set():
                return
            try:
                chunk = connection.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            received += chunk
        with counting:
            peer.requests += 1

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection = listener.accept()[0]
            except TimeoutError:
                continue
            held.append(connection)
            readers.append(threading.Thread(target=read_headers, args=(connection,)))
            readers[-1].start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield peer
    stop.set()
    thread.join()
    for reader in readers:
        reader.join()
    for connection in held:
        connection.close()
    listener.close()


@pytest.fixture
def hanging(hanging_peer: HangingPeer) -> str:
    """The URL of a `HangingPeer`."""
    return hanging_peer.url


@pytest.fixture
def browsers() -> Iterator[Callable[[str], httpx.Client]]:
    """Cookie-keeping clients for a server's URL, closed after the test."""
    with ExitStack() as opened:
        yield lambda url: opened.enter_context(httpx.Client(base_url=url, timeout=60))


def signed_in(browser: httpx.Client, token: str) -> str:
    """Sign `browser` in to the web page's session with `token`; its CSRF token."""
    answer = browser.post("/api/v1/session", json={"token": token})
    assert answer.status_code == 200, answer.text
    csrf: str = answer.json()["csrfToken"]
    return csrf
