"""A careful attacker's and a clumsy client's requests against the real server: refused
plainly, nothing charged, and no resource held for long."""

from __future__ import annotations

import socket
import stat
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

import httpx
import pytest

from bgdesk.api.protocol import BoundedHttp, requests_under_way
from bgdesk.core.job_records import without_paths
from bgdesk.core.webhooks import PER_HOST
from bgdesk.paths import Paths
from bgdesk.storage.models import Job
from tests.api.conftest import HangingPeer, Served, ServeFactory
from tests.conftest import Receiver, photo

pytestmark = pytest.mark.slow  # a real server on a port

SMALL = photo("astronaut", (64, 64))


def balance(served: Served) -> int:
    return served.core.ledger.balance(served.core.accounts.owner())


def test_a_foreign_host_name_is_refused_and_never_echoed(serve: ServeFactory) -> None:
    served = serve(fake=True)
    port = urlsplit(served.url).port
    with served.client() as client:
        refused = client.post(
            "/api/v1/remove-bg",
            files={"image_file": ("a.jpg", SMALL)},
            headers={"Host": "evil.example"},
        )
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "unknown_host"
        assert balance(served) == 100
        for host in (f"localhost:{port}", f"127.0.0.1:{port}", "127.0.0.2", f"LOCALHOST.:{port}"):
            assert client.get("/api/v1/account", headers={"Host": host}).status_code == 200
        job = client.post(
            "/api/v1/remove-bg",
            files={"image_file": ("a.jpg", SMALL)},
            headers={"Host": "127.0.0.2:1"},
        ).json()["jobId"]
        body = served.wait(client, job)
    assert body["outputUrl"].startswith(served.url + "/outputs/"), "from the configuration"


def test_the_public_url_is_answered_to_and_used(serve: ServeFactory) -> None:
    served = serve(fake=True, public_url="https://cutouts.example/")
    with served.client() as client:
        headers = {"Host": "cutouts.example"}
        job = client.post(
            "/api/v1/remove-bg", files={"image_file": ("a.jpg", SMALL)}, headers=headers
        ).json()["jobId"]
        body = served.wait(client, job)
    assert body["outputUrl"].startswith("https://cutouts.example/outputs/")


def test_two_image_files_in_one_request_are_refused(serve: ServeFactory) -> None:
    served = serve(fake=True)
    with served.client() as client:
        answer = client.post(
            "/api/v1/remove-bg",
            files=[("image_file", ("a.jpg", SMALL)), ("image_file", ("b.jpg", photo("coffee")))],
        )
    assert answer.status_code == 400, answer.text
    assert "image_file came more than once" in answer.json()["error"]["message"]
    assert balance(served) == 100 and Job.select().count() == 0


@pytest.mark.parametrize("address", ["10.1.2.3", "192.168.0.7", "169.254.169.254", "[fd00::1]"])
def test_webhooks_to_private_addresses_are_refused_like_image_urls(
    serve: ServeFactory, address: str
) -> None:
    served = serve(fake=True)
    with served.client() as client:
        answer = client.post(
            "/api/v1/remove-bg",
            files={"image_file": ("a.jpg", SMALL)},
            data={"webhook_url": f"http://{address}/hook"},
        )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "invalid_url"
    assert "allow_private_urls" in answer.json()["error"]["message"]
    assert balance(served) == 100


@pytest.fixture
def quick_header_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BoundedHttp, "header_timeout", 1.0)


def test_connections_that_never_finish_their_headers_are_closed(
    serve: ServeFactory, quick_header_timeout: None
) -> None:
    served = serve(fake=True)
    address = urlsplit(served.url)
    stalled = []
    for _ in range(50):
        connection = socket.create_connection((address.hostname, address.port))
        connection.sendall(b"GET /api/v1/account HTTP/1.1\r\nHost: localhost\r\n")
        stalled.append(connection)
    with served.client() as client:
        assert client.get("/api/v1/account").status_code == 200
    for connection in stalled:
        connection.settimeout(20)
        assert connection.recv(100) == b"", "closed by the server"
        connection.close()


