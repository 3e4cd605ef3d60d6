"""image_url fetching: every bound holds, and every failure is a 400-class error."""

from __future__ import annotations

import pytest

from bgdesk.core.fetch import FetchLimits, ImageFetcher
from bgdesk.errors import ImageTooLarge, InvalidRequest, InvalidUrl
from tests.conftest import Receiver, photo

OPEN = FetchLimits(max_bytes=5_000_000, timeout=5, max_redirects=2, allow_private=True)


@pytest.mark.parametrize("url", ["ftp://example.com/a.jpg", "not a url", "http://",
                                 "http://exa mple.com/a.jpg", "http://[::1/a.jpg"])
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidUrl):
        ImageFetcher(OPEN).fetch(url)


def test_private_addresses_are_refused_by_default(receiver: Receiver) -> None:
    receiver.files["/a.jpg"] = (photo("coffee"), "image/jpeg")
    closed = FetchLimits(max_bytes=5_000_000, timeout=5, max_redirects=2, allow_private=False)
    with pytest.raises(InvalidUrl, match="allow_private_urls"):
        ImageFetcher(closed).fetch(f"{receiver.url}/a.jpg")
    data, name = ImageFetcher(OPEN).fetch(f"{receiver.url}/a.jpg")
    assert data == photo("coffee") and name == "a.jpg"


def test_size_redirects_and_status_are_bounded(receiver: Receiver) -> None:
    receiver.files["/big.jpg"] = (b"\xff" * 6_000_000, "image/jpeg")
    with pytest.raises(ImageTooLarge):
        ImageFetcher(OPEN).fetch(f"{receiver.url}/big.jpg")
    with pytest.raises(InvalidUrl, match="404"):
        ImageFetcher(OPEN).fetch(f"{receiver.url}/missing.jpg")
    receiver.files["/a.jpg"] = (photo("coffee"), "image/jpeg")
    deep = f"{receiver.url}/redirect/redirect/redirect/a.jpg"
    with pytest.raises(InvalidRequest, match="redirected more than 2"):
        ImageFetcher(OPEN).fetch(deep)
    assert ImageFetcher(OPEN).fetch(f"{receiver.url}/redirect/redirect/a.jpg")[1] == "a.jpg"
