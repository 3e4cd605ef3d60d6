"""uvicorn's HTTP protocol with the bounds it lacks: a request's headers must arrive whole,
soon and small, so connections that never finish a request cannot pile up, and a request
beyond the cap on requests under way is refused in the API's own error shape."""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from bgdesk.api.errors import error_answer
from bgdesk.errors import BgdeskError, HeadersTooLarge, ServerBusy

HEADER_TIMEOUT = 10.0  # seconds from a connection (or the previous answer) to whole headers
MAX_HEADER_BYTES = 64 * 1024


def requests_under_way(state: ServerState) -> int:
    """How many requests the server is answering now: the number its cap is held against."""
    return len(state.tasks)


class BoundedHttp(HttpToolsProtocol):
    """Closes a connection whose request headers are not whole within `header_timeout`
    seconds, answers 431 to headers longer than `max_header_bytes`, and 503 server_busy to
    a request that comes while the config's `limit_concurrency` requests are under way.

    Connections still sending their headers do not count against that cap (the header
    timeout ends them), so a crowd of them cannot lock out the clients that do send."""

    header_timeout = HEADER_TIMEOUT
    max_header_bytes = MAX_HEADER_BYTES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_requests = self.limit_concurrency
        self.limit_concurrency = None  # uvicorn's own refusal is plain text: ours instead

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._refused = False  # answered here and hung up: the rest of what came is ignored
        self._header_timer: asyncio.TimerHandle | None = None
        self._await_headers()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._header_timer is not None and not self.transport.is_closing():
            # Still no whole headers after this data: all of it was header bytes.
            self._header_bytes += len(data)
            if self._header_bytes > self.max_header_bytes:
                self._stop_waiting()
                self._refuse(self._too_long())

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._refused:
            super().on_message_complete()

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._parsed_bytes += len(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._parsed_bytes += len(name) + len(value) + 4  # ": " and the line's end

    def on_headers_complete(self) -> None:
        self._stop_waiting()
        if self._parsed_bytes > self.max_header_bytes:  # they came in one read
            self._refuse(self._too_long())
            return
        if (
            self.max_requests is not None
            and requests_under_way(self.server_state) >= self.max_requests
        ):
            self._refuse(ServerBusy())
            return
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._await_headers()  # the next request on this connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    def _too_long(self) -> HeadersTooLarge:
        return HeadersTooLarge(
            f"The request's headers are longer than {self.max_header_bytes} bytes."
        )

    def _await_headers(self) -> None:
        self._stop_waiting()
        self._header_bytes = 0  # read while the headers were not whole
        self._parsed_bytes = 0  # of the headers the parser has made out
        self._header_timer = self.loop.call_later(self.header_timeout, self._too_slow)

    def _stop_waiting(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if self.cycle is None or self.cycle.response_complete:
            self.transport.close()

    def _refuse(self, error: BgdeskError) -> None:
        """Answer `error` in the API's one error shape, and hang up."""
        self._refused = True
        answer = error_answer(error, hang_up=True)
        lines = [f"HTTP/1.1 {answer.status} {HTTPStatus(answer.status).phrase}"]
        lines += [f"{name}: {value}" for name, value in answer.headers.items()]
        head = "\r\n".join(lines) + "\r\n\r\n"
        self.transport.write(head.encode("latin-1") + answer.body)
        self.transport.close()
