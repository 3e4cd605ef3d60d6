"""Dependencies of the routes: the core, and the account behind the Bearer key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bgdesk.core.app import Core
from bgdesk.storage.models import Account

bearer = HTTPBearer(auto_error=False, description="An API key: `sk_live_…`")


def get_core(request: Request) -> Core:
    core: Core = request.app.state.core
    return core


CoreDep = Annotated[Core, Depends(get_core)]


def current_account(
    request: Request,
    core: CoreDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Account:
    """The account the Bearer key names; for an upload, the one the upload gate let in."""
    admitted: Account | None = getattr(request.state, "account", None)
    if admitted is not None:
        return admitted
    header = f"{credentials.scheme} {credentials.credentials}" if credentials else None
    return core.keys.authenticate(header)


AccountDep = Annotated[Account, Depends(current_account)]
