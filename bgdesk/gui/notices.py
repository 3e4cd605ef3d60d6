"""Notices that stop the person: window-modal, in the window's words (commands for a
terminal only under Details), each with one way forward, never more than one at a time."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

from bgdesk.gui.wording import has_details, plain_words


class Notices:
    """Shows one notice at a time over `parent`; `current` is the one shown last."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent
        self.current: QMessageBox | None = None

    def ask(self, title: str, text: str, action: str, handler: Callable[[], object]) -> None:
        if self.current is not None and self.current.isVisible():
            return
        notice = QMessageBox(
            QMessageBox.Icon.Warning,
            title,
            plain_words(text),
            QMessageBox.StandardButton.Close,
            self.parent,
        )
        if has_details(text):
            notice.setDetailedText(text)
        forward = notice.addButton(action, QMessageBox.ButtonRole.AcceptRole)
        forward.clicked.connect(lambda: handler())
        notice.open()
        self.current = notice
