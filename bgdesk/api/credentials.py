"""Who sends a request: a Bearer key (scripts), or the web page's session cookie, whose
changes must carry the session's CSRF token in `X-CSRF-Token` (what another site's page
cannot read, so cannot send)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie

from bgdesk.core.app import Core
from bgdesk.core.keys import bearer_key
from bgdesk.errors import CrossSiteRequest
from bgdesk.storage.models import Account

SESSION_COOKIE = "bgdesk_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Credentials:
    """What a request shows of who sends it."""

    authorization: str | None  # the Authorization header
    session: str | None  # the session cookie's token
    csrf: str | None  # the X-CSRF-Token header
    method: str

    @property
    def any(self) -> bool:
        return bearer_key(self.authorization) is not None or bool(self.session)

    @classmethod
    def of_headers(cls, headers: dict[bytes, bytes], method: str) -> Credentials:
        """From raw ASGI headers (a middleware's view of the request)."""

        def text(name: bytes) -> str | None:
            value = headers.get(name)
            return value.decode("latin-1") if value is not None else None

        session = cookie_session(text(b"cookie"))
        return cls(text(b"authorization"), session, text(b"x-csrf-token"), method)


def cookie_session(header: str | None) -> str | None:
    """The session token in a Cookie header, if one is there."""
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:  # a malformed Cookie header carries no session
        return None
    morsel = jar.get(SESSION_COOKIE)
    return morsel.value if morsel is not None else None


def account_for(core: Core, credentials: Credentials) -> Account:
    """The account behind a request: its Bearer key's, else its session's (a change then
    needs the session's CSRF token); 401 with neither, 403 for a change without the token."""
    if credentials.authorization or not credentials.session:
        return core.keys.authenticate(credentials.authorization)
    session = core.sign_ins.session(credentials.session)
    if credentials.method.upper() not in SAFE_METHODS and not hmac.compare_digest(
        (credentials.csrf or "").encode(), str(session.csrf_token).encode()
    ):
        raise CrossSiteRequest()
    account: Account = session.account
    return account
