"""Uploads let in by their headers: the key is checked before a byte of the body is read, so
a client without one is answered 401 at once and cut off, and an account has at most
`MAX_UPLOADS` requests with a body under way, so one client cannot hold every connection."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from bgdesk.api.credentials import Credentials
from bgdesk.api.errors import refuse
from bgdesk.errors import AuthenticationFailed, BgdeskError, TooManyUploads
from bgdesk.storage.failures import storage_error
from bgdesk.storage.models import Account

MAX_UPLOADS = 8  # an account's requests with a body under way at once
GUARDED = "/api/"
SIGN_IN_PATH = "/api/v1/session"  # POST: a one-time link's token, before any session


class UploadGate:
    """Authenticates every request with a body to the API from its headers alone, and
    counts each account's requests with a body under way against `most`."""

    def __init__(
        self, app: ASGIApp, authenticate: Callable[[Credentials], Account], most: int = MAX_UPLOADS
    ) -> None:
        self.app = app
        self.authenticate = authenticate
        self.most = most
        self._under_way: Counter[int] = Counter()  # by account id; on the event loop only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _upload(scope):
            await self.app(scope, receive, send)
            return
        credentials = Credentials.of_headers(dict(scope.get("headers") or []), scope["method"])
        if not credentials.any:  # no key or session at all: no need to ask the database
            await refuse(AuthenticationFailed(), scope, receive, send)
            return
        try:
            account = await run_in_threadpool(self.authenticate, credentials)
        except Exception as exc:
            error = exc if isinstance(exc, BgdeskError) else storage_error(exc)
            if error is None:
                raise
            await refuse(error, scope, receive, send)
            return
        if self._under_way[account.id] >= self.most:
            await refuse(
                TooManyUploads(
                    f"This account already has {self.most} uploads arriving; send the next "
                    "when one has finished."
                ),
                scope,
                receive,
                send,
            )
            return
        scope.setdefault("state", {})["account"] = account
        self._under_way[account.id] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self._under_way[account.id] -= 1
            if not self._under_way[account.id]:
                del self._under_way[account.id]


def _upload(scope: Scope) -> bool:
    """Whether the request goes to the API with a body (a sign-in's, which brings its own
    proof, aside)."""
    path = str(scope.get("path", ""))
    if not path.startswith(GUARDED) or path == SIGN_IN_PATH:
        return False
    headers = dict(scope.get("headers") or [])
    length = headers.get(b"content-length", b"0")
    return b"transfer-encoding" in headers or not length.isdigit() or int(length) > 0
