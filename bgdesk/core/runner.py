"""The job runner: background threads that execute queued jobs in order."""

from __future__ import annotations

import logging
import threading
import time

from bgdesk.core.jobs import JobService
from bgdesk.storage.failures import storage_error, told_once

log = logging.getLogger(__name__)
SWEEP_EVERY = 600.0  # seconds between removals of expired cutouts and leftover files


class JobRunner:
    """Claims and executes jobs until stopped; looks at the queue again every `poll` seconds
    so that jobs queued by another bgdesk process on the same database are seen too, and
    for jobs whose runner is gone at least once a third of a lease, busy or not."""

    def __init__(self, service: JobService, poll: float = 1.0, workers: int = 1) -> None:
        self.service = service
        self.poll = poll
        self.workers = max(1, workers)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        if not self._threads:
            self._stopping.clear()
            self.service.stopping.clear()
            self.service.recover()
            self.service.resume_fetches()
            self._threads = [
                threading.Thread(
                    target=self._run, args=(n == 0,), name=f"bgdesk-runner-{n}", daemon=True
                )
                for n in range(self.workers)
            ]
            for thread in self._threads:
                thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Finish the jobs in hand, leave the rest queued for the next start, and return."""
        self._stopping.set()
        self.service.stopping.set()
        self.service.work_available.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []

    def run_until_idle(self) -> int:
        """Execute jobs on the calling thread until none is queued; returns how many ran."""
        ran = 0
        self.service.recover()
        while (job := self.service.claim_next()) is not None:
            self.service.execute(job)
            ran += 1
        return ran

    def _run(self, sweeper: bool) -> None:
        next_check = next_sweep = 0.0
        while not self._stopping.is_set():
            try:
                now = time.monotonic()
                if now >= next_check:
                    self.service.recover()
                    next_check = now + self.service.lease.total_seconds() / 3
                if sweeper and now >= next_sweep:
                    self.service.sweep()
                    next_sweep = now + SWEEP_EVERY
                self.service.work_available.clear()
                job = self.service.claim_next()
                if job is not None:
                    self.service.execute(job)
                    continue
                if not self.service.work_available.wait(self.poll):
                    next_check = 0.0
            except Exception as exc:  # keep the runner alive through a database hiccup
                if not told_once(exc):
                    trace = storage_error(exc) is None  # a busy database needs no traceback
                    log.warning("The job runner hit an error (%s); retrying", exc, exc_info=trace)
                self._stopping.wait(self.poll)
