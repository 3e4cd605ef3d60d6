"""Everything dropped, opened or pasted that did not become a job, listed with the reason
until the person dismisses it; photos refused for want of credits, a model or a device can
be added again (those for credits once there are credits)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from bgdesk.errors import InsufficientCredits, error_class
from bgdesk.gui.job_actions import plural
from bgdesk.gui.submissions import Refusal

SHOWN_NAMES = 3  # a refusal of many photos names this many on its line, the rest in its tooltip


class RefusalPanel(QFrame):
    """`add_again` brings the photos refused for credits, once the person asks for them."""

    add_again = Signal(list)  # targets
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # As tall as what it lists, never stretched: the queue below takes the rest.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.setAccessibleName("Not added")
        self.title = QLabel()
        self.items = QListWidget()
        self.items.setMaximumHeight(140)
        self.items.setAccessibleName("Items not added, and why")
        # Each reason wrapped on its line, never cut off in a sideways scroller.
        self.items.setWordWrap(True)
        self.items.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.items.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.items.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
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
        self._again: list[str] = []  # what can be added again
        self._for_credits = False  # some of it waits for credits
        self._balance = 0
        self.count = 0  # items not added
        self.clear()

    def add(self, refusal: Refusal) -> None:
        names = refusal.names
        if len(names) == 1:
            line = f"{names[0]}: {refusal.message}"
        else:
            shown = ", ".join(names[:SHOWN_NAMES]) + (", …" if len(names) > SHOWN_NAMES else "")
            line = f"{plural(len(names), 'item')} ({shown}): {refusal.message}"
        self.items.addItem(line)
        self.items.item(self.items.count() - 1).setToolTip("\n".join(names))
        self._again += refusal.targets
        if refusal.targets and issubclass(error_class(refusal.code), InsufficientCredits):
            self._for_credits = True
        self.count += len(names)
        self.title.setText(f"{plural(self.count, 'item')} not added")
        self._offer_again()
        self.show()

    def credits_available(self, balance: int) -> None:
        """Offer the photos refused for credits again once there are credits."""
        self._balance = balance
        self._offer_again()

    def _offer_again(self) -> None:
        count = len(self._again)
        self.again_button.setText(f"Add {plural(count, 'Photo')} Again")
        self.again_button.setVisible(bool(count) and (self._balance > 0 or not self._for_credits))

    def _add_again(self) -> None:
        targets, self._again = self._again, []
        self.add_again.emit(targets)
        self.clear()

    def clear(self) -> None:
        self.items.clear()
        self._again, self._for_credits, self.count = [], False, 0
        self.again_button.hide()
        self.hide()
        self.dismissed.emit()
