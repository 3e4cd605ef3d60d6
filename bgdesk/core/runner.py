"""The job runner: background threads that execute queued jobs in order."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bgdesk.core.fetches import PhotoFetches
from bgdesk.core.housekeeping import Housekeeping
from bgdesk.core.running import JobRunning
from bgdesk.storage.failures import LoopFailures, storage_error
from bgdesk.storage.models import Job

log = logging.getLogger(__name__)
REST_AFTER = 3.0  # seconds of an empty queue after work before `idle` is called
SWEEP_EVERY = 600.0  # seconds between removals of expired cutouts and leftover files


class JobRunner:
    """Claims and executes jobs until stopped; looks at the queue again every `poll` seconds
    so that jobs queued by another bgdesk process on the same database are seen too, and
    for jobs whose runner is gone at least once a third of a lease, busy or not.
    `executions` counts the jobs it has run, their end recorded or given up on, so that a
    caller can wait for a run to be over rather than guess how long it takes."""

    def __init__(
        self,
        running: JobRunning,
        fetches: PhotoFetches,
        housekeeping: Housekeeping,
        poll: float = 1.0,
        workers: int = 1,
    ) -> None:
        self.running = running
        self.fetches = fetches
        self.housekeeping = housekeeping
        self.poll = poll
        self.workers = max(1, workers)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.executions = 0
        self._executions_lock = threading.Lock()
        # Called on a runner's thread once the queue has been empty for `rest_after` seconds
        # after work: the window gives the cutouts' memory back there. Not at once, so a
        # script sending one photo after another keeps its models loaded.
        self.idle: Callable[[], None] | None = None
        self.rest_after = REST_AFTER
        self.rested_at = 0  # `executions` when `idle` last returned

    def start(self) -> None:
        if not self._threads:
            self._stopping.clear()
            self.running.stopping.clear()
            self.running.recover()
            self.fetches.resume()
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
        self.running.stopping.set()
        self.running.work_available.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []

    def run_until_idle(self) -> int:
        """Execute jobs on the calling thread until none is queued; returns how many ran."""
        ran = 0
        self.running.recover()
        while (job := self.running.claim_next()) is not None:
            self._execute(job)
            ran += 1
        return ran

    def _execute(self, job: Job) -> None:
        try:
            self.running.execute(job)
        finally:
            with self._executions_lock:
                self.executions += 1

    def _run(self, sweeper: bool) -> None:
        next_check = next_sweep = 0.0
        worked_at: float | None = None  # when the last job ended, until the queue rests
        failures = LoopFailures()
        while not self._stopping.is_set():
            try:
                now = time.monotonic()
                if now >= next_check:
                    self.running.recover()
                    next_check = now + self.running.leases.duration.total_seconds() / 3
                if sweeper and now >= next_sweep:
                    self.housekeeping.sweep()
                    next_sweep = now + SWEEP_EVERY
                self.running.work_available.clear()
                job = self.running.claim_next()
                failures.passed()
                if job is not None:
                    self._execute(job)
                    worked_at = time.monotonic()
                    continue
                if worked_at is not None and time.monotonic() - worked_at >= self.rest_after:
                    worked_at = None
                    if self.idle is not None:
                        self.idle()
                        self.rested_at = self.executions
                if not self.running.work_available.wait(self.poll):
                    next_check = 0.0
            except Exception as exc:  # keep the runner alive through a database hiccup
                if failures.first(exc):
                    trace = storage_error(exc) is None  # a busy database needs no traceback
                    log.warning("The job runner hit an error (%s); retrying", exc, exc_info=trace)
                self._stopping.wait(self.poll)
