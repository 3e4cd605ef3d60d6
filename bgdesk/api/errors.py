"""One error shape for every answer that is not a success:

{"error": {"code": "insufficient_credits", "message": "Not enough credits: …"}}
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from bgdesk.errors import BgdeskError, DatabaseUnreachable, TemporarilyUnavailable
from bgdesk.storage.failures import FAILURES, storage_error

log = logging.getLogger(__name__)
HTTP_CODES = {
    401: "invalid_api_key",
    404: "not_found",
    405: "method_not_allowed",
    413: "image_too_large",
}


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """The body of every error answer."""

    error: ErrorDetail


def error_response(
    status: int, code: str, message: str, retry_after: int | None = None
) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


async def refuse(error: BgdeskError, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer `error` from a middleware, before the request's body is read, and hang up:
    the rest of the body is never read."""
    retry = error.retry_after if isinstance(error, TemporarilyUnavailable) else None
    response = error_response(error.status, error.code, error.message, retry)
    response.headers["connection"] = "close"
    await response(scope, receive, send)


async def _bgdesk_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BgdeskError)
    if isinstance(exc, TemporarilyUnavailable):
        if not isinstance(exc, DatabaseUnreachable):  # said once an outage: storage/outages.py
            log.warning("%s on %s: %s", exc.code, request.url.path, exc.message)
        return error_response(exc.status, exc.code, exc.message, exc.retry_after)
    if exc.status >= 500:
        log.error("%s on %s: %s", exc.code, request.url.path, exc.message)
    return error_response(exc.status, exc.code, exc.message)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(part) for part in error.get('loc', ())[1:]) or 'body'}: "
        f"{error.get('msg', 'invalid')}"
        for error in exc.errors()
    )
    return error_response(400, "invalid_request", f"Invalid request: {problems}")


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(
        exc.status_code, "invalid_request" if exc.status_code < 500 else "internal_error"
    )
    return error_response(exc.status_code, code, str(exc.detail))


async def _storage_failure(request: Request, exc: Exception) -> JSONResponse:
    """A disk or database failure met outside the core (authenticating, say): passing
    trouble is a 503 like any other. Handled here, not as an unexpected error, which
    Starlette raises again after answering: uvicorn would log it with a traceback and
    close the connection, so the client's next request on it would get no answer."""
    trouble = storage_error(exc)
    if trouble is not None:
        return await _bgdesk_error(request, trouble)
    log.exception("Unexpected error on %s", request.url.path)
    return error_response(500, "internal_error", "Something went wrong inside bgdesk.")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    return await _storage_failure(request, exc)  # trouble wrapped in another error, or a bug


def install(app: FastAPI) -> None:
    app.add_exception_handler(BgdeskError, _bgdesk_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    for failure in FAILURES:
        app.add_exception_handler(failure, _storage_failure)
    app.add_exception_handler(Exception, _unexpected)
