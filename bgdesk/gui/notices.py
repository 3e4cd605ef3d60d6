"""How the window tells a person something went wrong, in one place: a passing message in the
status bar (`Window.show_message`), or a notice that stops them — in the window's words
(commands for a terminal only under Details), with at most one way forward, one at a time."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QUrl
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

    def open_outside(self, url: QUrl, failure: str, tell: Callable[[str], None]) -> bool:
        """Open `url` in the system's app for it (a file manager, a browser); when none can be
        opened — Qt says so only on stderr — say `failure` and offer to copy the path or
        link instead. True when it opened."""
        if QDesktopServices.openUrl(url):
            return True
        local = url.isLocalFile()
        shown = url.toLocalFile() if local else url.toString()

        def copy() -> None:
            QGuiApplication.clipboard().setText(shown)
            tell(f"Copied {shown}")

        self.ask(
            "Cannot open", f"{failure}\n\n{shown}", "Copy Path" if local else "Copy Link", copy
        )
        return False
