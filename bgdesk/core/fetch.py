"""Fetching an image by URL for a job: bounded in size, time and redirects, and kept off the
owner's private network unless the settings allow it."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit

from bgdesk.errors import ImageTooLarge, InvalidUrl

if TYPE_CHECKING:
    import httpx

REDIRECTS = {301, 302, 303, 307, 308}
USER_AGENT = "bgdesk image fetcher"


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


def check_webhook_url(url: str, allow_private: bool) -> str:
    """`url` if bgdesk may post a webhook to it: loopback receivers (local scripts) always,
    other private and link-local ones only as image_url fetches may reach them."""
    url = check_http_url(url)
    if not allow_private:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        public_address(parts.hostname or "", port, loopback_too=True)
    return url


def pinned(url: str, address: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """`url` sent to `address` itself, so a second DNS answer (a rebinding attack) cannot
    send the request elsewhere: (URL, Host header, request extensions naming the TLS host)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    port = f":{parts.port}" if parts.port else ""
    target = urlunsplit((parts.scheme, literal + port, parts.path or "/", parts.query, ""))
    return target, {"Host": host + port}, {"sni_hostname": host}


class ImageFetcher:
    """Downloads image_url inputs with every bound applied on every hop."""

    def __init__(self, limits: FetchLimits, verify: ssl.SSLContext | bool = True) -> None:
        self.limits = limits
        self.verify = verify  # the system's trusted certificates unless told otherwise

    def fetch(self, url: str) -> tuple[bytes, str]:
        """The body at `url` and a file name for it, or a 400-class error saying why not.
        The timeout bounds the whole fetch, every hop and every byte, not each read."""
        import httpx  # here, not at start-up: only jobs by URL need it (45 ms of every start)

        url = check_http_url(url)
        deadline = time.monotonic() + self.limits.timeout
        with httpx.Client(
            follow_redirects=False, headers={"User-Agent": USER_AGENT}, verify=self.verify
        ) as client:
            for _ in range(self.limits.max_redirects + 1):
                parts = urlsplit(url)
                target, headers, extensions = self._route(url)
                try:
                    with client.stream(
                        "GET",
                        target,
                        headers=headers,
                        extensions=extensions,
                        timeout=self._timeout(deadline),
                    ) as response:
                        if response.status_code in REDIRECTS and "location" in response.headers:
                            url = check_http_url(urljoin(url, response.headers["location"]))
                            continue
                        if response.status_code != 200:
                            raise InvalidUrl(f"The image URL answered HTTP {response.status_code}.")
                        name = PurePosixPath(parts.path).name or "image"
                        return self._read(response, deadline), name
                except httpx.TimeoutException:
                    raise self._too_slow() from None
                except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
                    raise InvalidUrl(f"Could not fetch the image URL: {exc}") from None
        raise InvalidUrl(f"The image URL redirected more than {self.limits.max_redirects} times.")

    def check(self, url: str) -> str:
        """`url` if it may be fetched: an http(s) URL whose host is not on a private network
        (unless allowed). Fetching checks again, on every hop."""
        url = check_http_url(url)
        self._route(url)
        return url

    def _timeout(self, deadline: float) -> httpx.Timeout:
        """What is left of the fetch's time; a read may wait a quarter of the whole at most,
        so the deadline, checked between reads, is overshot by no more than that."""
        import httpx

        left = self._left(deadline)
        return httpx.Timeout(left, read=min(left, max(1.0, self.limits.timeout / 4)))

    def _left(self, deadline: float) -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise self._too_slow()
        return left

    def _too_slow(self) -> InvalidUrl:
        return InvalidUrl(
            f"The image URL did not deliver the image within {self.limits.timeout:g} s "
            "(setting url_fetch_timeout)."
        )

    def _route(self, url: str) -> tuple[str, dict[str, str], dict[str, str]]:
        """Where to send the GET for `url`: as it is, or to its checked public address."""
        if self.limits.allow_private:
            return url, {}, {}
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return pinned(url, public_address(parts.hostname or "", port))

    def _read(self, response: httpx.Response, deadline: float) -> bytes:
        limit = self.limits.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise ImageTooLarge(
                f"The image at the URL is {int(declared) / 1e6:.1f} MB; "
                f"the limit is {limit / 1e6:.1f} MB."
            )
        body = bytearray()
        for chunk in response.iter_bytes():
            self._left(deadline)
            body += chunk
            if len(body) > limit:
                raise ImageTooLarge(f"The image at the URL is larger than {limit / 1e6:.1f} MB.")
        return bytes(body)
