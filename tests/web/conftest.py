"""A real `bgdesk serve` with the real model in a process of its own, a real browser
(Debian's chromium driven by Playwright; nothing downloaded), sign-in links as the CLI makes
them, and where the tests' screenshots go (`BGDESK_SHOTS=docs` retakes those in docs/)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from bgdesk.paths import Paths
from tests.processes import serve_on_free_port, serving

CHROMIUM = shutil.which("chromium")
WAIT_MS = 120_000  # what a cutout or a server's start may take on a busy machine
EXPECT_MS = 30_000  # what any change on the page may take to show there (Playwright's is 5 s)


@pytest.fixture
def server(home: Paths, models_dir: Path) -> Iterator[str]:
    """`bgdesk serve` in a process of its own, on a free port; its base URL."""
    port = serve_on_free_port(home.settings_file)
    with serving([sys.executable, "-m", "bgdesk", "serve"], os.environ, port):
        yield f"http://127.0.0.1:{port}"


def bgdesk(*arguments: str) -> str:
    """What `bgdesk ARGUMENTS` prints, run as the server's owner runs it."""
    made = subprocess.run(
        [sys.executable, "-m", "bgdesk", *arguments], capture_output=True, text=True, check=True
    )
    return made.stdout.strip()


def sign_in_link(*account: str) -> str:
    return bgdesk("accounts", "link", *account)


@pytest.fixture
def browser() -> Iterator[Browser]:
    if CHROMIUM is None:  # as the PostgreSQL tests without its server: said, and CI has it
        pytest.skip("Debian's chromium is missing: apt-get install chromium (.ci/run does)")
    expect.set_options(timeout=EXPECT_MS)
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """The folder the tests' screenshots go to."""
    folder = Path(os.environ.get("BGDESK_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Watched:
    """A page whose script errors and refused loads are collected (a signed-out page's 401
    and the 402 a test provokes are expected), and whose confirmations are accepted."""

    def __init__(self, page: Page, expected: tuple[str, ...] = ("401",)) -> None:
        self.page = page
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(str(error)))
        page.on("dialog", lambda dialog: dialog.accept())
        self.expected = expected

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not any(code in message.text for code in self.expected):
            self.problems.append(message.text)


def open_signed_in(
    browser: Browser, link: str, expected: tuple[str, ...] = ("401",), **context: Any
) -> tuple[Page, Watched]:
    """A page of a new browser context (`context` its options) signed in with `link`, and
    its watch; close it with `page.context.close()`."""
    page = browser.new_context(**context).new_page()
    watched = Watched(page, expected)
    page.goto(link)
    expect(page.locator("#remove")).to_be_visible(timeout=WAIT_MS)
    return page, watched
