"""Core events cross to the GUI thread here, as queued Qt signals."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from bgdesk.core.events import EventBus, JobEvent


class CoreBridge(QObject):
    """Re-emits job events (published on worker threads) as a signal on the GUI thread."""

    job_changed = Signal(str, str)  # kind, job id

    def __init__(self, events: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe = events.subscribe(self._forward)

    def _forward(self, event: JobEvent) -> None:
        # Emitting from a worker thread to a receiver living on the GUI thread is queued.
        self.job_changed.emit(event.kind, event.job_id)

    def close(self) -> None:
        self._unsubscribe()
