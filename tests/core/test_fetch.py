"""image_url fetching: every bound holds, and every failure is a 400-class error."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import trustme

from bgdesk.core import fetch
from bgdesk.core.fetch import FetchLimits, ImageFetcher
from bgdesk.errors import ImageTooLarge, InvalidRequest, InvalidUrl
from tests.conftest import Receiver, photo

OPEN = FetchLimits(max_bytes=5_000_000, timeout=5, max_redirects=2, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/a.jpg",
        "not a url",
        "http://",
        "http://exa mple.com/a.jpg",
        "http://[::1/a.jpg",
    ],
)
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidUrl):
        ImageFetcher(OPEN).fetch(url)


def test_private_addresses_are_refused_by_default(receiver: Receiver) -> None:
    receiver.files["/a.jpg"] = (photo("coffee"), "image/jpeg")
    closed = FetchLimits(max_bytes=5_000_000, timeout=5, max_redirects=2, allow_private=False)
    with pytest.raises(InvalidUrl, match="allow_private_urls"):
        ImageFetcher(closed).fetch(f"{receiver.url}/a.jpg")
    data, name = ImageFetcher(OPEN).fetch(f"{receiver.url}/a.jpg")
    assert data == photo("coffee") and name == "a.jpg"


def test_size_redirects_and_status_are_bounded(receiver: Receiver) -> None:
    receiver.files["/big.jpg"] = (b"\xff" * 6_000_000, "image/jpeg")
    with pytest.raises(ImageTooLarge):
        ImageFetcher(OPEN).fetch(f"{receiver.url}/big.jpg")
    with pytest.raises(InvalidUrl, match="404"):
        ImageFetcher(OPEN).fetch(f"{receiver.url}/missing.jpg")
    receiver.files["/a.jpg"] = (photo("coffee"), "image/jpeg")
    deep = f"{receiver.url}/redirect/redirect/redirect/a.jpg"
    with pytest.raises(InvalidRequest, match="redirected more than 2"):
        ImageFetcher(OPEN).fetch(deep)
    assert ImageFetcher(OPEN).fetch(f"{receiver.url}/redirect/redirect/a.jpg")[1] == "a.jpg"


def resolving(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    """Make `socket.getaddrinfo` answer `answers[name]` in turn for the names given; returns
    the log of names asked for."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: str, port: object, *args: object, **kwargs: object) -> list[Any]:
        if host not in answers:
            return real(host, port, *args, **kwargs)  # type: ignore[arg-type]
        asked.append(host)
        address = answers[host].pop(0) if len(answers[host]) > 1 else answers[host][0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(str(port))))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


CLOSED = FetchLimits(max_bytes=5_000_000, timeout=2, max_redirects=2, allow_private=False)


def test_the_checked_address_is_the_one_fetched_from(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: a name that answers a public address to the check and loopback to
    the fetch must not reach the loopback server."""
    receiver.files["/a.jpg"] = (photo("coffee"), "image/jpeg")
    port = receiver.url.rsplit(":", 1)[1]
    asked = resolving(monkeypatch, {"rebind.test": ["192.0.43.10", "127.0.0.1"]})
    with pytest.raises(InvalidUrl, match="Could not fetch"):
        ImageFetcher(CLOSED).fetch(f"http://rebind.test:{port}/a.jpg")
    assert asked == ["rebind.test"] and receiver.gets == []


def test_a_pinned_fetch_names_the_host_it_asked_for(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver.files["/a.jpg"] = (photo("coffee"), "image/jpeg")
    port = receiver.url.rsplit(":", 1)[1]
    resolving(monkeypatch, {"photos.test": ["127.0.0.1"]})
    monkeypatch.setattr(fetch, "is_public", lambda ip: True)  # as if loopback were public
    data, name = ImageFetcher(CLOSED).fetch(f"http://photos.test:{port}/a.jpg")
    assert data == photo("coffee") and name == "a.jpg"
    assert receiver.gets[0]["Host"] == f"photos.test:{port}"


@pytest.fixture
def tls_photos(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, ssl.SSLContext]]:
    """An HTTPS server for `photos.test` (certificate from a test CA), and a client context
    trusting that CA; the name resolves to it and counts as public."""
    authority = trustme.CA()
    server = ThreadingHTTPServer(("127.0.0.1", 0), TlsPhoto)
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("photos.test").configure_cert(server_side)
    server.socket = server_side.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client_side = ssl.create_default_context()
    authority.configure_trust(client_side)
    resolving(monkeypatch, {"photos.test": ["127.0.0.1"], "wrong.test": ["127.0.0.1"]})
    monkeypatch.setattr(fetch, "is_public", lambda ip: True)
    yield str(server.server_address[1]), client_side
    server.shutdown()
    server.server_close()


class TlsPhoto(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = photo("coffee", (60, 40))
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_https_stays_verified_against_the_name_when_pinned(
    tls_photos: tuple[str, ssl.SSLContext],
) -> None:
    port, trusted = tls_photos
    fetcher = ImageFetcher(CLOSED, verify=trusted)
    data, _ = fetcher.fetch(f"https://photos.test:{port}/a.jpg")
    assert data == photo("coffee", (60, 40))
    with pytest.raises(InvalidUrl, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
        fetcher.fetch(f"https://wrong.test:{port}/a.jpg")  # same server, name not on its cert


@pytest.fixture
def dripping() -> Iterator[str]:
    """A server that answers 200 at once, then sends its body a byte every 0.2 s (for a
    minute): each read succeeds, the whole never arrives in time."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.recv(65536)
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n")
                for _ in range(300):
                    if stop.wait(0.2):
                        break
                    try:
                        connection.sendall(b"x")
                    except OSError:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/slow.jpg"
    stop.set()
    thread.join()
    listener.close()


def test_the_timeout_bounds_the_whole_fetch_not_each_read(dripping: str) -> None:
    limits = FetchLimits(max_bytes=5_000_000, timeout=1, max_redirects=2, allow_private=True)
    started = time.monotonic()
    with pytest.raises(InvalidUrl, match="within 1 s"):
        ImageFetcher(limits).fetch(dripping)
    assert time.monotonic() - started < 10, "the body would have taken a minute"
