"""The web page's sessions over HTTP: sign in with a one-time link's token, see who is signed
in, sign out (credentials.py says how every route tells who is asking).

The cookie is HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it)
and Secure when the server's public address is https; it lasts as long as the session.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated

from fastapi import APIRouter, Body, Request, Response

from bgdesk.api.credentials import CSRF_HEADER, SESSION_COOKIE, Credentials, account_for
from bgdesk.api.deps import CoreDep, database_threads
from bgdesk.api.schemas import SessionInfo
from bgdesk.core.app import Core
from bgdesk.core.sign_in import SESSION_LIFETIME
from bgdesk.errors import AccountSuspended, NotSignedIn
from bgdesk.storage.models import Account, WebSession

sessions = APIRouter(prefix="/api/v1", tags=["session"])


def _info(core: Core, session: WebSession) -> SessionInfo:
    account: Account = session.account
    return SessionInfo(
        account=account.name,
        owner=bool(account.is_owner),
        credits=core.ledger.balance(account),
        csrfToken=str(session.csrf_token),
    )


def _end_if_live(core: Core, token: str) -> None:
    with suppress(NotSignedIn, AccountSuspended):
        core.sign_ins.end(core.sign_ins.session(token))


def _secure(core: Core) -> bool:
    return core.public_url.startswith("https://")


@sessions.post("/session", response_model=SessionInfo, responses={401: {}, 403: {}, 429: {}})
async def sign_in(
    request: Request,
    response: Response,
    core: CoreDep,
    token: Annotated[str, Body(embed=True, max_length=200)],
) -> SessionInfo:
    """Sign in with a one-time link's token; the session comes back as an HttpOnly cookie,
    and the CSRF token its changes must carry in the body. A session this browser had is
    ended: the cookie is replaced."""
    address = request.client.host if request.client else "unknown"
    opened = await database_threads(core).run(core.sign_ins.redeem, token, address)
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        await database_threads(core).run(_end_if_live, core, previous)
    response.set_cookie(
        SESSION_COOKIE,
        opened.token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        secure=_secure(core),
        httponly=True,
        samesite="strict",
    )
    return await database_threads(core).run(_info, core, opened.session)


@sessions.get("/session", response_model=SessionInfo, responses={401: {}, 403: {}})
async def who(request: Request, core: CoreDep) -> SessionInfo:
    """Who is signed in on this browser, their credits, and the CSRF token for changes."""
    session = await database_threads(core).run(
        core.sign_ins.session, request.cookies.get(SESSION_COOKIE)
    )
    return await database_threads(core).run(_info, core, session)


@sessions.delete("/session", status_code=204, responses={401: {}, 403: {}})
async def sign_out(request: Request, core: CoreDep) -> Response:
    """Sign this browser out (the CSRF token in `X-CSRF-Token`)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise NotSignedIn()
    credentials = Credentials(None, token, request.headers.get(CSRF_HEADER), request.method)
    await database_threads(core).run(account_for, core, credentials)
    session = await database_threads(core).run(core.sign_ins.session, token)
    await database_threads(core).run(core.sign_ins.end, session)
    ended = Response(status_code=204)
    ended.delete_cookie(
        SESSION_COOKIE, path="/", secure=_secure(core), httponly=True, samesite="strict"
    )
    return ended
