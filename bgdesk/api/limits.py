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

    def _too_large(self) -> ImageTooLarge:
        limit_mb = (self.max_bytes - MULTIPART_ALLOWANCE) / 1e6
        return ImageTooLarge(f"The request body is larger than the {limit_mb:.1f} MB limit.")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await refuse(self._too_large(), scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        waited = 0.0  # seconds spent waiting for the body to come
        seen = 0
        whole = False  # the body has all come: later receives only wait for a hang-up
        refusal: BgdeskError | None = None
        answered = False

        async def limited_receive() -> Message:
            nonlocal seen, waited, whole, refusal
            if whole:
                return await receive()
            # The body must come at min_rate once the grace has passed, counting only the
            # time spent waiting for it: a server slow to ask for more is not the client's.
            due = self.grace + seen / self.min_rate - waited
            asked = loop.time()
            try:
                message = await asyncio.wait_for(receive(), max(due, 0.001))
            except TimeoutError:
                refusal = BodyTooSlow(
                    f"The request's body arrived too slowly (under {self.min_rate / 1024:g} "
                    f"KiB/s after {self.grace:g} s); send it again."
                )
                raise BodyRefused(refusal) from None
            finally:
                waited += loop.time() - asked
            if message["type"] == "http.request":
                whole = not message.get("more_body", False)
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    refusal = self._too_large()
                    raise BodyRefused(refusal)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal answered
            if refusal is None:
                await send(message)
            elif not answered:  # whatever the app made of the broken body, say what happened
                answered = True
                await refuse(refusal, scope, receive, send)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyRefused as refused:
            if not answered:
                await refuse(refused.error, scope, receive, send)
