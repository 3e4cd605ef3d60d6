"""Everything dropped, opened or pasted that did not become a job, listed with the reason
until the person dismisses it; photos refused for want of credits can be added again."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bgdesk.errors import InsufficientCredits, error_class
from bgdesk.gui.job_actions import plural
from bgdesk.gui.submissions import Refusal
from bgdesk.gui.wording import plain_words


class RefusalPanel(QFrame):
    """`add_again` brings the photos refused for credits, once the person asks for them."""

    add_again = Signal(list)  # targets
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Not added")
        self.title = QLabel()
        self.items = QListWidget()
        self.items.setMaximumHeight(110)
        self.items.setAccessibleName("Items not added, and why")
        self.again_button = QPushButton()
        self.again_button.clicked.connect(self._add_again)
        dismiss = QPushButton("Dismiss")
        dismiss.clicked.connect(self.clear)
        buttons = QHBoxLayout()
        buttons.addWidget(self.again_button)
        buttons.addStretch()
        buttons.addWidget(dismiss)
        column = QVBoxLayout(self)
        column.setContentsMargins(6, 6, 6, 6)
        column.addWidget(self.title)
        column.addWidget(self.items)
        column.addLayout(buttons)
        self._waiting_for_credits: list[str] = []
        self.clear()

    def add(self, refusal: Refusal) -> None:
        reason = plain_words(refusal.message)
        for name in refusal.names:
            self.items.addItem(f"{name}: {reason}")
        if issubclass(error_class(refusal.code), InsufficientCredits):
            self._waiting_for_credits += refusal.targets
        self.title.setText(f"{plural(self.items.count(), 'item')} not added")
        self.show()

    def credits_available(self, balance: int) -> None:
        """Offer the photos refused for credits again once there are credits."""
        count = len(self._waiting_for_credits)
        self.again_button.setText(f"Add {plural(count, 'Photo')} Again")
        self.again_button.setVisible(bool(count) and balance > 0)

    def _add_again(self) -> None:
        targets, self._waiting_for_credits = self._waiting_for_credits, []
        self.add_again.emit(targets)
        self.clear()

    def clear(self) -> None:
        self.items.clear()
        self._waiting_for_credits = []
        self.again_button.hide()
        self.hide()
        self.dismissed.emit()
