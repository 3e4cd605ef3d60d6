"""Account → Webhook Deliveries: what each API job's notification did, try by try."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bgdesk.core.app import Core
from bgdesk.gui.formatting import local_time
from bgdesk.storage.models import DeliveryStatus, WebhookDelivery

DELIVERY_COLUMNS = ["Job", "Receiver", "Event", "State", "Tries", "Last result", "Next / done"]
ATTEMPT_COLUMNS = ["When", "Result", "Took"]
DELIVERY_ID = Qt.ItemDataRole.UserRole


def table(columns: list[str], stretch: str) -> QTableWidget:
    """A read-only table whose `stretch` column takes the spare width."""
    widget = QTableWidget(0, len(columns))
    widget.setHorizontalHeaderLabels(columns)
    widget.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    widget.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    widget.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    widget.horizontalHeader().setSectionResizeMode(
        columns.index(stretch), QHeaderView.ResizeMode.Stretch
    )
    widget.verticalHeader().setVisible(False)
    return widget


def fill_row(widget: QTableWidget, row: int, cells: list[str], delivery_id: int = 0) -> None:
    for column, text in enumerate(cells):
        item = QTableWidgetItem(text)
        item.setData(DELIVERY_ID, delivery_id)
        widget.setItem(row, column, item)


def last_result(delivery: WebhookDelivery) -> str:
    if delivery.last_error:
        return delivery.last_error
    return f"HTTP {delivery.last_status_code}" if delivery.last_status_code else "—"


class WebhooksDialog(QDialog):
    """Deliveries newest first; the selected one's attempts below; send a failed one again."""

    def __init__(self, core: Core, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.core = core
        self.setWindowTitle("Webhook deliveries")
        self.resize(900, 480)
        self.deliveries = table(DELIVERY_COLUMNS, stretch="Receiver")
        self.attempts = table(ATTEMPT_COLUMNS, stretch="Result")
        self.deliveries.itemSelectionChanged.connect(self._show_attempts)
        self.empty = QLabel("No webhooks yet. API jobs submitted with a webhook_url appear here.")
        send_again = QPushButton("Send Again")
        send_again.clicked.connect(self.send_again)
        buttons = QHBoxLayout()
        buttons.addWidget(self.empty)
        buttons.addStretch()
        buttons.addWidget(send_again)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.deliveries)
        split.addWidget(self.attempts)
        split.setStretchFactor(0, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        layout.addLayout(buttons)
        self.refresh()
        self._timer = QTimer(self, interval=2000)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()

    def selected_id(self) -> int:
        row = self.deliveries.currentRow()
        item = self.deliveries.item(row, 0) if row >= 0 else None
        return 0 if item is None else int(item.data(DELIVERY_ID))

    def refresh(self) -> None:
        selected = self.selected_id()
        rows = self.core.webhooks.recent()
        self.empty.setVisible(not rows)
        self.deliveries.setRowCount(len(rows))
        for row, delivery in enumerate(rows):
            when = (
                local_time(delivery.delivered_at)
                if delivery.status == DeliveryStatus.DELIVERED
                else local_time(delivery.next_attempt_at)
                if delivery.status == DeliveryStatus.PENDING
                else "gave up"
            )
            fill_row(
                self.deliveries,
                row,
                [
                    delivery.job.input_name,
                    delivery.url,
                    delivery.event,
                    delivery.status,
                    str(delivery.attempts),
                    last_result(delivery),
                    when,
                ],
                delivery.id,
            )
            if delivery.id == selected:
                self.deliveries.selectRow(row)
        self.deliveries.resizeColumnsToContents()
        self._show_attempts()

    def _show_attempts(self) -> None:
        selected = self.selected_id()
        attempts = self.core.webhooks.attempts(selected) if selected else []
        self.attempts.setRowCount(len(attempts))
        for row, attempt in enumerate(attempts):
            result = attempt.error or f"HTTP {attempt.status_code}"
            fill_row(
                self.attempts,
                row,
                [
                    local_time(attempt.attempted_at, seconds=True),
                    result,
                    f"{attempt.duration_ms} ms",
                ],
            )

    def send_again(self) -> None:
        if selected := self.selected_id():
            self.core.webhooks.send_again(selected)
            self.refresh()
