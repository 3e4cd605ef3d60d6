"""Fetching an image by URL for a job: bounded in size, time and redirects, and kept off the
owner's private network unless the settings allow it. The same address policy, with the
address pinned, and the same whole-try deadline serve webhook posts (`webhook_route`,
`run_within`)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urljoin, urlsplit, urlunsplit

from bgdesk.errors import ImageTooLarge, InvalidUrl

if TYPE_CHECKING:
    import httpx

REDIRECTS = {301, 302, 303, 307, 308}
USER_AGENT = "bgdesk image fetcher"
T = TypeVar("T")
Route = tuple[str, dict[str, str], dict[str, str]]  # URL, extra headers, request extensions


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int
    timeout: float
    max_redirects: int
    allow_private: bool


def check_http_url(url: str) -> str:
    """`url` if it is an absolute http(s) URL with a host, else InvalidUrl."""
    try:
        parts = urlsplit(url.strip())
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        valid = False
    if not valid:
        raise InvalidUrl(f"Not an http(s) URL: {url[:200]!r}.")
    return url.strip()


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not ip.is_multicast


def public_address(host: str, port: int, loopback_too: bool = False) -> str:
    """The address to connect to for `host`, refused if any of its addresses is loopback
    (unless `loopback_too`), private, link-local or otherwise local."""
    try:
        addresses = [
            str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        ]
    except (OSError, UnicodeError) as exc:
        raise InvalidUrl(f"Cannot resolve {host}: {exc}") from None
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not (is_public(ip) or (loopback_too and ip.is_loopback)):
            raise InvalidUrl(
                f"{host} is a private, {'' if loopback_too else 'loopback '}or link-local "
                f"address ({ip}); reaching it is off (setting allow_private_urls)."
            )
    return addresses[0]


def route(url: str, allow_private: bool, loopback_too: bool = False) -> Route:
    """Where to send a request for the http(s) `url`: as it is when private addresses are
    allowed, else to the address its host resolves to now, refused unless public (see
    `public_address`) and pinned (see `pinned`)."""
    if allow_private:
        return url, {}, {}
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or ""
    address = public_address(host, port, loopback_too)
    if loopback_too and host.lower().rstrip(".") == "localhost":
        # The machine itself, by a name no DNS answer can change: left to the client, which
        # tries each address in turn, as a receiver on 127.0.0.1 needs where `localhost`
        # names ::1 first.
        return url, {}, {}
    return pinned(url, address)


def webhook_route(url: str, allow_private: bool) -> Route:
    """Where to post a webhook for `url`, if bgdesk may: loopback receivers (local scripts)
    always, other private and link-local ones only as image_url fetches may reach them."""
    return route(check_http_url(url), allow_private, loopback_too=True)


def check_webhook_url(url: str, allow_private: bool) -> str:
    """`url` if bgdesk may post a webhook to it (see `webhook_route`)."""
    webhook_route(url, allow_private)
    return check_http_url(url)


def pinned(url: str, address: str) -> Route:
    """`url` sent to `address` itself, so a second DNS answer (a rebinding attack) cannot
    send the request elsewhere; the Host header and the TLS host (its certificate checked
    against it) stay the URL's host."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    named = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets
    port = f":{parts.port}" if parts.port else ""
    target = urlunsplit((parts.scheme, literal + port, parts.path or "/", parts.query, ""))
    return target, {"Host": named + port}, {"sni_hostname": host}


def run_within(seconds: float, work: Coroutine[Any, Any, T]) -> T:
    """`work` run to its end on an event loop of its own, or TimeoutError once `seconds`
    have passed, wherever it is then (a name lookup, a connect, a status line dripping in):
    the deadline cancels it, which closes its connections. A name lookup still running in
    a worker thread is left to finish on its own, not waited for."""

    async def bounded() -> T:
        async with asyncio.timeout(seconds):
            return await work

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(bounded())
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())  # body iterators left mid-way
        loop.close()


class ImageFetcher:
    """Downloads image_url inputs with every bound applied on every hop."""

    def __init__(self, limits: FetchLimits, verify: ssl.SSLContext | bool = True) -> None:
        self.limits = limits
        self.verify = verify  # the system's trusted certificates unless told otherwise

    def configure(self, limits: FetchLimits) -> None:
        """Take in changed limits; fetches under way keep the ones they started with."""
        self.limits = limits

    def fetch(self, url: str) -> tuple[bytes, str]:
        """The body at `url` and a file name for it, or a 400-class error saying why not.
        The timeout bounds the whole fetch, every name lookup, connect, hop and byte,
        whatever the server does (see `run_within`), not each read."""
        url = check_http_url(url)
        try:
            return run_within(self.limits.timeout, self._fetch(url))
        except TimeoutError:
            raise InvalidUrl(
                f"The image URL did not deliver the image within {self.limits.timeout:g} s "
                "(setting url_fetch_timeout)."
            ) from None

    def check(self, url: str) -> str:
        """`url` if it may be fetched: an http(s) URL whose host is not on a private network
        (unless allowed). Fetching checks again, on every hop."""
        url = check_http_url(url)
        route(url, self.limits.allow_private)
        return url

    async def _fetch(self, url: str) -> tuple[bytes, str]:
        import httpx  # here, not at start-up: only jobs by URL need it (45 ms of every start)

        async with httpx.AsyncClient(
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
            verify=self.verify,
            timeout=None,  # the deadline of the whole fetch is run_within's
        ) as client:
            for _ in range(self.limits.max_redirects + 1):
                target, headers, extensions = await asyncio.to_thread(
                    route, url, self.limits.allow_private
                )
                try:
                    async with client.stream(
                        "GET", target, headers=headers, extensions=extensions
                    ) as response:
                        if response.status_code in REDIRECTS and "location" in response.headers:
                            url = check_http_url(urljoin(url, response.headers["location"]))
                            continue
                        if response.status_code != 200:
                            raise InvalidUrl(f"The image URL answered HTTP {response.status_code}.")
                        name = PurePosixPath(urlsplit(url).path).name or "image"
                        return await self._read(response), name
                except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
                    raise InvalidUrl(f"Could not fetch the image URL: {exc}") from None
        raise InvalidUrl(f"The image URL redirected more than {self.limits.max_redirects} times.")

    async def _read(self, response: httpx.Response) -> bytes:
        limit = self.limits.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise ImageTooLarge(
                f"The image at the URL is {int(declared) / 1e6:.1f} MB; "
                f"the limit is {limit / 1e6:.1f} MB."
            )
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > limit:
                raise ImageTooLarge(f"The image at the URL is larger than {limit / 1e6:.1f} MB.")
        return bytes(body)
