"""Serving the API with uvicorn: on a socket we bind ourselves, in this thread or another."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import signal
import socket
import threading
import time
from typing import Any

import uvicorn

from bgdesk.api.app import create_app
from bgdesk.api.protocol import BoundedHttp
from bgdesk.core.app import Core
from bgdesk.errors import PortUnavailable

log = logging.getLogger(__name__)
MAX_REQUESTS = 512  # under way at once; connections still sending headers are not counted


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: any free port), or a clear error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only when the
    # socket says so, and without it every keep-alive response stalls on a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise PortUnavailable(
            f"Cannot listen on {host}:{port} ({exc.strerror or exc}). Another program may "
            "be using the port: choose another with --port or the setting api_port."
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def raise_open_file_limit() -> None:
    """Let this process open as many files as the system allows it (the soft limit is often
    1,024, a few hundred slow clients), so connections, not descriptors, are what is capped."""
    try:
        import resource
    except ImportError:  # not on Windows, whose limit is per handle type and high
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65_536
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):  # else the connection cap still holds
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


class AcceptFailures:
    """Says once per burst that connections cannot be taken for want of file descriptors.

    asyncio reports every accept that fails so, with a traceback, and retries them by the
    thousand: 1,100 connections against a limit of 1,024 wrote 42 MB of log in 8 seconds.
    A burst ends when `quiet` seconds pass without a failure. The retries still pending when
    the server closes its socket fail too, each with a traceback (9.7 MB of them once): they
    are dropped. Other reports go on to asyncio's own handler."""

    MESSAGE = "socket.accept() out of system resource"
    quiet = 10.0

    def __init__(self) -> None:
        self._last: float | None = None

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if _retry_after_close(loop, context):
            return
        if context.get("message") != self.MESSAGE:
            loop.default_exception_handler(context)
            return
        now = time.monotonic()
        if self._last is None or now - self._last > self.quiet:
            error = context.get("exception")
            reason = getattr(error, "strerror", None) or str(error)
            log.warning(
                "Cannot take new connections (%s): they wait until others close; the "
                "open-file limit bounds how many clients are served at once",
                reason,
            )
        self._last = now


def _retry_after_close(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> bool:
    """Whether `context` reports an accept retried after the listening socket closed: the
    socket's descriptor is -1 by then, which asyncio refuses with a ValueError."""
    # The retry is a timer for the loop's own `_start_serving`; asyncio names it nowhere
    # public. Another loop, or another asyncio, reports as before.
    retry = getattr(loop, "_start_serving", None)
    callback = getattr(context.get("handle"), "_callback", None)
    return (
        retry is not None and callback == retry and isinstance(context.get("exception"), ValueError)
    )


class BoundedServer(uvicorn.Server):
    """uvicorn's server, its event loop reporting failed accepts once per burst."""

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        asyncio.get_running_loop().set_exception_handler(AcceptFailures())
        await super().serve(sockets)


class ApiServer:
    """One uvicorn server for one core; `start` runs it on a thread, `serve` on this one."""

    def __init__(self, core: Core, host: str, port: int, max_requests: int = MAX_REQUESTS) -> None:
        self.socket = bind(host, port)
        self.host = host
        self.port: int = self.socket.getsockname()[1]
        url_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        url_host = f"[{url_host}]" if ":" in url_host else url_host
        self.url = f"http://{url_host}:{self.port}"
        core.serve_at(self.url)
        raise_open_file_limit()
        config = uvicorn.Config(
            create_app(core),
            http=BoundedHttp,
            limit_concurrency=max_requests,  # beyond it, new requests get a 503
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=5,
        )
        self.server = BoundedServer(config)
        self._thread: threading.Thread | None = None

    def serve(self) -> None:
        """Serve until Ctrl+C or SIGTERM, then return after a graceful shutdown.

        uvicorn re-raises the signal that stopped it once it is done; the handlers set here
        take that re-raise, so the caller can still close the core (finish the job in hand).
        """
        stops = (signal.SIGINT, signal.SIGTERM)
        previous = {number: signal.signal(number, lambda *_: None) for number in stops}
        try:
            self.server.run(sockets=[self.socket])
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.server.run,
            kwargs={"sockets": [self.socket]},
            name="bgdesk-api",
            daemon=True,
        )
        self._thread.start()
        while not self.server.started and self._thread.is_alive():
            self._thread.join(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.socket.close()
