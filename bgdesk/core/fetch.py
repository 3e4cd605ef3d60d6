"""Fetching an image by URL for a job: bounded in size, time and redirects, and kept off the
owner's private network unless the settings allow it."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit

import httpx

from bgdesk.errors import ImageTooLarge, InvalidUrl

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


def _refuse_private(host: str, port: int) -> None:
    """Refuse hosts that resolve to loopback, private, link-local or otherwise local space."""
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, port)}
    except (OSError, UnicodeError) as exc:
        raise InvalidUrl(f"Cannot resolve {host}: {exc}") from None
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global or ip.is_multicast:
            raise InvalidUrl(
                f"{host} is a private, loopback or link-local address ({ip}); fetching "
                "from it is off (setting allow_private_urls)."
            )


class ImageFetcher:
    """Downloads image_url inputs with every bound applied on every hop."""

    def __init__(self, limits: FetchLimits) -> None:
        self.limits = limits

    def fetch(self, url: str) -> tuple[bytes, str]:
        """The body at `url` and a file name for it, or a 400-class error saying why not."""
        url = check_http_url(url)
        with httpx.Client(timeout=self.limits.timeout, follow_redirects=False,
                          headers={"User-Agent": USER_AGENT}) as client:
            for _ in range(self.limits.max_redirects + 1):
                parts = urlsplit(url)
                if not self.limits.allow_private:
                    _refuse_private(parts.hostname or "",
                                    parts.port or (443 if parts.scheme == "https" else 80))
                try:
                    with client.stream("GET", url) as response:
                        if response.status_code in REDIRECTS and "location" in response.headers:
                            url = check_http_url(urljoin(url, response.headers["location"]))
                            continue
                        if response.status_code != 200:
                            raise InvalidUrl(f"The image URL answered HTTP "
                                             f"{response.status_code}.")
                        return self._read(response), PurePosixPath(parts.path).name or "image"
                except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
                    raise InvalidUrl(f"Could not fetch the image URL: {exc}") from None
        raise InvalidUrl(f"The image URL redirected more than {self.limits.max_redirects} "
                         "times.")

    def _read(self, response: httpx.Response) -> bytes:
        limit = self.limits.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise ImageTooLarge(f"The image at the URL is {int(declared) / 1e6:.1f} MB; "
                                f"the limit is {limit / 1e6:.1f} MB.")
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > limit:
                raise ImageTooLarge(f"The image at the URL is larger than {limit / 1e6:.1f} MB.")
        return bytes(body)
