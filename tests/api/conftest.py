"""A real uvicorn server on a free port over a real core, and local peers to talk to it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from bgdesk.api.server import ApiServer
from bgdesk.bootstrap import build_core
from bgdesk.core.app import Core
from bgdesk.core.secrets import KeyringSecretStore
from bgdesk.paths import Paths
from bgdesk.settings import Settings
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

    def wait(self, client: httpx.Client, job_id: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = client.get(f"/api/v1/jobs/{job_id}").json()
            if body["status"] != "processing":
                return body
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} did not finish")


ServeFactory = Callable[..., Served]


@pytest.fixture
def serve(home: Paths) -> Iterator[ServeFactory]:
    """Start a server; `fake=True` swaps the model for an instant fake engine."""
    started: list[tuple[ApiServer, Core]] = []

    def start(fake: bool = False, run_jobs: bool = True, **settings: object) -> Served:
        values = Settings()
        for name, value in settings.items():
            values.set(name, value)
        core = (Core(home, values, FakeEngine(), KeyringSecretStore()) if fake
                else build_core(home, values))
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
        server.stop()
        core.close()


@dataclass
class Receiver:
    """A local HTTP peer: serves `files` on GET, records POSTs, can fail the first ones."""

    url: str
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    posts: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    fail_first: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/redirect"):
                self.send_response(302)
                self.send_header("Location", "/" + self.path.split("/", 2)[2])
                self.end_headers()
                return
            body, kind = state.files.get(self.path, (b"missing", "text/plain"))
            self.send_response(200 if self.path in state.files else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.posts.append((dict(self.headers), body))
            failing = len(state.posts) <= state.fail_first
            self.send_response(503 if failing else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            if not failing:
                state.arrived.set()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


def upload_path(core: Core, job_id: str) -> Path:
    return Path(core.jobs.get(job_id).input_path)
