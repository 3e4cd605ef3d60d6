"""Every error answer has one shape, made in one place: the exception handlers, the
middlewares that answer before a route, and the HTTP protocol all send `error_answer`'s."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bgdesk.api.app import create_app
from bgdesk.api.errors import error_answer
from bgdesk.api.hosts import AllowedHosts
from bgdesk.api.limits import BodyLimit
from bgdesk.core.app import Core
from bgdesk.errors import (
    AuthenticationFailed,
    ImageTooLarge,
    MethodNotAllowed,
    NotFound,
    ServerBusy,
    UnknownHost,
)
from tests.api.test_in_process import InProcess


@pytest.fixture
def client(fake_core: Core) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=InProcess(create_app(fake_core)), base_url="http://localhost"
    ) as session:
        yield session


async def never_called(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("the request was let through")


def answer_of(app: ASGIApp, headers: dict[bytes, bytes]) -> tuple[int, dict[str, str], bytes]:
    """What `app` sends for a POST with `headers` and no body: status, headers, body."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    async def call() -> None:
        scope = {"type": "http", "method": "POST", "path": "/api/v1/remove-bg"}
        await app(scope | {"headers": list(headers.items())}, receive, send)

    asyncio.run(call())
    start, body = sent
    names = {name.decode(): value.decode() for name, value in start["headers"]}
    return start["status"], names, body["body"]


def test_an_answer_carries_the_error_class_code_and_message() -> None:
    answer = error_answer(ImageTooLarge("The image is 80 MB; the limit is 50 MB."))
    assert answer.status == 400
    assert json.loads(answer.body) == {
        "error": {"code": ImageTooLarge.code, "message": "The image is 80 MB; the limit is 50 MB."}
    }
    assert answer.headers["content-length"] == str(len(answer.body))
    assert "retry-after" not in answer.headers and "connection" not in answer.headers


def test_passing_trouble_says_when_to_retry_and_a_missing_key_how_to_authenticate() -> None:
    busy = error_answer(ServerBusy(), hang_up=True)
    assert busy.headers["retry-after"] == str(ServerBusy.retry_after)
    assert busy.headers["connection"] == "close"
    assert error_answer(AuthenticationFailed()).headers["www-authenticate"] == "Bearer"


def test_routing_refusals_use_the_error_tree(client: httpx.Client) -> None:
    for answer, error in (
        (client.get("/api/v1/remove-bg"), MethodNotAllowed),
        (client.get("/no/such/page"), NotFound),
        (client.get("/api/v1/account"), AuthenticationFailed),
    ):
        assert answer.status_code == error.status
        assert answer.json()["error"]["code"] == error.code
    assert answer.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/remove-bg").headers["allow"] == "POST", "what the address takes"


def test_middlewares_answer_before_the_body_in_the_same_shape_and_hang_up() -> None:
    too_large = BodyLimit(never_called, max_bytes=10)
    status, headers, body = answer_of(too_large, {b"content-length": b"999999999"})
    assert status == ImageTooLarge.status and headers["connection"] == "close"
    assert json.loads(body)["error"]["code"] == ImageTooLarge.code

    hosts = AllowedHosts(never_called, names=lambda: frozenset({"localhost"}))
    status, headers, body = answer_of(hosts, {b"host": b"evil.example"})
    assert status == UnknownHost.status and headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["code"] == UnknownHost.code
