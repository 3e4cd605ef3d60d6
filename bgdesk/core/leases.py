"""`Leases`: how the runners of several processes (and machines) share one queue. A running job
is held under a lease its runner renews; a job whose lease lapsed, or whose process on this
machine is gone, is free to be queued again."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from datetime import datetime, timedelta

from bgdesk.background import Background
from bgdesk.storage.failures import told_once
from bgdesk.storage.models import Job, database, utcnow

log = logging.getLogger(__name__)

HOST = socket.gethostname()  # where this process's runners are, beside their process ids


class Leases:
    """The jobs this process's runners have in hand, and their leases, renewed a third of a
    lease apart by one statement for all of them while any is held."""

    def __init__(self, duration: timedelta) -> None:
        self.duration = duration
        self.runner_id = secrets.token_hex(8)
        self._in_hand: set[int] = set()
        self._lock = threading.Lock()
        self._renewer = Background("bgdesk-leases", self._renew)  # started with a first hold
        self._closed = False

    def hold(self, job_id: int) -> None:
        """Count job `job_id` as in this process's hands (before its claim is written)."""
        with self._lock:
            self._in_hand.add(job_id)

    def keep_renewing(self) -> None:
        """Renew the leases of the jobs in hand from now on (idempotent)."""
        with self._lock:
            if not self._closed:
                self._renewer.start()

    def release(self, job_id: int) -> None:
        with self._lock:
            self._in_hand.discard(job_id)

    def orphaned(self, job: Job, now: datetime) -> bool:
        """Whether no runner holds running `job` any more: its lease lapsed, or its process
        (on this machine) is gone. A job of this process's own runners is orphaned only when
        none has it in hand (its end could not be recorded, say)."""
        lapsed = job.lease_expires_at is None or job.lease_expires_at < now
        if job.runner_id == self.runner_id:
            with self._lock:
                return lapsed and job.id not in self._in_hand
        here = job.runner_host in (None, HOST)  # None: written before hosts were recorded
        return lapsed or (here and not _pid_alive(job.runner_pid))

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._renewer.stop()

    def _renew(self) -> None:
        try:
            while not self._renewer.stopping.wait(self.duration.total_seconds() / 3):
                with self._lock:
                    held = list(self._in_hand)
                if not held:
                    continue
                try:
                    (
                        Job.update(lease_expires_at=utcnow() + self.duration)
                        .where(Job.id.in_(held), Job.runner_id == self.runner_id)
                        .execute()
                    )
                except Exception as exc:  # the next renewal may get through
                    if not told_once(exc):
                        log.warning("Could not renew the leases of jobs in hand: %s", exc)
        finally:
            database.close()


def _pid_alive(pid: int | None) -> bool:
    """Whether a process with `pid` runs here; unknowable off POSIX, so assume it does."""
    if pid is None or os.name != "posix":
        return os.name != "posix"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