def test_headers_are_bounded_in_size(serve: ServeFactory, caplog: pytest.LogCaptureFixture) -> None:
    served = serve(fake=True)
    with served.client() as client:
        answer = client.get("/api/v1/account", headers={"X-Padding": "a" * 200_000})
        assert answer.status_code == 431
        assert answer.json()["error"]["code"] == "headers_too_large"
        assert client.get("/api/v1/account", headers={"X-Padding": "a" * 8_000}).is_success
    host = urlsplit(served.url)
    with socket.create_connection((host.hostname, host.port)) as connection:
        padding = b"a" * 100_000  # arriving whole, in one read
        connection.sendall(
            b"GET /api/v1/account HTTP/1.1\r\nHost: localhost\r\nX-Padding: "
            + padding
            + b"\r\n\r\n"
        )
        connection.settimeout(30)
        assert connection.recv(100).startswith(b"HTTP/1.1 431")
    assert "Invalid HTTP request" not in caplog.text, "a refusal is not logged as garbage"


def test_requests_beyond_the_cap_get_503_and_idle_connections_do_not_count(
    serve: ServeFactory, home: Paths
) -> None:
    from bgdesk.api.server import ApiServer

    served = serve(fake=True, run_jobs=False)
    capped = ApiServer(served.core, "127.0.0.1", 0, max_requests=5)
    capped.start()
    keyed = {"Authorization": f"Bearer {served.key}"}
    try:
        idle = [socket.create_connection(("127.0.0.1", capped.port)) for _ in range(20)]
        answer = httpx.get(f"{capped.url}/api/v1/account", headers=keyed)
        assert answer.status_code == 200, "connections that sent nothing hold no place"
        job = httpx.post(
            f"{capped.url}/api/v1/remove-bg", files={"image_file": ("a.jpg", SMALL)}, headers=keyed
        ).json()["jobId"]
        with httpx.Client(base_url=capped.url, headers=keyed, timeout=120) as client:
            # No runner: the job stays queued, and each of these waits for it until it is run.
            holders = [
                threading.Thread(target=client.get, args=(f"/api/v1/jobs/{job}?wait=60",))
                for _ in range(5)
            ]
            for holder in holders:
                holder.start()
            deadline = time.monotonic() + 30
            while requests_under_way(capped.server.server_state) < 5:
                assert time.monotonic() < deadline, "the waiting requests never got in"
                time.sleep(0.01)
            answer = httpx.get(f"{capped.url}/api/v1/account", headers=keyed)
            assert answer.status_code == 503
            assert answer.json()["error"]["code"] == "server_busy"
            assert int(answer.headers["Retry-After"]) > 0
            assert served.core.runner.run_until_idle() == 1  # the job ends: the waits too
            for holder in holders:
                holder.join()
        for connection in idle:
            connection.close()
    finally:
        capped.stop()


def test_private_state_is_the_owners_alone(
    serve: ServeFactory, home: Paths, database_url: str
) -> None:
    serve(fake=True)
    assert stat.S_IMODE(home.data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(home.uploads_dir.stat().st_mode) == 0o700
    if not database_url:  # bgdesk's own file (a server's access is the server's)
        assert stat.S_IMODE(home.database.stat().st_mode) == 0o600


def test_error_messages_name_files_not_folders() -> None:
    assert without_paths("Cannot read /srv/bgdesk/uploads/abc.jpg: gone") == (
        "Cannot read abc.jpg: gone"
    )
    assert without_paths(r"Load model from C:\Users\me\models\u2net.onnx failed") == (
        "Load model from u2net.onnx failed"
    )
    assert without_paths("Could not fetch http://example.com/a/b.png") == (
        "Could not fetch http://example.com/a/b.png"
    )


def test_a_hanging_webhook_receiver_holds_up_nobody_else(
    serve: ServeFactory, receiver: Receiver, hanging_peer: HangingPeer
) -> None:
    served = serve(fake=True)
    served.core.webhooks.timeout = 120  # far longer than the healthy delivery may take
    with served.client() as client:
        for _ in range(4):
            client.post(
                "/api/v1/remove-bg",
                files={"image_file": ("a.jpg", SMALL)},
                data={"webhook_url": hanging_peer.url},
            )
        deadline = time.monotonic() + 30
        while hanging_peer.requests < PER_HOST:  # as many tries to it as may be in flight
            assert time.monotonic() < deadline, "the deliveries never reached the receiver"
            time.sleep(0.01)
        client.post(
            "/api/v1/remove-bg",
            files={"image_file": ("a.jpg", SMALL)},
            data={"webhook_url": f"{receiver.url}/hook"},
        )
        assert receiver.arrived.wait(30), "the healthy receiver waited on the hanging ones"


def test_the_open_file_limit_is_raised_to_the_hard_one() -> None:
    script = (
        "import resource; from bgdesk.api.server import raise_open_file_limit; "
        "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE); "
        "resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard)); "
        "raise_open_file_limit(); "
        "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0] > 256)"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "True"
