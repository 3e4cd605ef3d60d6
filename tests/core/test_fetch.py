"""image_url fetching: every bound holds, and every failure is a 400-class error."""

from __future__ import annotations

import itertools
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import trustme

from bgdesk.core import fetch
from bgdesk.core.fetch import FetchLimits, ImageFetcher
from bgdesk.errors import ImageTooLarge, InvalidRequest, InvalidUrl
from tests.conftest import Receiver, photo

OPEN = FetchLimits(max_bytes=5_000_000, timeout=5, max_redirects=2, allow_private=True)
TIMEOUT = 2.0  # a fetch's whole time, short for the tests
SLACK = 6.0  # beyond it, for a machine whose cores are both busy: without a bound it is for ever
DRIP = 0.3  # seconds between two bytes of a dripping answer
STATUS_FOR_EVER = b"HTTP/1.1 200 OK\r\nX-Drip: "  # dripped from its first byte, then "a"s
BODY_FOR_EVER = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n"  # then "a"s


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

    def getaddrinfo(host: str | bytes, port: object, *args: object, **kwargs: object) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else host  # httpx's lookups: bytes
        if name not in answers:
            return real(host, port, *args, **kwargs)  # type: ignore[arg-type]
        asked.append(name)
        address = answers[name].pop(0) if len(answers[name]) > 1 else answers[name][0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(str(port))))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


CLOSED = FetchLimits(max_bytes=5_000_000, timeout=TIMEOUT, max_redirects=2, allow_private=False)


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


@contextmanager
def serving_tls(name: str) -> Iterator[tuple[str, ssl.SSLContext]]:
    """An HTTPS server on loopback with a certificate for `name` from a test CA (its port),
    and a client context trusting that CA."""
    authority = trustme.CA()
    server = ThreadingHTTPServer(("127.0.0.1", 0), TlsPeer)
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(name).configure_cert(server_side)
    server.socket = server_side.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    client_side = ssl.create_default_context()
    authority.configure_trust(client_side)
    try:
        yield str(server.server_address[1]), client_side
    finally:
        server.shutdown()
        server.server_close()


class TlsPeer(BaseHTTPRequestHandler):
    """Answers GET with a photo and takes any POST (a webhook)."""

    def do_GET(self) -> None:
        body = photo("coffee", (60, 40))
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tls_photos(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, ssl.SSLContext]]:
    """An HTTPS server for `photos.test`, and a client context trusting it; the name
    resolves to it and counts as public."""
    with serving_tls("photos.test") as (port, trusted):
        resolving(monkeypatch, {"photos.test": ["127.0.0.1"], "wrong.test": ["127.0.0.1"]})
        monkeypatch.setattr(fetch, "is_public", lambda ip: True)
        yield port, trusted


def test_https_stays_verified_against_the_name_when_pinned(
    tls_photos: tuple[str, ssl.SSLContext],
) -> None:
    port, trusted = tls_photos
    fetcher = ImageFetcher(CLOSED, verify=trusted)
    data, _ = fetcher.fetch(f"https://photos.test:{port}/a.jpg")
    assert data == photo("coffee", (60, 40))
    with pytest.raises(InvalidUrl, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
        fetcher.fetch(f"https://wrong.test:{port}/a.jpg")  # same server, name not on its cert


class Dripper:
    """A local HTTP peer answering each connection a byte every DRIP seconds for ever:
    `at_once` (sent at once), then `dripped`, then "a"s. It notes when it accepted each
    connection and when the client hung up."""

    def __init__(self, at_once: bytes = b"", dripped: bytes = b"") -> None:
        self.answer = (at_once, dripped)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/a.jpg"
        self.times: list[list[float]] = []  # per connection: accepted[, hung up]
        self.changed = threading.Condition()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> Dripper:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join()
        self.listener.close()

    def spans(self, count: int = 1, timeout: float = 30) -> list[float]:
        """Accept to hang-up, in seconds, of each connection, once `count` are over."""
        with self.changed:
            over = self.changed.wait_for(
                lambda: sum(len(each) == 2 for each in self.times) >= count, timeout
            )
            assert over, f"{count} connection(s) not hung up within {timeout} s: {self.times}"
            return [each[1] - each[0] for each in self.times if len(each) == 2]

    def _accept(self) -> None:
        self.listener.settimeout(0.1)
        while not self.stopping.is_set():
            try:
                connection = self.listener.accept()[0]
            except TimeoutError:
                continue
            times = [time.monotonic()]
            with self.changed:
                self.times.append(times)
                self.changed.notify_all()
            threading.Thread(target=self._drip, args=(connection, times), daemon=True).start()

    def _drip(self, connection: socket.socket, times: list[float]) -> None:
        with connection:
            hung_up = self._answer_slowly(connection)
        if hung_up:
            with self.changed:
                times.append(time.monotonic())
                self.changed.notify_all()

    def _answer_slowly(self, connection: socket.socket) -> bool:
        """Drip the answer until the client hangs up (True) or the test ends (False)."""
        at_once, dripped = self.answer
        rest = itertools.chain(dripped, itertools.repeat(ord("a")))
        connection.settimeout(DRIP)
        try:
            connection.sendall(at_once)
            while not self.stopping.is_set():
                try:
                    if not connection.recv(65536):  # the request is read; b"": hung up
                        return True
                except TimeoutError:
                    connection.sendall(bytes([next(rest)]))
        except OSError:  # hung up with our bytes unread: reset
            return True
        return False


@pytest.mark.slow
@pytest.mark.parametrize(
    ("at_once", "dripped"),
    [(b"", STATUS_FOR_EVER), (BODY_FOR_EVER, b"")],
    ids=["drips status line and headers", "drips body"],
)
def test_the_timeout_bounds_the_whole_fetch_not_each_read(at_once: bytes, dripped: bytes) -> None:
    """Each read gets a byte in time; the whole never arrives, and the fetch ends at its
    deadline, connection closed, wherever in the answer the server is."""
    limits = FetchLimits(max_bytes=5_000_000, timeout=TIMEOUT, max_redirects=2, allow_private=True)
    with Dripper(at_once, dripped) as dripper:
        with pytest.raises(InvalidUrl, match=f"within {TIMEOUT:g} s"):
            ImageFetcher(limits).fetch(dripper.url)
        spans = dripper.spans()
    assert len(spans) == 1 and spans[0] <= TIMEOUT + SLACK, spans


@pytest.mark.slow
def test_the_timeout_bounds_name_lookups_too(monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo
    asked, release = threading.Event(), threading.Event()

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        if host != "slow.test":
            return real(host, *args, **kwargs)
        asked.set()
        release.wait(60)
        raise socket.gaierror("the name server gave up")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    started = time.monotonic()
    try:
        with pytest.raises(InvalidUrl, match=f"within {TIMEOUT:g} s"):
            ImageFetcher(CLOSED).fetch("http://slow.test/a.jpg")
        took = time.monotonic() - started
    finally:
        release.set()  # the lookup left behind ends now
    assert asked.is_set() and took <= TIMEOUT + SLACK, took
