"""Account → Open in Browser: the window's person, the owner, reaches the web page of the
window's own API signed in, through a fresh one-time link that only the browser gets; with
no browser the link is offered to copy, never shown; with the API off the action is off
and says why."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import httpx
import pytest
from PySide6.QtCore import QUrl, qInstallMessageHandler, qWarning
from PySide6.QtGui import QDesktopServices, QGuiApplication
from pytestqt.qtbot import QtBot

from bgdesk.bootstrap import build_core
from bgdesk.gui.main_window import MainWindow
from bgdesk.gui.menus import Command
from bgdesk.gui.settings_dialog import SettingsDialog
from bgdesk.paths import Paths
from bgdesk.settings import Settings
from bgdesk.storage.models import SignInLink
from tests.gui.conftest import WAIT, answer_with, opened, record_opening
from tests.gui.test_soak import resident_mib

pytestmark = pytest.mark.slow  # the real window with its API on a port

LINK = re.compile(r"(http://127\.0\.0\.1:(\d+))/#sign-in=(si_[A-Za-z0-9_-]+)")


def sign_in(url: str, token: str) -> httpx.Response:
    """What the web page does with the token in its address."""
    return httpx.post(f"{url}/api/v1/session", json={"token": token}, timeout=60)


def test_open_in_browser_signs_the_owner_in_to_the_web_page_once(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = record_opening(monkeypatch)
    action = window.menu_actions[Command.OPEN_IN_BROWSER]
    assert action.isEnabled() and action.statusTip() == Command.OPEN_IN_BROWSER.value.tip

    action.trigger()
    assert len(asked) == 1, "the browser was asked to open the page"
    link = LINK.fullmatch(asked[0].toString(QUrl.ComponentFormattingOption.FullyEncoded))
    assert link is not None, asked[0].toString()
    url, port, token = link[1], int(link[2]), link[3]
    assert port == window.core.settings.api_port and url == window.api.status.url
    assert token not in window.statusBar().currentMessage()

    first = sign_in(url, token)
    assert first.status_code == 200, first.text
    assert first.json()["owner"] is True
    assert first.json()["account"] == window.core.accounts.owner().name
    assert first.cookies.get("bgdesk_session")
    assert sign_in(url, token).status_code == 401, "the link works once"

    action.trigger()
    assert len(asked) == 2 and token not in asked[1].toString(), "a fresh link each time"


def test_with_no_browser_the_link_is_offered_to_copy_and_shown_nowhere(
    qtbot: QtBot,
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[QUrl] = []

    def no_browser(url: QUrl) -> bool:  # as Qt does: a warning naming the whole URL
        asked.append(url)
        qWarning(f"Unable to detect a web browser to launch '{url.toString()}'")
        return False

    monkeypatch.setattr(QDesktopServices, "openUrl", no_browser)
    warned: list[str] = []
    before = qInstallMessageHandler(lambda kind, context, message: warned.append(message))
    try:
        window.menu_actions[Command.OPEN_IN_BROWSER].trigger()
    finally:
        qInstallMessageHandler(before)
    assert len(asked) == 1
    link = asked[0].toString()
    token = link.rsplit("=", 1)[1]
    assert token.startswith("si_")

    assert any("Unable to detect a web browser" in message for message in warned), warned
    assert not any(token in message for message in warned), "Qt's warning has it cut"

    notice = window.notices.current
    assert notice is not None and "No web browser could be opened" in notice.text()
    assert token not in notice.text() + notice.informativeText() + notice.detailedText()
    answer_with(window, "Copy Link")
    assert QGuiApplication.clipboard().text() == link
    assert window.statusBar().currentMessage() == "Copied the link"
    qtbot.waitUntil(lambda: not notice.isVisible(), timeout=WAIT)
    assert sign_in(window.api_url, token).status_code == 200, "the copied link signs in"


@pytest.fixture(params=["turned off", "port in use"])
def api_off(request: pytest.FixtureRequest, qtbot: QtBot, home: Paths) -> Iterator[MainWindow]:
    """The window with its API not running, for either reason the toolbar gives."""
    if request.param == "turned off":
        yield from opened(qtbot, build_core(home, Settings(api_enabled=False)))
        return
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        yield from opened(qtbot, build_core(home, Settings(api_port=port)))


def test_with_the_api_off_the_action_is_off_and_says_why(
    api_off: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = api_off
    asked = record_opening(monkeypatch)
    cause = window.api.status.cause
    assert window.api_state.text() == f"API off — {cause}"
    action = window.menu_actions[Command.OPEN_IN_BROWSER]
    assert not action.isEnabled()
    assert action.statusTip() == f"Needs the API, which is off — {cause}"

    window.open_in_browser()  # what a trigger would do, were the action on
    assert asked == [], "nothing opened"
    assert "The web page is served by the API, which is off" in (
        window.statusBar().currentMessage()
    )
    assert SignInLink.select().count() == 0, "no link made"


def test_the_action_follows_the_api_switch_in_settings(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    def switch(on: bool) -> None:
        def answer(dialog: SettingsDialog) -> int:
            dialog.editors["api_enabled"].set_value(on)
            dialog.save()
            return dialog.result()

        monkeypatch.setattr(SettingsDialog, "exec", answer)
        window.open_settings()

    action = window.menu_actions[Command.OPEN_IN_BROWSER]
    switch(False)
    assert not action.isEnabled()
    assert action.statusTip() == "Needs the API, which is off — turned off"
    switch(True)
    assert action.isEnabled() and action.statusTip() == Command.OPEN_IN_BROWSER.value.tip


def test_opening_the_page_thousands_of_times_mints_a_fresh_link_each_time(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two thousand opens, half of them with no browser to take the link (a notice each
    time, dismissed): every link is new and works, the window keeps running and its
    memory stays put."""
    opens = True

    def open_url(url: QUrl) -> bool:
        asked.append(url)
        return opens

    asked: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", open_url)
    action = window.menu_actions[Command.OPEN_IN_BROWSER]

    def open_once(n: int) -> None:
        nonlocal opens
        opens = n % 2 == 0
        action.trigger()
        if not opens:
            box = window.notices.current
            assert box is not None and box.isVisible(), "the link is offered to copy"
            box.reject()
            QGuiApplication.processEvents()

    for n in range(2):  # what the first open and the first notice load
        open_once(n)
    start = resident_mib()
    for n in range(2_000):
        open_once(n)
    tokens = {LINK.fullmatch(url.toString())[3] for url in asked}  # type: ignore[index]
    assert len(tokens) == len(asked) == 2_002 == SignInLink.select().count()
    assert resident_mib() - start < 40, "nothing is kept from one open to the next"
    last = LINK.fullmatch(asked[-1].toString())
    assert last is not None and sign_in(last[1], last[3]).status_code == 200
