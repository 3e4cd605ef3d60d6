"""Webhook tries against real local peers: each try ends within its time as a whole, however
slowly the receiver answers, and a slow receiver holds up no other receiver for longer."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bgdesk.core import webhooks
from bgdesk.core.app import Core
from bgdesk.core.fetch import check_webhook_url
from bgdesk.errors import InvalidUrl
from bgdesk.request.options import OutputOptions
from bgdesk.storage.models import JobSource, WebhookAttempt, WebhookDelivery
from tests.conftest import Receiver, photo
from tests.core.test_fetch import resolving, serving_tls

SMALL = photo("astronaut", (64, 64))
TIMEOUT = 2.0  # a try's whole time, short for the tests
SLACK = 2.0  # beyond it, for a machine whose cores are both busy
DRIP = 0.5  # seconds between two bytes of an answer

HEADERS_FOR_EVER = b"HTTP/1.1 200 OK\r\nX-Drip: "  # then one byte of header at a time
BODY_FOR_EVER = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n"  # then the body


@dataclass
class Connection:
    """One try as a dripping receiver saw it: when it was accepted, when the sender hung up."""

    accepted: float
    closed: float | None = None

    @property
    def span(self) -> float:
        assert self.closed is not None
        return self.closed - self.accepted


class Drippers:
    """Receivers, one per port, that answer every request a byte every DRIP seconds for ever
    after `opening` (sent at once); None: they send nothing at all."""

    def __init__(self, count: int, opening: bytes | None) -> None:
        self.opening = opening
        self.listeners = [socket.create_server(("127.0.0.1", 0)) for _ in range(count)]
        self.urls = [f"http://127.0.0.1:{each.getsockname()[1]}/hook" for each in self.listeners]
        self.connections: list[Connection] = []
        self.changed = threading.Condition()
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self._accept, args=(listener,), daemon=True)
            for listener in self.listeners
        ]
        for thread in self.threads:
            thread.start()

    def wait(self, condition: Callable[[list[Connection]], bool], timeout: float = 30) -> None:
        with self.changed:
            met = self.changed.wait_for(lambda: condition(self.connections), timeout)
        assert met, f"not seen within {timeout} s: {self.connections}"

    def close(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join()
        for listener in self.listeners:
            listener.close()

    def _accept(self, listener: socket.socket) -> None:
        listener.settimeout(0.1)
        while not self.stopping.is_set():
            try:
                connection = listener.accept()[0]
            except TimeoutError:
                continue
            seen = Connection(time.monotonic())
            with self.changed:
                self.connections.append(seen)
                self.changed.notify_all()
            threading.Thread(target=self._drip, args=(connection, seen), daemon=True).start()

    def _drip(self, connection: socket.socket, seen: Connection) -> None:
        with connection:
            hung_up = self._answer_slowly(connection)
        if hung_up:
            with self.changed:
                seen.closed = time.monotonic()
                self.changed.notify_all()

    def _answer_slowly(self, connection: socket.socket) -> bool:
        """Drip the answer until the sender hangs up (True) or the test ends (False)."""
        byte = b"" if self.opening is None else b"a"
        connection.settimeout(DRIP)
        try:
            connection.sendall(self.opening or b"")
            while not self.stopping.is_set():
                try:
                    if not connection.recv(65536):  # the request is read; b"": hung up
                        return True
                except TimeoutError:
                    connection.sendall(byte)
        except OSError:  # hung up with our bytes unread: reset
            return True
        return False


@pytest.fixture
def sender(fake_core: Core) -> webhooks.WebhookSender:
    """The core's webhook sender, with short tries and retries; not started."""
    fake_core.webhooks.timeout = TIMEOUT
    fake_core.webhooks.backoff = 0.2
    fake_core.webhooks.poll = 0.1
    return fake_core.webhooks


@pytest.fixture
def drippers() -> Iterator[Callable[[int, bytes | None], Drippers]]:
    made: list[Drippers] = []

    def make(count: int, opening: bytes | None) -> Drippers:
        made.append(Drippers(count, opening))
        return made[-1]

    yield make
    for each in made:
        each.close()


def owe(core: Core, url: str) -> int:
    """Run a job that owes a webhook to `url`; the delivery's id."""
    job = core.intake.submit_upload(
        core.accounts.owner(), SMALL, "a.jpg", JobSource.API, OutputOptions(), webhook_url=url
    )
    core.runner.run_until_idle()
    delivery: int = WebhookDelivery.get(WebhookDelivery.job == job.id).id
    return delivery


