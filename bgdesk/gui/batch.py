"""A batch: the jobs queued while the window watches, from the first until all have ended.

The status bar shows its progress (n of m, time left) while it runs and a summary when it
ends ("12 done, 1 failed — Show"), which stays until dismissed or the next batch starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget


class Outcome(StrEnum):
    """How a job of the batch ended, in the summary's words and order."""

    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass
class Batch:
    """Which jobs belong to the batch and how each ended."""

    waiting: list[str] = field(default_factory=list)  # in the order they were queued
    ended: dict[Outcome, list[str]] = field(
        default_factory=lambda: {outcome: [] for outcome in Outcome}
    )
    to_check: list[str] = field(default_factory=list)  # done, but with no clear subject
    refused: int = 0  # photos of the same drop or open that never became jobs

    @property
    def finished(self) -> int:
        return sum(len(ids) for ids in self.ended.values())

    @property
    def total(self) -> int:
        return len(self.waiting) + self.finished

    @property
    def failed(self) -> list[str]:
        return self.ended[Outcome.FAILED]

    def add(self, job_id: str) -> None:
        if job_id not in self.waiting and not any(job_id in ids for ids in self.ended.values()):
            self.waiting.append(job_id)

    def end(self, job_id: str, outcome: Outcome) -> bool:
        """Record how `job_id` ended; False when it is not part of this batch."""
        if job_id not in self.waiting:
            return False
        self.waiting.remove(job_id)
        self.ended[outcome].append(job_id)
        return True

    def summary(self) -> str:
        """`12 done (2 to check), 1 failed, 3 not added`: every outcome that happened, done
        always."""
        parts = [
            f"{len(ids)} {outcome}"
            for outcome, ids in self.ended.items()
            if ids or outcome == Outcome.DONE
        ]
        if self.to_check:
            parts[0] += f" ({len(self.to_check)} to check)"
        if self.refused:
            parts.append(f"{self.refused} not added")
        return ", ".join(parts)


def saved_where(cutouts: list[Path]) -> str:
    """Where a batch's cutouts were written, for the status bar: one folder named, or how
    many folders beside their photos."""
    if not cutouts:
        return ""
    folders = {path.parent for path in cutouts}
    count = f"{len(cutouts)} cutout{'' if len(cutouts) == 1 else 's'}"
    if len(folders) == 1:
        return f"{count} saved in {folders.pop()}"
    return f"{count} saved beside their photos, in {len(folders)} folders"


def duration_text(seconds: float) -> str:
    if seconds < 60:
        return f"about {max(1, round(seconds))} s left"
    return f"about {round(seconds / 60)} min left"


class BatchStatus(QWidget):
    """Progress while a batch runs; its summary, with Show and Dismiss, once it ends."""

    show_failed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(160)
        self.bar.setTextVisible(False)
        self.bar.setAccessibleName("Batch progress")
        self.label = QLabel()
        self.show_button = QPushButton("Show")
        self.show_button.setToolTip("List the jobs that failed")
        self.show_button.clicked.connect(self.show_failed)
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.bar, self.label, self.show_button, self.dismiss_button):
            row.addWidget(widget)
        self.hide()

    def running(self, batch: Batch, seconds_left: float | None) -> None:
        self.bar.setRange(0, batch.total)
        self.bar.setValue(batch.finished)
        left = f" · {duration_text(seconds_left)}" if seconds_left else ""
        self.label.setText(f"{batch.finished} of {batch.total}{left}")
        for widget, visible in (
            (self.bar, True),
            (self.show_button, False),
            (self.dismiss_button, False),
        ):
            widget.setVisible(visible)
        self.show()

    def ended(self, batch: Batch, where: str = "") -> None:
        """Sum `batch` up; `where` says where its cutouts were written."""
        self.label.setText(f"Batch finished: {batch.summary()}")
        self.label.setToolTip(where)
        self.bar.hide()
        self.show_button.setVisible(bool(batch.failed))
        self.dismiss_button.show()
        self.show()
