"""Request bodies bounded while they stream in, before anything parses them: in size, and in
pace, so that a body sent a byte at a time cannot hold a connection for ever."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bgdesk.api.errors import refuse
from bgdesk.errors import BgdeskError, BodyTooSlow, ImageTooLarge

MULTIPART_ALLOWANCE = 64 * 1024  # form fields and part headers beside the image
BODY_GRACE = 10.0  # seconds a body may take to get going, as headers may
MIN_BODY_RATE = 16 * 1024  # bytes a second, on average, from then on


class BodyRefused(Exception):
    def __init__(self, error: BgdeskError) -> None:
        super().__init__(error.message)
        self.error = error


class BodyLimit:
    """Answers 400 image_too_large for bodies over `max_bytes` without reading them whole,
    and 408 request_timeout (then hangs up) for one that falls behind `min_rate` bytes a
    second on average once `grace` seconds have passed."""

    min_rate = MIN_BODY_RATE
    grace = BODY_GRACE

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes + MULTIPART_ALLOWANCE

    def too_large(self) -> ImageTooLarge:
        limit_mb = (self.max_bytes - MULTIPART_ALLOWANCE) / 1e6
        return ImageTooLarge(f"The request body is larger than the {limit_mb:.1f} MB limit.")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await refuse(self.too_large(), scope, receive, send)
            return
        body = _MeteredBody(self, scope, receive, send)
        try:
            await self.app(scope, body.receive, body.send)
        except BodyRefused as refused:
            await body.answer(refused.error)


class _MeteredBody:
    """One request's body as the app reads it, counted and timed against `limit`; once it
    is refused, whatever the app answers is replaced by the refusal."""

    def __init__(self, limit: BodyLimit, scope: Scope, receive: Receive, send: Send) -> None:
        self.limit = limit
        self.scope = scope
        self._receive = receive
        self._send = send
        self.loop = asyncio.get_running_loop()
        self.waited = 0.0  # seconds spent waiting for the body to come
        self.seen = 0
        self.whole = False  # the body has all come: later receives only wait for a hang-up
        self.refusal: BgdeskError | None = None
        self.answered = False

    async def receive(self) -> Message:
        if self.whole:
            return await self._receive()
        limit = self.limit
        # The body must come at min_rate once the grace has passed, counting only the
        # time spent waiting for it: a server slow to ask for more is not the client's.
        due = limit.grace + self.seen / limit.min_rate - self.waited
        asked = self.loop.time()
        try:
            message = await asyncio.wait_for(self._receive(), max(due, 0.001))
        except TimeoutError:
            self.refusal = BodyTooSlow(
                f"The request's body arrived too slowly (under {limit.min_rate / 1024:g} "
                f"KiB/s after {limit.grace:g} s); send it again."
            )
            raise BodyRefused(self.refusal) from None
        finally:
            self.waited += self.loop.time() - asked
        if message["type"] == "http.request":
            self.whole = not message.get("more_body", False)
            self.seen += len(message.get("body", b""))
            if self.seen > limit.max_bytes:
                self.refusal = limit.too_large()
                raise BodyRefused(self.refusal)
        return message

    async def send(self, message: Message) -> None:
        if self.refusal is None:
            await self._send(message)
        else:  # whatever the app made of the broken body, say what happened
            await self.answer(self.refusal)

    async def answer(self, error: BgdeskError) -> None:
        """Answer with `error`, once."""
        if not self.answered:
            self.answered = True
            await refuse(error, self.scope, self._receive, self._send)
