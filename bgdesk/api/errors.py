"""One error shape for every answer that is not a success:

{"error": {"code": "insufficient_credits", "message": "Not enough credits: …"}}

`error_answer` makes that answer from an error of the tree in bgdesk/errors.py; the exception
handlers here, the middlewares that answer before a route is called (`refuse`) and the HTTP
protocol (protocol.py) all send what it makes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from bgdesk.errors import (
    AuthenticationFailed,
    BgdeskError,
    DatabaseUnreachable,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    TemporarilyUnavailable,
)
from bgdesk.storage.failures import FAILURES, storage_error

log = logging.getLogger(__name__)
# Starlette's own refusals (no such route, a method the route does not take, a form it
# cannot parse) as errors of the tree; any other status is an invalid request or a bug.
HTTP_ERRORS: dict[int, type[BgdeskError]] = {
    400: InvalidRequest,
    401: AuthenticationFailed,
    404: NotFound,
    405: MethodNotAllowed,
}


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """The body of every error answer."""

    error: ErrorDetail


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of a route that answers these statuses with an error body."""
    return {code: {"model": ErrorBody} for code in codes}


@dataclass(frozen=True)
class ErrorAnswer:
    """An error as it goes on the wire: its status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers as ASGI sends them."""
        return [(name.encode(), value.encode("latin-1")) for name, value in self.headers.items()]


def error_answer(error: BgdeskError, hang_up: bool = False) -> ErrorAnswer:
    """The answer to `error`; with `hang_up`, it tells the client the connection closes."""
    detail = ErrorDetail(code=error.code, message=error.message)
    body = ErrorBody(error=detail).model_dump_json().encode()
    headers = {"content-type": "application/json", "content-length": str(len(body))}
    if isinstance(error, AuthenticationFailed):
        headers["www-authenticate"] = "Bearer"
    if isinstance(error, TemporarilyUnavailable):
        headers["retry-after"] = str(error.retry_after)
    if hang_up:
        headers["connection"] = "close"
    return ErrorAnswer(error.status, headers, body)


def error_response(error: BgdeskError, headers: Mapping[str, str] | None = None) -> Response:
    """`error`'s answer, for an exception handler, with the framework's `headers` (a 405's
    Allow) beside its own."""
    answer = error_answer(error)
    return Response(answer.body, answer.status, {**(headers or {}), **answer.headers})


async def refuse(error: BgdeskError, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer `error` from a middleware, before the request's body is read, and hang up:
    the rest of the body is never read."""
    answer = error_answer(error, hang_up=True)
    await send(
        {"type": "http.response.start", "status": answer.status, "headers": answer.raw_headers}
    )
    await send({"type": "http.response.body", "body": answer.body})


async def _bgdesk_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BgdeskError)
    if isinstance(exc, TemporarilyUnavailable):
        if not isinstance(exc, DatabaseUnreachable):  # said once an outage: storage/outages.py
            log.warning("%s on %s: %s", exc.code, request.url.path, exc.message)
    elif exc.status >= 500:
        log.error("%s on %s: %s", exc.code, request.url.path, exc.message)
    return error_response(exc)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(part) for part in error.get('loc', ())[1:]) or 'body'}: "
        f"{error.get('msg', 'invalid')}"
        for error in exc.errors()
    )
    return error_response(InvalidRequest(f"Invalid request: {problems}"))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    fallback = InvalidRequest if exc.status_code < 500 else BgdeskError
    error = HTTP_ERRORS.get(exc.status_code, fallback)(str(exc.detail))
    return error_response(error, exc.headers)


async def _storage_failure(request: Request, exc: Exception) -> Response:
    """A disk or database failure met outside the core (authenticating, say): passing
    trouble is a 503 like any other. Handled here, not as an unexpected error, which
    Starlette raises again after answering: uvicorn would log it with a traceback and
    close the connection, so the client's next request on it would get no answer."""
    trouble = storage_error(exc)
    if trouble is not None:
        return await _bgdesk_error(request, trouble)
    log.exception("Unexpected error on %s", request.url.path)
    return error_response(BgdeskError())


async def _unexpected(request: Request, exc: Exception) -> Response:
    return await _storage_failure(request, exc)  # trouble wrapped in another error, or a bug


def install(app: FastAPI) -> None:
    app.add_exception_handler(BgdeskError, _bgdesk_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    for failure in FAILURES:
        app.add_exception_handler(failure, _storage_failure)
    app.add_exception_handler(Exception, _unexpected)
