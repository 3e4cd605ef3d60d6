"""`create_app(core)`: the FastAPI application over one core."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from bgdesk import __version__
from bgdesk.api import docs, errors
from bgdesk.api.accounts import accounts
from bgdesk.api.credentials import account_for
from bgdesk.api.hosts import AllowedHosts, names_of
from bgdesk.api.limits import BodyLimit
from bgdesk.api.page import page
from bgdesk.api.routes import api, downloads
from bgdesk.api.sessions import sessions
from bgdesk.api.uploads import UploadGate
from bgdesk.core.app import Core

DESCRIPTION = """
Remove image backgrounds on this computer. Every `/api/v1` call carries
`Authorization: Bearer sk_live_…` (make a key with `bgdesk keys create`).

Submit with `POST /api/v1/remove-bg`, poll `GET /api/v1/jobs/{jobId}` until it is
`completed`, then download `outputUrl` (no header needed). Each accepted submission costs
one credit; failed jobs are refunded.

Webhooks: with `webhook_url`, the server POSTs `{"jobId", "status", "outputUrl" |
"errorMessage", "completedAt"}` when the job ends, retrying with backoff while the receiver
is down. The header `X-Bgdesk-Signature: sha256=<hex>` is the HMAC-SHA256 of the raw body
keyed with the account's webhook secret.

Errors all have the shape `{"error": {"code": "...", "message": "..."}}`.
"""


def create_app(core: Core) -> FastAPI:
    """The API for `core`; the caller starts and closes the core."""
    app = FastAPI(
        title="bgdesk", version=__version__, description=DESCRIPTION, docs_url=None, redoc_url=None
    )
    app.state.core = core
    errors.install(app)
    docs.install(app)
    app.include_router(api)
    app.include_router(sessions)
    app.include_router(accounts)
    app.include_router(downloads)
    app.include_router(page)
    app.add_middleware(BodyLimit, max_bytes=core.settings.input_limits.max_bytes)
    app.add_middleware(UploadGate, authenticate=partial(account_for, core))
    app.add_middleware(
        AllowedHosts, names=lambda: names_of(core.settings.api_host, core.public_url)
    )
    return app
