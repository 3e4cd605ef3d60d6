"""How the window tells a person something went wrong, in one place: a passing message in the
status bar (`Window.show_message`), or a notice that stops them — in the window's words
(commands for a terminal only under Details), with at most one way forward, one at a time."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from PySide6.QtCore import QMessageLogContext, QtMsgType, QUrl, qInstallMessageHandler
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from bgdesk.gui.wording import has_details, plain_words


def notice(
    parent: QWidget, title: str, text: str, hint: str = "", action: str = "", details: str = ""
) -> tuple[QMessageBox, QPushButton | None]:
    """A warning over `parent` saying `text` plainly, `hint` beneath it, `details` (or what
    `text` holds for a terminal) under Details, and a button named `action` when there is a
    way forward; returns the box and that button (None without)."""
    box = QMessageBox(
        QMessageBox.Icon.Warning, title, plain_words(text), QMessageBox.StandardButton.Close, parent
    )
    if hint:
        box.setInformativeText(hint)
    if details or has_details(text):
        box.setDetailedText(details or text)
    forward = box.addButton(action, QMessageBox.ButtonRole.AcceptRole) if action else None
    return box, forward


def warn(parent: QWidget, title: str, text: str, hint: str = "", action: str = "") -> bool:
    """Show a notice and wait for it; True when the person chose `action`."""
    box, forward = notice(parent, title, text, hint, action)
    box.exec()
    return forward is not None and box.clickedButton() is forward


class Notices:
    """Shows one notice at a time over `parent` without waiting; `current` is the last one."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent
        self.current: QMessageBox | None = None

    def ask(
        self,
        title: str,
        text: str,
        action: str,
        handler: Callable[[], object],
        hint: str = "",
        details: str = "",
    ) -> None:
        if self.current is not None and self.current.isVisible():
            return
        box, forward = notice(self.parent, title, text, hint, action, details)
        box.buttonClicked.connect(lambda button: handler() if button is forward else None)
        box.open()
        self.current = box

    def open_outside(
        self, url: QUrl, failure: str, tell: Callable[[str], None], secret: bool = False
    ) -> bool:
        """Open `url` in the system's app for it (a file manager, a browser); when none can be
        opened — Qt says so only on stderr — say `failure` and offer to copy the path or
        link instead. True when it opened. A `secret` link (one that signs in) is shown
        nowhere: not in the notice, not in the status bar, and Qt's warning has its
        fragment cut; only the clipboard gets it, when asked to."""
        with _unlogged(url.fragment(QUrl.ComponentFormattingOption.FullyEncoded) if secret else ""):
            if QDesktopServices.openUrl(url):
                return True
        local = url.isLocalFile()
        shown = url.toLocalFile() if local else url.toString()
        said = "the link" if secret else shown

        def copy() -> None:
            QGuiApplication.clipboard().setText(shown)
            tell(f"Copied {said}")

        text = failure if secret else f"{failure}\n\n{shown}"
        self.ask("Cannot open", text, "Copy Path" if local else "Copy Link", copy)
        return False


@contextmanager
def _unlogged(secret: str) -> Iterator[None]:
    """Qt's messages meanwhile with `secret` cut out: Qt warns with the whole URL it could
    not open, which may end up in a log."""
    if not secret:
        yield
        return

    def cut(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        message = message.replace(secret, "…")
        if previous is not None:
            previous(kind, context, message)
        elif sys.stderr is not None:  # None in a windowed build
            print(message, file=sys.stderr)

    previous = qInstallMessageHandler(cut)
    try:
        yield
    finally:
        qInstallMessageHandler(previous)
