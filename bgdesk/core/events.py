"""In-process events, so the window and the API hear about jobs as they change. On a shared
PostgreSQL database, jobs that end in other processes are heard of too (`here` False)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

log = logging.getLogger(__name__)


class JobEventKind(StrEnum):
    """What happened to a job."""

    QUEUED = "queued"
    STARTED = "started"
    COMPLETED = "completed"
    FAILED = "failed"
    DELETED = "deleted"
    EDITED = "edited"  # a person changed its cutout


ENDINGS = (JobEventKind.COMPLETED, JobEventKind.FAILED)


@dataclass(frozen=True)
class JobEvent:
    """A job changed."""

    kind: JobEventKind
    job_id: str
    account_id: int
    here: bool = True  # False: it happened in another process on the same database


Listener = Callable[[JobEvent], None]


class EventBus:
    """Calls every listener on the publishing thread; a failing listener harms no other."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add `listener`; the returned function removes it again."""
        with self._lock:
            self._listeners.append(listener)
        return lambda: self._unsubscribe(listener)

    def _unsubscribe(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def publish(self, event: JobEvent) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("Event listener failed on %s", event)