@pytest.mark.slow
@pytest.mark.parametrize("opening", [HEADERS_FOR_EVER, None], ids=["drips headers", "silent"])
def test_a_try_is_cut_off_at_its_deadline_and_retried_like_any_failure(
    fake_core: Core,
    sender: webhooks.WebhookSender,
    drippers: Callable[[int, bytes | None], Drippers],
    monkeypatch: pytest.MonkeyPatch,
    opening: bytes | None,
) -> None:
    monkeypatch.setattr(webhooks, "MAX_ATTEMPTS", 2)
    dripper = drippers(1, opening)
    delivery = owe(fake_core, dripper.urls[0])
    sender.start()
    dripper.wait(lambda seen: sum(c.closed is not None for c in seen) == 2)
    sender.stop()  # lets the second try be recorded
    spans = [c.span for c in dripper.connections]
    assert all(span <= TIMEOUT + SLACK for span in spans), spans
    owed = WebhookDelivery.get_by_id(delivery)
    assert (owed.status, owed.attempts, owed.last_status_code) == ("failed", 2, None)
    tries = list(WebhookAttempt.select().where(WebhookAttempt.delivery == delivery))
    assert [t.error for t in tries] == [f"No answer within {TIMEOUT:g} s"] * 2
    assert all(t.duration_ms <= (TIMEOUT + SLACK) * 1000 for t in tries)


def test_a_receiver_dripping_its_body_has_its_webhook_and_is_let_go(
    fake_core: Core,
    sender: webhooks.WebhookSender,
    drippers: Callable[[int, bytes | None], Drippers],
) -> None:
    dripper = drippers(1, BODY_FOR_EVER)
    delivery = owe(fake_core, dripper.urls[0])
    sender.start()
    dripper.wait(lambda seen: bool(seen) and seen[0].closed is not None)
    sender.stop()
    assert dripper.connections[0].span <= TIMEOUT + SLACK
    owed = WebhookDelivery.get_by_id(delivery)
    assert (owed.status, owed.attempts, owed.last_status_code) == ("delivered", 1, 200)


@pytest.mark.slow
def test_dripping_receivers_hold_up_a_healthy_one_for_one_deadline_at_most(
    fake_core: Core,
    sender: webhooks.WebhookSender,
    drippers: Callable[[int, bytes | None], Drippers],
    receiver: Receiver,
) -> None:
    slow = drippers(webhooks.SENDERS, HEADERS_FOR_EVER)  # as many as tries may be in flight
    for url in slow.urls:
        owe(fake_core, url)
    sender.start()
    slow.wait(lambda seen: len(seen) == webhooks.SENDERS)  # every sender is held
    owe(fake_core, f"{receiver.url}/hook")
    owed_at = time.monotonic()
    assert receiver.arrived.wait(30), "the healthy receiver waited on the dripping ones"
    waited = time.monotonic() - owed_at
    assert waited <= 2 * TIMEOUT + SLACK, f"waited {waited:.1f} s"


def test_a_try_posts_to_the_address_it_checked(
    fake_core: Core,
    sender: webhooks.WebhookSender,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DNS rebinding: a receiver's name that answers an allowed address (loopback, as local
    scripts are allowed) to the try's check and a private one to any later lookup has its
    webhook posted to the address checked, never to the private one."""
    port = receiver.url.rsplit(":", 1)[1]
    url = f"http://hooks.test:{port}/hook"
    answers = {"hooks.test": ["127.0.0.1"]}
    asked = resolving(monkeypatch, answers)
    delivery = owe(fake_core, url)
    answers["hooks.test"] = ["127.0.0.1", "10.0.0.1"]  # the try's check, then any other lookup
    asked.clear()
    assert sender.deliver_due(wait=True) == 1
    assert asked == ["hooks.test"], "looked up by the check only, not again to connect"
    assert [headers["Host"] for headers, _ in receiver.posts] == [f"hooks.test:{port}"]
    assert WebhookDelivery.get_by_id(delivery).status == "delivered"
    with pytest.raises(InvalidUrl, match=r"10\.0\.0\.1"):  # the second answer, were it checked
        check_webhook_url(url, allow_private=False)


def test_a_pinned_https_receiver_is_still_verified_against_its_name(
    fake_core: Core, sender: webhooks.WebhookSender, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving_tls("hooks.test") as (port, trusted):
        resolving(monkeypatch, {"hooks.test": ["127.0.0.1"], "wrong.test": ["127.0.0.1"]})
        sender._tls = trusted  # the test CA instead of the system's
        named = owe(fake_core, f"https://hooks.test:{port}/hook")
        other = owe(fake_core, f"https://wrong.test:{port}/hook")  # not on its certificate
        assert sender.deliver_due(wait=True) == 2
    assert WebhookDelivery.get_by_id(named).status == "delivered"
    refused = WebhookDelivery.get_by_id(other)
    assert (refused.status, refused.attempts) == ("pending", 1)
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.last_error)


def test_a_receiver_on_localhost_is_reached_whichever_address_the_name_gives_first(
    fake_core: Core,
    sender: webhooks.WebhookSender,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`localhost` naming ::1 first (macOS, many Linux hosts files) while the receiver
    listens on 127.0.0.1 only, as local scripts' servers do by default."""
    port = int(receiver.url.rsplit(":", 1)[1])
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: str | bytes, *args: Any, **kwargs: Any) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else host
        if name != "localhost":
            return real(host, *args, **kwargs)
        asked.append(name)
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", port, 0, 0)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    delivery = owe(fake_core, f"http://localhost:{port}/hook")
    assert sender.deliver_due(wait=True) == 1
    assert asked, "the name was looked up through the patched resolver"
    assert WebhookDelivery.get_by_id(delivery).status == "delivered"
    assert [headers["Host"] for headers, _ in receiver.posts] == [f"localhost:{port}"]
