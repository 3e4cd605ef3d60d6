"""Dependencies of the routes: the core, and the account behind the Bearer key."""

from __future__ import annotations

from typing import Annotated

from anyio.lowlevel import RunVar
from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from peewee import Database

from bgdesk.api.credentials import CSRF_HEADER, SESSION_COOKIE, Credentials, account_for
from bgdesk.core.app import Core
from bgdesk.storage.models import Account
from bgdesk.storage.threads import DatabaseThreads

bearer = HTTPBearer(auto_error=False, description="An API key: `sk_live_…`")


async def get_core(request: Request) -> Core:
    core: Core = request.app.state.core
    return core


CoreDep = Annotated[Core, Depends(get_core)]


async def current_account(
    request: Request,
    core: CoreDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Account:
    """The account the Bearer key names, or the web page's session (see sessions.py); for an
    upload, the one the upload gate let in."""
    admitted: Account | None = getattr(request.state, "account", None)
    if admitted is not None:
        return admitted
    header = f"{credentials.scheme} {credentials.credentials}" if credentials else None
    shown = Credentials(
        header or request.headers.get("authorization"),
        request.cookies.get(SESSION_COOKIE),
        request.headers.get(CSRF_HEADER),
        request.method,
    )
    return await database_threads(core).run(account_for, core, shown)


AccountDep = Annotated[Account, Depends(current_account)]
PageLimit = Annotated[int, Query(ge=1, le=200, description="Rows in the page.")]
PageOffset = Annotated[int, Query(ge=0, le=10_000_000, description="Rows before the page.")]

_threads: RunVar[dict[Database, DatabaseThreads]] = RunVar("bgdesk_database_threads")


def database_threads(core: Core) -> DatabaseThreads:
    """The threads on which this event loop's requests do their own database work, made at
    the first (uvicorn serves an app on one loop; anyio keeps its thread pool per loop)."""
    try:
        per_database = _threads.get()
    except LookupError:
        per_database = {}
        _threads.set(per_database)
    if core.db not in per_database:
        per_database[core.db] = DatabaseThreads(core.db)
    return per_database[core.db]
