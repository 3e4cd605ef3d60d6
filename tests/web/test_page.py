"""The web page of a real `bgdesk serve` with the real model, in a real browser (Debian's
chromium driven by Playwright): sign in with a link from `bgdesk accounts link`, drop three
photos, watch them finish, compare, download real PNGs with alpha, sign out; a spent link
is refused in words; the page runs under a CSP with no inline script."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, expect, sync_playwright

from bgdesk.paths import Paths
from tests.conftest import photo
from tests.processes import serve_on_free_port, serving

pytestmark = pytest.mark.slow  # a real server, model and browser


CHROMIUM = shutil.which("chromium")
WAIT_MS = 120_000


@pytest.fixture
def server(home: Paths, models_dir: Path) -> Iterator[str]:
    """`bgdesk serve` in a process of its own, on a free port; its base URL."""
    port = serve_on_free_port(home.settings_file)
    with serving([sys.executable, "-m", "bgdesk", "serve"], os.environ, port):
        yield f"http://127.0.0.1:{port}"


def sign_in_link(*account: str) -> str:
    made = subprocess.run(
        [sys.executable, "-m", "bgdesk", "accounts", "link", *account],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "once, within 15 minutes" in made.stderr
    return made.stdout.strip()


@pytest.fixture
def browser() -> Iterator[Browser]:
    if CHROMIUM is None:  # as the PostgreSQL tests without its server: said, and CI has it
        pytest.skip("Debian's chromium is missing: apt-get install chromium (.ci/run does)")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def test_sign_in_drop_three_photos_compare_download_and_sign_out(
    server: str, browser: Browser, tmp_path: Path
) -> None:
    link = sign_in_link()
    assert re.fullmatch(rf"{re.escape(server)}/#sign-in=si_[\w-]{{43}}", link), link
    page = browser.new_page()
    problems: list[str] = []  # script errors, CSP refusals (a signed-out 401 is expected)
    page.on(
        "console",
        lambda m: problems.append(m.text) if m.type == "error" and "401" not in m.text else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(link)
    page.wait_for_selector("#remove:not([hidden])", timeout=WAIT_MS)
    expect(page.locator("#who")).to_contain_text("100 credits")
    assert page.url == f"{server}/", "the spent token is taken out of the address"

    photos = []
    for name in ("coffee", "rocket", "astronaut"):
        photos.append(tmp_path / f"{name}.jpg")
        photos[-1].write_bytes(photo(name, (240, 180)))
    page.set_input_files("#photos", [str(p) for p in photos])
    expect(page.locator(".download:not([hidden])")).to_have_count(3, timeout=WAIT_MS)
    expect(page.locator("#who")).to_contain_text("97 credits")
    names = page.eval_on_selector_all(".result .name", "items => items.map(i => i.textContent)")
    assert sorted(names) == ["astronaut.jpg", "coffee.jpg", "rocket.jpg"]
    for href in page.eval_on_selector_all(".download", "links => links.map(a => a.href)"):
        cutout = Image.open(io.BytesIO(httpx.get(href, timeout=60).content))
        assert cutout.format == "PNG" and cutout.mode == "RGBA"
        assert cutout.getchannel("A").getextrema() == (0, 255), "a real cutout"

    first = page.locator(".result").first
    first.locator(".divider").fill("20")
    split = first.locator(".compare").evaluate("node => node.style.getPropertyValue('--split')")
    assert split == "20%", "the divider moves the split"

    page.click("#sign-out")
    page.wait_for_selector("#signed-out:not([hidden])")
    page.reload()
    page.wait_for_selector("#signed-out:not([hidden])")
    assert problems == [], problems

    page.goto(link)  # the same link again: spent
    page.wait_for_selector("#sign-in-error:not(:empty)")
    expect(page.locator("#sign-in-error")).to_contain_text("not valid")


def test_the_page_allows_only_its_own_scripts(server: str) -> None:
    answer = httpx.get(f"{server}/", timeout=60)
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert answer.headers["x-content-type-options"] == "nosniff"
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", answer.text, re.S)
    assert scripts and all(not body.strip() for body in scripts), "no inline script"
    assert (
        httpx.get(f"{server}/web/app.js", timeout=60)
        .headers["content-type"]
        .startswith("text/javascript")
    )
    assert httpx.get(f"{server}/web/../settings.json", timeout=60).status_code == 404
    assert httpx.get(f"{server}/web/nothing.js", timeout=60).status_code == 404
