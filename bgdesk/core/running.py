"""`JobRunning`: a queued job is claimed under a lease, cut out, and its end recorded in one
transaction with what it owes — its files given their names, or its credit refunded. Jobs whose
runner died are queued again (`recover`) and run again without a second charge."""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import timedelta
from pathlib import Path

from bgdesk.core.credits import CreditLedger
from bgdesk.core.events import EventBus, JobEventKind
from bgdesk.core.job_files import JobFiles, Staged, discard
from bgdesk.core.job_records import announce, options_of, settle, without_paths
from bgdesk.core.leases import HOST, Leases
from bgdesk.errors import BgdeskError, ProcessingFailed
from bgdesk.inference.engine import Cutout, CutoutEngine
from bgdesk.settings import Settings
from bgdesk.storage.dialects import unclaimed, writing
from bgdesk.storage.failures import storage_error
from bgdesk.storage.files import publish, write_staged
from bgdesk.storage.models import Job, JobSource, JobState, utcnow

log = logging.getLogger(__name__)

FINISH_PATIENCE = timedelta(minutes=2)  # retrying the transaction that ends a job
MAX_ATTEMPTS = 3


class JobRunning:
    """Claims, runs and ends jobs for this process's runners."""

    def __init__(
        self,
        engine: CutoutEngine,
        ledger: CreditLedger,
        events: EventBus,
        files: JobFiles,
        leases: Leases,
        work_available: threading.Event,
        keep_uploads: bool = False,
        finish_patience: timedelta = FINISH_PATIENCE,
    ) -> None:
        self.engine = engine
        self.ledger = ledger
        self.events = events
        self.files = files
        self.leases = leases
        self.work_available = work_available
        self.keep_uploads = keep_uploads  # keep an API job's copy of its photo after its cutout
        self.finish_patience = finish_patience
        self.stopping = threading.Event()  # set while the runners shut down: stop retrying

    def apply_settings(self, settings: Settings) -> None:
        """Take in changed settings: whether uploads are kept once cut out."""
        self.keep_uploads = settings.keep_uploads

    def recover(self) -> int:
        """Queue again the running jobs whose runner is gone (crashed or killed)."""
        now = utcnow()
        orphans = [
            job
            for job in Job.select().where(Job.status == JobState.RUNNING)
            if self.leases.orphaned(job, now)
        ]
        if not orphans:
            return 0
        with writing():
            # Each only as it was read: a runner that took it again since (another's
            # `recover` and claim) counted one more attempt, and keeps it.
            count = sum(
                Job.update(
                    status=JobState.QUEUED, runner_id=None, runner_pid=None, lease_expires_at=None
                )
                .where(
                    Job.id == job.id,
                    Job.status == JobState.RUNNING,
                    Job.attempts == job.attempts,
                )
                .execute()
                for job in orphans
            )
        if count:
            log.info("Queued %d interrupted job(s) again", count)
            self.work_available.set()
        return int(count)

    def claim_next(self) -> Job | None:
        """Take the oldest queued job for this runner, or None when the queue is empty."""
        now = utcnow()
        with writing():
            job = unclaimed(
                Job.select()
                .where(Job.status == JobState.QUEUED, Job.input_ready == True)  # noqa: E712
                .order_by(Job.id)
                .limit(1)
            ).first()
            if job is None:
                return None
            self.leases.hold(job.id)
            (
                Job.update(
                    status=JobState.RUNNING,
                    runner_id=self.leases.runner_id,
                    runner_host=HOST,
                    runner_pid=os.getpid(),
                    lease_expires_at=now + self.leases.duration,
                    started_at=now,
                    attempts=Job.attempts + 1,
                )
                .where(Job.id == job.id)
                .execute()
            )
        self.leases.keep_renewing()
        job = Job.get_by_id(job.id)
        announce(self.events, JobEventKind.STARTED, job)
        return job

    def execute(self, job: Job) -> None:
        """Run a claimed job to its end; every failure ends as a refunded, explained job."""
        try:
            if job.attempts > MAX_ATTEMPTS:
                message = (
                    f"The app stopped {MAX_ATTEMPTS} times while making this cutout (its "
                    "process ended: out of memory, or killed), so it is not tried again; "
                    "the credit was refunded."
                )
                self._end(job, error=ProcessingFailed(message))
                return
            cutout, error, staged = self._make(job)
            self._end(job, cutout=cutout, error=error, staged=staged)
        finally:
            self.leases.release(job.id)

    def _make(self, job: Job) -> tuple[Cutout | None, BgdeskError | None, Staged]:
        """The cutout of a claimed job, written beside its output under temporary names
        (given their names when its end is recorded); or why there is none."""
        staged: list[tuple[Path, Path]] = []
        try:
            options = options_of(job)
            data = self.files.read_input(Path(job.input_path), in_place=not job.owns_input)
            background = self.files.background_of(job) if options.bg_image else None
            cutout = self.engine.remove_background(data, options, background)
            files = [(Path(job.output_path), cutout.data)]
            if cutout.mask is not None and self._photo_kept(job):
                files.append((self.files.mask(job.public_id), cutout.mask))
            for path, content in files:
                staged.append((write_staged(path, content), path))
        except Exception as exc:
            discard(staged)
            return None, _failure(job, exc), []
        return cutout, None, staged

    def _photo_kept(self, job: Job) -> bool:
        """Whether `job`'s photo stays once its cutout is made (so the cutout can be edited):
        a file of the person's, a photo pasted into the window (shown beside its cutout), or
        any when uploads are kept."""
        return not job.owns_input or job.source == JobSource.DESKTOP or self.keep_uploads

    def _end(
        self,
        job: Job,
        cutout: Cutout | None = None,
        error: BgdeskError | None = None,
        staged: Staged = (),
    ) -> None:
        """Record how a running job ended, retrying while the database is busy or the disk
        full. Should that last past `finish_patience`, the job stays running under a lease
        nobody renews, and `recover` queues it again once the lease lapses. Its files get
        their names only with its end: a runner that lost the job to another (cut off from
        the database past its lease) leaves the other's cutout as it is."""
        try:
            ended = self._record_end_patiently(job, cutout, error, staged)
        finally:
            discard(staged)
        if not ended:
            return
        if cutout and not self._photo_kept(job):  # and the picture behind it, like the photo
            self.files.remove_photo(job)
        announce(self.events, JobEventKind.COMPLETED if cutout else JobEventKind.FAILED, job)

    def _record_end_patiently(
        self, job: Job, cutout: Cutout | None, error: BgdeskError | None, staged: Staged
    ) -> bool:
        deadline = time.monotonic() + self.finish_patience.total_seconds()
        pause = 0.25
        while True:
            try:
                return self._record_end(job, cutout, error, staged)
            except Exception as exc:
                if storage_error(exc) is None:
                    raise
                if self.stopping.is_set() or time.monotonic() + pause > deadline:
                    log.error(
                        "Job %s: its end could not be recorded (%s); it runs again once its "
                        "lease lapses",
                        job.public_id,
                        exc,
                    )
                    return False
                log.warning("Job %s: recording its end failed (%s); retrying", job.public_id, exc)
                self.stopping.wait(pause)
                pause = min(pause * 2, 5.0)

    def _record_end(
        self, job: Job, cutout: Cutout | None, error: BgdeskError | None, staged: Staged = ()
    ) -> bool:
        """In one transaction: the job's end (with `cutout` and its `staged` files given their
        names, or failed with `error` and refunded) and the webhook it owes. False when
        another runner had taken it over."""
        status = JobState.COMPLETED if cutout else JobState.FAILED
        with writing():
            changed = (
                Job.update(
                    status=status,
                    completed_at=utcnow(),
                    width=cutout.width if cutout else None,
                    height=cutout.height if cutout else None,
                    error_code=error.code if error else None,
                    error_message=without_paths(error.message) if error else None,
                    warning=cutout.warning if cutout else None,
                    confidence=cutout.confidence if cutout else None,
                    model=cutout.model if cutout else None,
                    runner_id=None,
                    lease_expires_at=None,
                )
                .where(
                    Job.id == job.id,
                    Job.status == JobState.RUNNING,
                    Job.runner_id == self.leases.runner_id,
                )
                .execute()
            )
            if not changed:
                log.warning("Job %s was taken over by another runner", job.public_id)
                return False
            for temporary, path in staged:
                publish(temporary, path)
            settle(self.ledger, job, status)
        return True


def _failure(job: Job, exc: Exception) -> BgdeskError:
    """What a job that raised `exc` failed of, as its owner is told."""
    if isinstance(exc, BgdeskError):
        return exc
    if isinstance(exc, OSError):
        log.warning("Job %s: cannot write %s (%s)", job.public_id, job.output_path, exc)
        reason = exc.strerror or "an input/output error"
        return ProcessingFailed(f"The cutout could not be written: {reason}.")
    log.exception("Job %s failed", job.public_id)  # a bug or a resource failure
    return ProcessingFailed(f"Processing failed: {type(exc).__name__}: {exc}")
