"""Answer only to the names this server is reached by.

A web page on another site can make a browser talk to 127.0.0.1 by pointing its own name at
it (DNS rebinding); the browser then sends that foreign name as the Host header. Requests
naming a host that is not a loopback name, an IP address, the configured bind address or
the public URL's host are refused before any route sees them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from bgdesk.api.errors import refuse
from bgdesk.errors import UnknownHost

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def host_name(host: str) -> str:
    """The name in a Host header, lower case, without port, brackets or a final dot."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0].rstrip(".") if host.count(":") == 1 else host.rstrip(".")


def names_of(bind_host: str, public_url: str) -> frozenset[str]:
    """The names a server bound to `bind_host` and reached at `public_url` answers to."""
    names = {host_name(bind_host), (urlsplit(public_url).hostname or "").lower()}
    return LOOPBACK_NAMES | {name for name in names if name}


def is_address(name: str) -> bool:
    """An IP address cannot be rebound to another site, so any is fine as a Host."""
    try:
        ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False
    return True


class AllowedHosts:
    """Answers 400 unknown_host to a request whose Host header names another site."""

    def __init__(self, app: ASGIApp, names: Callable[[], frozenset[str]]) -> None:
        self.app = app
        self.names = names

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            host = host_name(headers.get(b"host", b"").decode("latin-1"))
            if host and not is_address(host) and host not in self.names():
                await refuse(_unknown(host), scope, receive, send)
                return
        await self.app(scope, receive, send)


def _unknown(host: str) -> UnknownHost:
    return UnknownHost(
        f"This server does not answer to {host[:100]!r}. Use its address or localhost, or set "
        "the setting public_url to the address clients use."
    )
