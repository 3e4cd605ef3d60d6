"""Sustained use of the web page against a real `bgdesk serve` with the real model: a hundred
photos dropped at once all become cutouts (four uploads at a time) and are cleared, then the
views are switched a thousand times, each loading its data from the server. The page's
elements, event listeners and script heap come back to what they were, and the server's
memory stays put."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, CDPSession, Page, expect

from bgdesk.paths import Paths
from tests.conftest import photo
from tests.processes import serve_on_free_port, serving
from tests.web.conftest import WAIT_MS, Watched, sign_in_link

pytestmark = pytest.mark.slow  # a real server, model and browser, and minutes of use

PHOTOS = 100
ROUNDS = 250  # each round opens the four views: 1,000 switches
VIEWS = ("history", "account", "installation", "remove")
MiB = 1 << 20


@pytest.fixture
def server_pid(home: Paths, models_dir: Path) -> Iterator[int]:
    """`bgdesk serve` on a free port (sign-in links name it); its process id."""
    port = serve_on_free_port(home.settings_file)
    with serving([sys.executable, "-m", "bgdesk", "serve"], os.environ, port) as process:
        yield process.pid


def resident(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def page_metrics(cdp: CDPSession) -> dict[str, float]:
    """The page's elements, listeners and heap once its garbage is collected."""
    cdp.send("HeapProfiler.collectGarbage")
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return {m["name"]: m["value"] for m in metrics}


def switch_views(page: Page) -> None:
    for view in VIEWS:
        page.evaluate("view => (location.hash = `#${view}`)", view)
        expect(page.locator(f"body[data-shown={view}]")).to_have_count(1)


def test_a_hundred_photos_and_a_thousand_view_switches_leave_nothing_behind(
    server_pid: int, browser: Browser, tmp_path: Path
) -> None:
    page = browser.new_page()
    watched = Watched(page)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    page.goto(sign_in_link())
    expect(page.locator("#remove")).to_be_visible(timeout=WAIT_MS)
    switch_views(page)
    empty = page_metrics(cdp)

    files = []
    for n in range(PHOTOS):
        path = tmp_path / f"photo-{n:03}.jpg"
        path.write_bytes(photo(("coffee", "rocket", "astronaut")[n % 3], (96 + n, 72)))
        files.append(str(path))
    page.set_input_files("#photos", files)
    expect(page.locator(".download:visible")).to_have_count(PHOTOS, timeout=10 * WAIT_MS)
    expect(page.locator("#batch-count")).to_have_text(f"{PHOTOS} cutouts done of {PHOTOS}")
    expect(page.locator("#who")).to_contain_text(f"{100 - PHOTOS} credits")
    page.click("#clear")
    expect(page.locator(".result")).to_have_count(0)
    cleared = page_metrics(cdp)
    assert cleared["Nodes"] <= empty["Nodes"] + 50, "the hundred cards are gone"

    switch_views(page)  # the views now hold full pages of history and ledger
    before = page_metrics(cdp)
    server_start = resident(server_pid)
    for _ in range(ROUNDS):
        switch_views(page)
    after = page_metrics(cdp)
    grown = resident(server_pid) - server_start

    assert after["Nodes"] <= before["Nodes"] + 50, (before["Nodes"], after["Nodes"])
    assert after["JSEventListeners"] <= before["JSEventListeners"] + 20, (
        before["JSEventListeners"],
        after["JSEventListeners"],
    )
    assert after["JSHeapUsedSize"] - before["JSHeapUsedSize"] < 8 * MiB
    assert grown < 60 * MiB, f"the server grew {grown / MiB:.0f} MiB over {ROUNDS * 4} switches"
    assert watched.problems == [], watched.problems
