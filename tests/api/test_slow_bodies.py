"""Uploads that trickle in, against the real server: a keyless one is answered 401 before
its body, a keyed one that falls behind is cut off, one account cannot hold every upload,
and keyed clients are answered while hundreds of such connections are open."""

from __future__ import annotations

import selectors
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

from bgdesk.api.limits import BodyLimit
from bgdesk.api.uploads import MAX_UPLOADS
from bgdesk.storage.models import Job
from tests.api.conftest import Served, ServeFactory
from tests.conftest import photo

pytestmark = pytest.mark.slow  # a real server on a port

BOUNDARY = "slowly"
PART = (
    f"--{BOUNDARY}\r\n"
    'Content-Disposition: form-data; name="image_file"; filename="a.jpg"\r\n'
    "Content-Type: image/jpeg\r\n\r\n"
).encode()


def upload_head(served: Served, key: str | None, length: int = 5_000_000) -> bytes:
    """The headers of a multipart upload of `length` bytes, and its first part's header."""
    host = urlsplit(served.url).netloc
    lines = [
        "POST /api/v1/remove-bg HTTP/1.1",
        f"Host: {host}",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
        f"Content-Length: {length}",
    ]
    if key is not None:
        lines.append(f"Authorization: Bearer {key}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + PART


@contextmanager
def connections(served: Served, count: int, key: str | None) -> Iterator[list[socket.socket]]:
    """`count` connections, each with an upload's headers and first part header sent and
    the rest of its body held back."""
    address = urlsplit(served.url)
    opened: list[socket.socket] = []
    try:
        for _ in range(count):
            connection = socket.create_connection((address.hostname, address.port))
            connection.sendall(upload_head(served, key))
            opened.append(connection)
        yield opened
    finally:
        for connection in opened:
            connection.close()


def answers(
    opened: list[socket.socket], wanted: int, timeout: float = 60
) -> dict[socket.socket, bytes]:
    """The first bytes the server sent on each of `opened` that it answered, once `wanted`
    of them have answered (or `timeout` passed)."""
    chooser = selectors.DefaultSelector()
    for connection in opened:
        chooser.register(connection, selectors.EVENT_READ)
    received: dict[socket.socket, bytes] = {}
    deadline = time.monotonic() + timeout
    while len(received) < wanted and time.monotonic() < deadline:
        for ready, _ in chooser.select(max(0.0, deadline - time.monotonic())):
            ready_socket = ready.fileobj
            assert isinstance(ready_socket, socket.socket)
            chooser.unregister(ready_socket)
            received[ready_socket] = response(ready_socket)
    chooser.close()
    return received


def response(connection: socket.socket) -> bytes:
    """A whole response (headers and the body they announce) read from `connection`."""
    connection.settimeout(30)
    data = b""
    while b"\r\n\r\n" not in data and (chunk := connection.recv(4096)):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.lower().split(b"\r\n")
            if line.startswith(b"content-length:")
        ),
        0,
    )
    while len(body) < length and (chunk := connection.recv(4096)):
        body += chunk
    return head + b"\r\n\r\n" + body


def closed_by_server(connection: socket.socket) -> bool:
    """Whether the server hung up once it had answered."""
    connection.settimeout(30)
    try:
        while chunk := connection.recv(4096):
            del chunk
    except (ConnectionResetError, TimeoutError):
        return False
    return True


def test_an_upload_without_a_valid_key_is_answered_before_its_body(
    serve: ServeFactory,
) -> None:
    served = serve(fake=True)
    for key in (None, "sk_live_" + "x" * 40):
        with connections(served, 1, key) as (connection,):
            (answer,) = answers([connection], 1).values()
            assert answer.startswith(b"HTTP/1.1 401"), answer
            assert b'"invalid_api_key"' in answer
            assert closed_by_server(connection), "the body is not waited for"
    assert Job.select().count() == 0


@pytest.fixture
def quick_pace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BodyLimit, "grace", 1.0)


def test_a_keyed_upload_that_trickles_is_cut_off_and_costs_nothing(
    serve: ServeFactory, quick_pace: None
) -> None:
    served = serve(fake=True)
    with connections(served, 1, served.key) as (connection,):
        connection.sendall(b"\xff\xd8")  # a byte or two now and then, far under the pace
        (answer,) = answers([connection], 1).values()
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert b'"request_timeout"' in answer and b"too slowly" in answer
        assert closed_by_server(connection)
    assert Job.select().count() == 0
    with served.client() as client:
        assert client.get("/api/v1/account").json()["credits"] == 100


def test_an_upload_slow_but_within_the_pace_is_taken(
    serve: ServeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(BodyLimit, "grace", 1.0)
    monkeypatch.setattr(BodyLimit, "min_rate", 1000.0)  # bytes a second
    served = serve(fake=True)
    end = f"\r\n--{BOUNDARY}--\r\n".encode()
    picture = photo("astronaut", (256, 256))  # about 4 s at this pace, past the grace
    assert len(picture) > 15_000
    body = PART + picture + end
    head = upload_head(served, served.key, len(body))[: -len(PART)]
    address = urlsplit(served.url)
    with socket.create_connection((address.hostname, address.port)) as connection:
        connection.sendall(head)
        for start in range(0, len(body), 500):  # about 5,000 bytes a second
            connection.sendall(body[start : start + 500])
            time.sleep(0.1)
        answer = response(connection)
    assert answer.startswith(b"HTTP/1.1 202"), answer


def test_one_account_cannot_hold_every_upload(serve: ServeFactory) -> None:
    served = serve(fake=True)
    other = served.core.accounts.create("other", credits=5)
    other_key = served.core.keys.create(other).plaintext
    extra = 4
    with connections(served, MAX_UPLOADS + extra, served.key) as opened:
        refused = answers(opened, extra)
        assert len(refused) == extra
        for answer in refused.values():
            assert answer.startswith(b"HTTP/1.1 429"), answer
            assert b'"too_many_uploads"' in answer and b"retry-after: " in answer.lower()
        with served.client(other_key) as client:
            other_upload = client.post("/api/v1/remove-bg", files={"image_file": ("a.jpg", SMALL)})
            assert other_upload.status_code == 202, "another account's upload goes through"
        held = [connection for connection in opened if connection not in refused]
        assert not answers(held, 1, timeout=0.2), "the account's first uploads are still open"


SMALL = photo("astronaut", (64, 64))


def test_keyed_clients_are_answered_while_600_slow_uploads_are_open(
    serve: ServeFactory,
) -> None:
    served = serve(fake=True)
    address = urlsplit(served.url)
    stalled = []
    try:
        for _ in range(600):  # headers begun, never finished: held until the header timeout
            connection = socket.create_connection((address.hostname, address.port))
            connection.sendall(b"POST /api/v1/remove-bg HTTP/1.1\r\nHost: localhost\r\n")
            stalled.append(connection)
        with connections(served, 600, None) as keyless:
            # Refused at once, before their bodies; 503 for those that came while the rest
            # of the crowd was being refused.
            refusals = answers(keyless, len(keyless)).values()
            assert len(refusals) == 600
            assert all(answer.startswith((b"HTTP/1.1 401", b"HTTP/1.1 503")) for answer in refusals)
            assert sum(answer.startswith(b"HTTP/1.1 401") for answer in refusals) >= 88
            with served.client() as client:
                assert client.get("/api/v1/account").status_code == 200
                job = client.post("/api/v1/remove-bg", files={"image_file": ("a.jpg", SMALL)})
                assert job.status_code == 202, job.text
                assert served.wait(client, job.json()["jobId"])["status"] == "completed"
    finally:
        for connection in stalled:
            connection.close()
