"""`PhotoFetches`: the photos of image_url jobs, fetched in the background on a bounded pool
once the job is charged and queued; a job whose photo never arrives is failed and refunded."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bgdesk.core.credits import CreditLedger
from bgdesk.core.events import EventBus, JobEventKind
from bgdesk.core.fetch import ImageFetcher
from bgdesk.core.job_files import JobFiles
from bgdesk.core.job_records import announce, options_of, settle, without_paths
from bgdesk.errors import BgdeskError, ProcessingFailed
from bgdesk.inference.engine import CutoutEngine
from bgdesk.storage.dialects import writing
from bgdesk.storage.failures import passing_trouble
from bgdesk.storage.files import write_atomic
from bgdesk.storage.models import Job, JobState, utcnow

log = logging.getLogger(__name__)

FETCHERS = 8  # image_url fetches at once; more wait their turn, already charged


class PhotoFetches:
    """Fetches waiting jobs' photos and hands the jobs to the runners."""

    def __init__(
        self,
        fetcher: ImageFetcher,
        engine: CutoutEngine,
        files: JobFiles,
        ledger: CreditLedger,
        events: EventBus,
        work_available: threading.Event,
    ) -> None:
        self.fetcher = fetcher
        self.engine = engine
        self.files = files
        self.ledger = ledger
        self.events = events
        self.work_available = work_available
        self._pool = ThreadPoolExecutor(FETCHERS, thread_name_prefix="bgdesk-fetch")
        self._fetching: set[int] = set()  # ids of the jobs whose photo this process fetches
        self._lock = threading.Lock()
        self._closed = False

    def resume(self) -> int:
        """Fetch again the photos of jobs still waiting for one (their process stopped)."""
        waiting = list(
            Job.select().where(Job.status == JobState.QUEUED, Job.input_ready == False)  # noqa: E712
        )
        for job in waiting:
            self.later(job)
        return len(waiting)

    def later(self, job: Job) -> None:
        """Fetch `job`'s photo on the pool, unless it is being fetched already or the pool
        is closed (the next start fetches it then)."""
        with self._lock:  # with `close`: a closed pool takes nothing
            if job.id in self._fetching or self._closed:
                return
            self._fetching.add(job.id)
            self._pool.submit(self._fetch, job)

    def close(self) -> None:
        """Stop fetching; fetches under way end within their timeout."""
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _fetch(self, job: Job) -> None:
        """Fetch a waiting job's photo and queue it for the runners, or fail and refund it."""
        assert job.input_url is not None
        try:
            data, _ = self.fetcher.fetch(job.input_url)
            options = options_of(job)
            background = self.files.background_of(job) if options.bg_image else None
            self.engine.check_memory(
                self.engine.inspect(data),
                options,
                self.engine.inspect(background) if background is not None else None,
            )
            with passing_trouble():
                write_atomic(Path(job.input_path), data)
                Job.update(input_ready=True).where(Job.id == job.id).execute()
            self.work_available.set()
        except BgdeskError as exc:
            self._fail(job, exc)
        except Exception as exc:  # the job must still end
            log.exception("Fetching the photo of job %s failed", job.public_id)
            self._fail(job, ProcessingFailed(f"Fetching the image failed: {exc}"))
        finally:
            with self._lock:
                self._fetching.discard(job.id)

    def _fail(self, job: Job, error: BgdeskError) -> None:
        """End a job whose photo never arrived: failed, refunded, its webhook owed. A busy
        database leaves it waiting, to be fetched again by the next start."""
        try:
            with passing_trouble(), writing():
                changed = (
                    Job.update(
                        status=JobState.FAILED,
                        completed_at=utcnow(),
                        error_code=error.code,
                        error_message=without_paths(error.message),
                    )
                    .where(
                        Job.id == job.id,
                        Job.status == JobState.QUEUED,
                        Job.input_ready == False,  # noqa: E712
                    )
                    .execute()
                )
                if changed:
                    settle(self.ledger, job, JobState.FAILED)
        except BgdeskError as exc:
            log.error("Job %s could not be failed (%s)", job.public_id, exc.message)
            return
        if changed:
            announce(self.events, JobEventKind.FAILED, job)
