"""`JobIntake`: a request becomes a queued job — checked (the photo, the options, the memory its
cutout takes, the background picture), charged in the transaction that creates it, and taken
back off the queue on request. Nothing is charged unless the job is queued."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from bgdesk.core.credits import JOB_COST, CreditLedger
from bgdesk.core.events import EventBus, JobEventKind
from bgdesk.core.fetch import check_webhook_url
from bgdesk.core.fetches import PhotoFetches
from bgdesk.core.job_files import JobFiles, check_background
from bgdesk.core.job_records import (
    CANCELLED,
    announce,
    new_job_id,
    options_of,
    printable,
    settle,
)
from bgdesk.core.queries import JobQueries
from bgdesk.errors import AccountSuspended, Conflict, InsufficientCredits, InvalidRequest
from bgdesk.inference.decode import ImageInfo
from bgdesk.inference.engine import CutoutEngine
from bgdesk.request.options import OutputOptions
from bgdesk.storage.dialects import locked, writing
from bgdesk.storage.failures import passing_trouble
from bgdesk.storage.files import write_atomic
from bgdesk.storage.models import Account, AccountStatus, Job, JobSource, JobState, utcnow


class JobIntake:
    """Queues uploads, URLs and files as jobs, retries failed ones, cancels waiting ones."""

    def __init__(
        self,
        engine: CutoutEngine,
        ledger: CreditLedger,
        events: EventBus,
        files: JobFiles,
        fetches: PhotoFetches,
        queries: JobQueries,
        work_available: threading.Event,
    ) -> None:
        self.engine = engine
        self.ledger = ledger
        self.events = events
        self.files = files
        self.fetches = fetches
        self.queries = queries
        self.work_available = work_available

    def submit(
        self,
        account: Account,
        source: JobSource,
        options: OutputOptions,
        upload: bytes | None = None,
        filename: str = "",
        url: str | None = None,
        webhook_url: str | None = None,
        background: bytes | None = None,
    ) -> Job:
        """An API-style request: exactly one of `upload` and `url`, and `background` when
        the options lay the subject on a picture. A URL is answered at once and its photo
        fetched in the background."""
        if (upload is None) == (not url):
            raise InvalidRequest("Send exactly one of image_file and image_url.")
        fetcher = self.fetches.fetcher
        allow_private = fetcher.limits.allow_private
        webhook = check_webhook_url(webhook_url, allow_private) if webhook_url else None
        if url:
            return self.submit_url(
                account, fetcher.check(url), source, options, webhook, background
            )
        assert upload is not None
        return self.submit_upload(
            account, upload, filename, source, options, webhook, background=background
        )

    def submit_upload(
        self,
        account: Account,
        data: bytes,
        filename: str,
        source: JobSource,
        options: OutputOptions,
        webhook_url: str | None = None,
        output_path: Path | None = None,
        background: bytes | None = None,
    ) -> Job:
        """Queue bytes received by the API or pasted into the window; bgdesk keeps a copy.
        The cutout goes to `output_path`, or to bgdesk's outputs folder by the job's id;
        `background` is the picture behind it when the options ask for one."""
        image = self.engine.inspect(data)
        self.engine.check_model(options)
        public_id = new_job_id()
        input_path = self.files.upload(public_id, filename)
        try:
            with passing_trouble(), self._background_kept(public_id, options, background, image):
                write_atomic(input_path, data)
                return self._create(
                    account,
                    public_id,
                    input_path,
                    filename or input_path.name,
                    True,
                    output_path,
                    source,
                    options,
                    webhook_url,
                )
        except BaseException:
            input_path.unlink(missing_ok=True)
            raise

    def submit_url(
        self,
        account: Account,
        url: str,
        source: JobSource,
        options: OutputOptions,
        webhook_url: str | None = None,
        background: bytes | None = None,
    ) -> Job:
        """Queue the image at `url` (already checked): charged now, fetched in the background
        on a bounded pool, run once its photo is in; failed and refunded if it never is."""
        self.engine.check_model(options)
        public_id = new_job_id()
        name = PurePosixPath(urlsplit(url).path).name or "image"
        input_path = self.files.upload(public_id, name)
        with passing_trouble(), self._background_kept(public_id, options, background, None):
            job = self._create(
                account, public_id, input_path, name, True, None, source, options, webhook_url, url
            )
        self.fetches.later(job)
        return job

    def submit_file(
        self,
        account: Account,
        path: Path,
        source: JobSource,
        options: OutputOptions,
        output_path: Path | None = None,
        background: bytes | None = None,
        watched_from: Path | None = None,
    ) -> Job:
        """Queue an image file in place (CLI, files dropped on the window; `watched_from`:
        the watched folder it arrived in)."""
        path = path.resolve()
        image = self.engine.inspect(self.files.read_input(path))
        self.engine.check_model(options)
        public_id = new_job_id()
        with passing_trouble(), self._background_kept(public_id, options, background, image):
            return self._create(
                account,
                public_id,
                path,
                path.name,
                False,
                output_path,
                source,
                options,
                None,
                watched_from=watched_from,
            )

    def retry(self, public_id: str) -> Job:
        """Queue a failed job's input again as a new job (and a new charge)."""
        job = self.queries.get(public_id)
        if job.status != JobState.FAILED:
            raise Conflict("Only failed jobs can be retried.")
        options = options_of(job)
        account = Account.get_by_id(job.account_id)
        source = JobSource(job.source)
        background = self.files.background_of(job) if options.bg_image else None
        if job.input_url and not Path(job.input_path).exists():  # its photo never arrived
            return self.submit_url(
                account, job.input_url, source, options, job.webhook_url, background
            )
        if job.owns_input:
            data = self.files.read_input(Path(job.input_path))
            named = Path(job.output_path).stem != job.public_id  # not bgdesk's name by id
            return self.submit_upload(
                account,
                data,
                job.input_name,
                source,
                options,
                job.webhook_url,
                Path(job.output_path) if named else None,
                background,
            )
        return self.submit_file(
            account,
            Path(job.input_path),
            source,
            options,
            Path(job.output_path),
            background,
            Path(job.watched_from) if job.watched_from else None,
        )

    def cancel(self, public_id: str) -> Job:
        """Take a job that is still waiting off the queue and give its credit back."""
        job = self.queries.get(public_id)
        with writing():
            changed = (
                Job.update(
                    status=JobState.FAILED,
                    completed_at=utcnow(),
                    error_code=CANCELLED,
                    error_message="Cancelled.",
                )
                .where(Job.id == job.id, Job.status == JobState.QUEUED)
                .execute()
            )
            if not changed:
                raise Conflict(
                    f"{job.input_name} is not waiting any more; only waiting jobs can be cancelled."
                )
            settle(self.ledger, job, JobState.FAILED)
        announce(self.events, JobEventKind.FAILED, job)
        return self.queries.get(public_id)

    @contextmanager
    def _background_kept(
        self,
        public_id: str,
        options: OutputOptions,
        background: bytes | None,
        image: ImageInfo | None,
    ) -> Iterator[None]:
        """Keep the background picture a job asks for before the job exists, where its
        runner finds it; remove it again when the job is not made. Refuse the job when its
        cutout of `image` (None: not known yet) would not fit in the memory budget."""
        if options.bg_image != (background is not None):
            raise InvalidRequest(
                "Send a background picture (bg_image_file) to lay the subject on one."
                if options.bg_image
                else "A background picture came without the option that uses it."
            )
        picture = check_background(self.engine, background) if background is not None else None
        if image is not None:
            self.engine.check_memory(image, options, picture)
        if background is None:
            yield
            return
        self.files.keep_background(public_id, background)
        try:
            yield
        except BaseException:
            self.files.background(public_id).unlink(missing_ok=True)
            raise

    def _create(
        self,
        account: Account,
        public_id: str,
        input_path: Path,
        input_name: str,
        owns_input: bool,
        output_path: Path | None,
        source: JobSource,
        options: OutputOptions,
        webhook_url: str | None,
        input_url: str | None = None,
        watched_from: Path | None = None,
    ) -> Job:
        """The job, created and charged in one transaction with its account's checks."""
        output = (
            output_path.resolve()
            if output_path
            else self.files.output(public_id, options.extension)
        )
        with writing():
            current = locked(Account.select().where(Account.id == account.id)).get()
            if current.status != AccountStatus.ACTIVE:
                raise AccountSuspended()
            balance = self.ledger.balance(current)
            if balance < JOB_COST:
                raise InsufficientCredits(
                    f"Not enough credits: the balance is {balance} and a cutout costs "
                    f"{JOB_COST}. Grant more with `bgdesk credits grant`."
                )
            job = Job.create(
                public_id=public_id,
                account=current,
                source=JobSource(source),
                input_path=str(input_path),
                input_name=printable(input_name),
                owns_input=owns_input,
                output_path=str(output),
                output_token=secrets.token_urlsafe(32),
                options=json.dumps(options.to_dict()),
                webhook_url=webhook_url,
                input_url=input_url,
                watched_from=str(watched_from) if watched_from else None,
                input_ready=input_url is None,
            )
            self.ledger.charge(job)
        announce(self.events, JobEventKind.QUEUED, job)
        self.work_available.set()
        return job
