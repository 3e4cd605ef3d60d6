"""Jobs: submit (validate, then check-and-charge in one transaction), run, finish or refund.

A job's life: queued → running → completed | failed. Every change happens in a transaction
with what it pays for: the charge with the job's creation, the refund with its failure, the
webhook delivery with its end. A runner holds a running job under a lease; jobs whose runner
died are queued again (`recover`) and run again without a second charge.
"""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import re
import secrets
import socket
import string
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from bgdesk.background import Background
from bgdesk.core.credits import JOB_COST, CreditLedger
from bgdesk.core.events import EventBus, JobEvent, JobEventKind
from bgdesk.core.fetch import ImageFetcher
from bgdesk.core.naming import OUTPUT_SUFFIX, free_path
from bgdesk.errors import (
    AccountSuspended,
    BgdeskError,
    Conflict,
    ImageTooLarge,
    InsufficientCredits,
    InvalidRequest,
    NotFound,
    ProcessingFailed,
)
from bgdesk.inference.compose import reencode
from bgdesk.inference.decode import ImageInfo, Limits
from bgdesk.inference.engine import Cutout, CutoutEngine, Retouch
from bgdesk.inference.strokes import Stroke
from bgdesk.request.formats import PNG, format_for_suffix, format_named
from bgdesk.request.options import OutputOptions
from bgdesk.settings import Settings
from bgdesk.storage.dialects import locked, unclaimed, writing
from bgdesk.storage.failures import passing_trouble, storage_error, told_once
from bgdesk.storage.files import (
    publish,
    temporaries_in,
    unshared_in,
    write_atomic,
    write_shared,
    write_staged,
)
from bgdesk.storage.models import (
    UNFINISHED,
    Account,
    Job,
    JobState,
    WebhookDelivery,
    database,
    utcnow,
)

log = logging.getLogger(__name__)

SOURCES = ("desktop", "api", "cli")
LEASE = timedelta(seconds=Settings.job_lease_seconds)  # the setting's default
HOST = socket.gethostname()  # where this process's runners are, beside their process ids
FINISH_PATIENCE = timedelta(minutes=2)  # retrying the transaction that ends a job
STALE = timedelta(minutes=10)  # a leftover file this old belongs to no live writer
FETCHERS = 8  # image_url fetches at once; more wait their turn, already charged
MAX_ATTEMPTS = 3
CANCELLED = "cancelled"  # the error code of a job its owner took off the queue
_ID_ALPHABET = string.ascii_lowercase + string.digits
Staged = Sequence[tuple[Path, Path]]  # a cutout's files, written: (temporary name, its name)
_SAFE_SUFFIX = re.compile(r"\.[a-z0-9]{1,5}")
# An absolute path (POSIX or Windows), not the path part of a URL
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/\\])(?:[A-Za-z]:)?(?:[\\/][^\\/\s'\"():,;]+)+")


def new_job_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(24))


def without_paths(message: str) -> str:
    """`message` with every absolute file path cut to its last part: a job's error is read
    through the API by people who have no business knowing the server's folders."""
    return _ABSOLUTE_PATH.sub(lambda match: re.split(r"[\\/]", match.group())[-1], message)


def printable(name: str) -> str:
    """A file name as people are shown it and the database keeps it: without control
    characters (an upload may name itself anything, NUL included), at most 255 of them."""
    return "".join(char for char in name if char.isprintable())[:255]


def options_of(job: Job) -> OutputOptions:
    """The output options `job` was submitted with."""
    return OutputOptions.from_mapping(json.loads(job.options))


def edits_of(job: Job) -> dict[str, Any]:
    """A job's edits: `strokes` (a list of stroke dicts) and `background` (the output
    option fields that replace the submitted background), each only when made."""
    edits: dict[str, Any] = json.loads(job.edits) if job.edits else {}
    return edits


def strokes_of(job: Job) -> tuple[Stroke, ...]:
    """The brush strokes laid on `job`'s mask, in order."""
    return tuple(Stroke.from_dict(values) for values in edits_of(job).get("strokes", []))


def rendered_options(job: Job) -> OutputOptions:
    """The options `job`'s cutout is made with: as submitted, with the background a person
    chose since in place of the submitted one."""
    options = options_of(job)
    background = edits_of(job).get("background")
    return options if background is None else options.with_background(background)


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


class JobService:
    """Submits, runs and reports jobs; one per process, shared by every face."""

    def __init__(
        self,
        engine: CutoutEngine,
        ledger: CreditLedger,
        events: EventBus,
        outputs_dir: Path,
        uploads_dir: Path,
        edits_dir: Path,
        limits: Limits,
        fetcher: ImageFetcher | None = None,
        side_by_side: int = 1,
    ) -> None:
        self.engine = engine
        self.side_by_side = side_by_side  # jobs the runner makes at once
        self.ledger = ledger
        self.events = events
        self.outputs_dir = outputs_dir
        self.uploads_dir = uploads_dir
        self.edits_dir = edits_dir
        self.limits = limits
        self.fetcher = fetcher
        self._fetches = ThreadPoolExecutor(FETCHERS, thread_name_prefix="bgdesk-fetch")
        self._fetching: set[int] = set()  # ids of the jobs whose photo this process fetches
        self.runner_id = secrets.token_hex(8)
        self.work_available = threading.Event()
        self.stopping = threading.Event()  # set while the runner shuts down: stop retrying
        self.lease = LEASE
        self.finish_patience = FINISH_PATIENCE
        self._in_hand: set[int] = set()  # ids of the jobs this service's runners execute
        self._in_hand_lock = threading.Lock()
        self._renewer = Background("bgdesk-leases", self._renew)  # started with a first claim
        self._closed = False
        self.keep_uploads = False  # keep an API job's copy of its photo after its cutout
        self.keep_outputs: timedelta | None = None  # how long bgdesk's own cutouts are kept

    # -- submitting ---------------------------------------------------------------------

    def submit_upload(
        self,
        account: Account,
        data: bytes,
        filename: str,
        source: str,
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
        input_path = self._upload_path(public_id, filename)
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
        source: str,
        options: OutputOptions,
        webhook_url: str | None = None,
        background: bytes | None = None,
    ) -> Job:
        """Queue the image at `url` (already checked): charged now, fetched in the background
        on a bounded pool, run once its photo is in; failed and refunded if it never is."""
        self.engine.check_model(options)
        public_id = new_job_id()
        name = PurePosixPath(urlsplit(url).path).name or "image"
        input_path = self._upload_path(public_id, name)
        with passing_trouble(), self._background_kept(public_id, options, background, None):
            job = self._create(
                account, public_id, input_path, name, True, None, source, options, webhook_url, url
            )
        self._fetch_later(job)
        return job

    def _upload_path(self, public_id: str, name: str) -> Path:
        """Where bgdesk keeps its copy of the picture called `name` for job `public_id`:
        named by the job, keeping the name's suffix only when it is a plain one."""
        suffix = PurePosixPath(name).suffix.lower()
        return self.uploads_dir / f"{public_id}{suffix if _SAFE_SUFFIX.fullmatch(suffix) else ''}"

    def _mask_path(self, public_id: str) -> Path:
        """Where the model's own mask of job `public_id` is kept, to edit its cutout by."""
        return self.edits_dir / f"{public_id}.mask.png"

    def _background_path(self, public_id: str) -> Path:
        """Where the picture behind job `public_id`'s subject is kept."""
        return self.edits_dir / f"{public_id}.background"

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
        picture = self._check_background(background) if background is not None else None
        if image is not None:
            self.engine.check_memory(image, options, picture)
        if background is None:
            yield
            return
        path = self._background_path(public_id)
        self._keep_background(public_id, background)
        try:
            yield
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    def _keep_background(self, public_id: str, picture: bytes) -> None:
        """Keep `picture` as job `public_id`'s background; the jobs of a batch laid on one
        picture share one copy of it."""
        write_shared(self._background_path(public_id), picture, self.edits_dir / "pictures")

    def _check_background(self, picture: bytes) -> ImageInfo:
        try:
            return self.engine.inspect(picture)
        except InvalidRequest as exc:
            raise type(exc)(f"The background picture: {exc.message}") from None

    def submit_file(
        self,
        account: Account,
        path: Path,
        source: str,
        options: OutputOptions,
        output_path: Path | None = None,
        background: bytes | None = None,
    ) -> Job:
        """Queue an image file in place (CLI, files dropped on the window)."""
        path = path.resolve()
        image = self.engine.inspect(self._read_input(path))
        self.engine.check_model(options)
        public_id = new_job_id()
        with passing_trouble(), self._background_kept(public_id, options, background, image):
            return self._create(
                account, public_id, path, path.name, False, output_path, source, options, None
            )

    def _read_input(self, path: Path, in_place: bool = False) -> bytes:
        """The photo at `path`; `in_place`: a file of the person's, queued under the real
        path it had then, which is read only if it is still that file, not a link put in
        its place since (whoever may write in a watched folder could otherwise have bgdesk
        read, and cut out where they can see it, any photo the owner can)."""
        try:
            flags = os.O_RDONLY | (getattr(os, "O_NOFOLLOW", 0) if in_place else 0)
            with os.fdopen(os.open(path, flags), "rb") as file:
                opened = os.fstat(file.fileno())
                if in_place and (
                    path.resolve() != path or not os.path.samestat(opened, path.stat())
                ):  # a folder on its way made a link: it leads elsewhere now
                    raise OSError(errno.ELOOP, "")
                size = opened.st_size
                if size > self.limits.max_bytes:
                    raise ImageTooLarge(
                        f"{path.name} is {size / 1e6:.1f} MB; the limit is "
                        f"{self.limits.max_bytes / 1e6:.1f} MB."
                    )
                return file.read()
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise InvalidRequest(
                    f"{path.name} was replaced by a link since it was queued; bgdesk does not "
                    "follow it."
                ) from None
            raise InvalidRequest(f"Cannot read {path.name}: {exc.strerror or exc}") from None

    def _create(
        self,
        account: Account,
        public_id: str,
        input_path: Path,
        input_name: str,
        owns_input: bool,
        output_path: Path | None,
        source: str,
        options: OutputOptions,
        webhook_url: str | None,
        input_url: str | None = None,
    ) -> Job:
        if source not in SOURCES:
            raise ValueError(f"unknown job source {source!r}")
        output = (
            output_path.resolve()
            if output_path
            else self.outputs_dir / f"{public_id}.{options.extension}"
        )
        with writing():
            current = locked(Account.select().where(Account.id == account.id)).get()
            if current.status != "active":
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
                source=source,
                input_path=str(input_path),
                input_name=printable(input_name),
                owns_input=owns_input,
                output_path=str(output),
                output_token=secrets.token_urlsafe(32),
                options=json.dumps(options.to_dict()),
                webhook_url=webhook_url,
                input_url=input_url,
                input_ready=input_url is None,
            )
            self.ledger.charge(job)
        self._announce(JobEventKind.QUEUED, job)
        self.work_available.set()
        return job

    # -- fetching image_url inputs ------------------------------------------------------

    def resume_fetches(self) -> int:
        """Fetch again the photos of jobs still waiting for one (their process stopped)."""
        waiting = list(
            Job.select().where(Job.status == JobState.QUEUED, Job.input_ready == False)  # noqa: E712
        )
        for job in waiting:
            self._fetch_later(job)
        return len(waiting)

    def _fetch_later(self, job: Job) -> None:
        with self._in_hand_lock:
            if job.id in self._fetching or self.fetcher is None:
                return
            self._fetching.add(job.id)
        self._fetches.submit(self._fetch, job)

    def _fetch(self, job: Job) -> None:
        """Fetch a waiting job's photo and queue it for the runners, or fail and refund it."""
        assert self.fetcher is not None and job.input_url is not None
        try:
            data, _ = self.fetcher.fetch(job.input_url)
            options = options_of(job)
            background = self._background_of(job) if options.bg_image else None
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
            self._fail_waiting(job, exc)
        except Exception as exc:  # the job must still end
            log.exception("Fetching the photo of job %s failed", job.public_id)
            self._fail_waiting(job, ProcessingFailed(f"Fetching the image failed: {exc}"))
        finally:
            with self._in_hand_lock:
                self._fetching.discard(job.id)

    def _fail_waiting(self, job: Job, error: BgdeskError) -> None:
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
                    self._settle(job, JobState.FAILED)
        except BgdeskError as exc:
            log.error("Job %s could not be failed (%s)", job.public_id, exc.message)
            return
        if changed:
            self._announce(JobEventKind.FAILED, job)

    def close(self) -> None:
        """Stop fetching (fetches under way end within their timeout) and renewing leases."""
        self._fetches.shutdown(wait=False, cancel_futures=True)
        with self._in_hand_lock:
            self._closed = True
        self._renewer.stop()

    # -- reading ------------------------------------------------------------------------

    def get(self, public_id: str, account: Account | None = None) -> Job:
        """The job `public_id`; another account's job is as unknown as a missing one."""
        query = Job.public_id == public_id
        if account is not None:
            query &= Job.account == account
        job = Job.get_or_none(query)
        if job is None:
            raise NotFound(f"No job {public_id!r}.")
        return job

    def by_output_token(self, token: str) -> Job:
        job = Job.get_or_none(Job.output_token == token)
        if job is None or not job.has_output:
            raise NotFound("No output at this address.")
        return job

    def get_many(self, public_ids: list[str]) -> dict[str, Job]:
        return {job.public_id: job for job in Job.select().where(Job.public_id.in_(public_ids))}

    def recent(
        self,
        account: Account | None = None,
        limit: int = 50,
        offset: int = 0,
        status: str | None = None,
    ) -> list[Job]:
        query = Job.select()
        if account is not None:
            query = query.where(Job.account == account)
        if status:
            query = query.where(Job.status == status)
        return list(query.order_by(Job.id.desc()).limit(limit).offset(offset))

    def changed_since(self, moment: datetime) -> list[Job]:
        """Jobs created, started, finished or deleted at or after `moment`, by any process."""
        return list(
            Job.select()
            .where(
                (Job.created_at >= moment)
                | (Job.started_at >= moment)
                | (Job.completed_at >= moment)
                | (Job.output_deleted_at >= moment)
                | (Job.edited_at >= moment)
            )
            .order_by(Job.id)
        )

    def unfinished_by_output(self) -> dict[Path, Job]:
        """The jobs that have not ended yet, by the path their cutout goes to: a rerun after
        a crash waits for these rather than paying for the same cutout twice."""
        return {
            Path(job.output_path): job
            for job in Job.select().where(Job.status.in_(UNFINISHED)).order_by(Job.id)
        }

    def unfinished(self) -> tuple[int, int]:
        """How many jobs, of every account and process, are (running, waiting)."""
        return (
            Job.select().where(Job.status == JobState.RUNNING).count(),
            Job.select().where(Job.status == JobState.QUEUED).count(),
        )

    def count(self, account: Account | None = None) -> int:
        query = Job.select()
        return (query.where(Job.account == account) if account else query).count()

    def estimate_seconds(self, job: Job) -> float:
        """Time until `job` is done: the jobs ahead of it and itself, at the recent pace, as
        many at a time as the runner makes side by side."""
        ahead = Job.select().where(Job.status.in_(UNFINISHED), Job.id < job.id).count()
        recent = (
            Job.select(Job.started_at, Job.completed_at)
            .where(Job.status == JobState.COMPLETED, Job.started_at.is_null(False))
            .order_by(Job.id.desc())
            .limit(20)
        )
        durations = [
            (j.completed_at - j.started_at).total_seconds()
            for j in recent
            if j.completed_at and j.started_at
        ]
        pace = sum(durations) / len(durations) if durations else 2.0
        return math.ceil((ahead + 1) / self.side_by_side) * pace

    def export(self, public_id: str, target: Path) -> Path:
        """Write a finished job's cutout to `target`, in the format its suffix names."""
        job = self.get(public_id)
        fmt = format_for_suffix(target.suffix)
        if not job.has_output:
            raise Conflict(f"{job.input_name} has no cutout to save.")
        try:
            write_atomic(target, reencode(Path(job.output_path).read_bytes(), fmt))
        except OSError as exc:
            raise InvalidRequest(f"Cannot write {target}: {exc.strerror or exc}") from None
        return target

    def export_all(
        self,
        public_ids: list[str],
        folder: Path,
        pattern: str = "{name}" + OUTPUT_SUFFIX,
        fmt: str = PNG.name,
    ) -> list[Path]:
        """Save many cutouts into `folder`, named by `pattern` ({name}, {n}, {id}); two that
        would get the same name are numbered rather than one overwriting the other."""
        written: list[Path] = []
        for n, public_id in enumerate(public_ids, start=1):
            job = self.get(public_id)
            if not job.has_output:
                continue
            try:
                stem = pattern.format(name=Path(job.input_name).stem, n=n, id=job.public_id)
            except (KeyError, IndexError, ValueError):
                raise InvalidRequest(
                    f"The name pattern {pattern!r} may use {{name}}, {{n}} "
                    "and {id}, each in braces."
                ) from None
            if not stem or Path(stem).name != stem:
                raise InvalidRequest(f"The name pattern {pattern!r} must make a file name.")
            extension = format_named(fmt).extension
            written.append(self.export(public_id, free_path(folder, stem, extension, written)))
        return written

    # -- editing ------------------------------------------------------------------------

    def editable(self, job: Job) -> str | None:
        """Why `job`'s cutout cannot be edited, or None when it can."""
        if not job.has_output:
            return f"{job.input_name} has no cutout to edit."
        if not Path(job.input_path).is_file():
            return f"The photo of {job.input_name} is gone (kept uploads: setting keep_uploads)."
        if not self._mask_path(job.public_id).is_file():
            return f"{job.input_name} was cut out without keeping the model's mask."
        return None

    def model_mask(self, public_id: str) -> bytes:
        """The model's own mask of job `public_id` (PNG, at the model's size)."""
        return self._model_mask_of(self.get(public_id))

    def _model_mask_of(self, job: Job) -> bytes:
        reason = self.editable(job)
        if reason:
            raise Conflict(reason)
        return self._mask_path(job.public_id).read_bytes()

    def edit(
        self,
        public_id: str,
        strokes: Sequence[Stroke] | None = None,
        background: Mapping[str, Any] | None = None,
        picture: bytes | None = None,
    ) -> Job:
        """Make job `public_id`'s cutout again from its photo and the model's mask, with
        `strokes` (all of them, in order: none resets to the model's mask) and `background`
        (output option fields, `picture` with `bg_image`) in place of what it has; None
        keeps what it has. The cutout is written where it was; nothing is charged."""
        job = self.get(public_id)
        mask = self._model_mask_of(job)
        edits = edits_of(job)
        if strokes is not None:
            edits["strokes"] = [stroke.to_dict() for stroke in strokes]
        if background is not None:
            submitted = options_of(job)
            wanted = submitted.with_background(background)
            edits["background"] = wanted.background
            if wanted.background == submitted.background:
                del edits["background"]
            if picture is not None:
                self._check_background(picture)
        edits = {name: value for name, value in edits.items() if value or name == "background"}
        job.edits = json.dumps(edits) if edits else None
        options = rendered_options(job)
        behind = picture
        if options.bg_image and behind is None:
            behind = self._background_of(job)
        cutout = self.engine.remove_background(
            self._read_input(Path(job.input_path)),
            options,
            behind if options.bg_image else None,
            Retouch(
                mask, job.model or self.engine.default_model, job.confidence or 0.0, strokes_of(job)
            ),
        )
        try:
            with passing_trouble():
                if options.bg_image and picture is not None:
                    self._keep_background(public_id, picture)
                write_atomic(Path(job.output_path), cutout.data)
                Job.update(
                    edits=job.edits, edited_at=utcnow(), width=cutout.width, height=cutout.height
                ).where(Job.id == job.id).execute()
        except OSError as exc:
            raise InvalidRequest(
                f"Cannot write the cutout of {job.input_name}: {exc.strerror or exc}"
            ) from None
        self._announce(JobEventKind.EDITED, job)
        return self.get(public_id)

    def retry(self, public_id: str) -> Job:
        """Queue a failed job's input again as a new job (and a new charge)."""
        job = self.get(public_id)
        if job.status != JobState.FAILED:
            raise Conflict("Only failed jobs can be retried.")
        options = options_of(job)
        account = Account.get_by_id(job.account_id)
        background = self._background_of(job) if options.bg_image else None
        if job.input_url and not Path(job.input_path).exists():  # its photo never arrived
            return self.submit_url(
                account, job.input_url, job.source, options, job.webhook_url, background
            )
        if job.owns_input:
            data = self._read_input(Path(job.input_path))
            named = Path(job.output_path).stem != job.public_id  # not bgdesk's name by id
            return self.submit_upload(
                account,
                data,
                job.input_name,
                job.source,
                options,
                job.webhook_url,
                Path(job.output_path) if named else None,
                background,
            )
        return self.submit_file(
            account, Path(job.input_path), job.source, options, Path(job.output_path), background
        )

    def _background_of(self, job: Job) -> bytes:
        """The background picture kept for `job`."""
        try:
            return self._background_path(job.public_id).read_bytes()
        except OSError:
            raise Conflict(
                f"The background picture of {job.input_name} is gone; choose it again."
            ) from None

    def cancel(self, public_id: str) -> Job:
        """Take a job that is still waiting off the queue and give its credit back."""
        job = self.get(public_id)
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
            self._settle(job, JobState.FAILED)
        self._announce(JobEventKind.FAILED, job)
        return self.get(public_id)

    def delete(
        self, public_id: str, account: Account | None = None, keep_output: bool = False
    ) -> Job:
        """Remove a finished job's output (and bgdesk's copy of its input).

        `keep_output` leaves the cutout file where it is, for a cutout the person had
        written into a folder of their own; the job still leaves the history.
        """
        job = self.get(public_id, account)
        if job.status in UNFINISHED:
            raise Conflict("The job is still processing; delete it once it has finished.")
        if not keep_output:
            Path(job.output_path).unlink(missing_ok=True)
        if job.owns_input:
            Path(job.input_path).unlink(missing_ok=True)
        self._mask_path(job.public_id).unlink(missing_ok=True)
        self._background_path(job.public_id).unlink(missing_ok=True)
        Job.update(output_deleted_at=utcnow(), edits=None).where(Job.id == job.id).execute()
        self._announce(JobEventKind.DELETED, job)
        return self.get(public_id)

    # -- running ------------------------------------------------------------------------

    def recover(self) -> int:
        """Queue again the running jobs whose runner is gone (crashed or killed)."""
        now = utcnow()
        orphans = [
            job.id
            for job in Job.select().where(Job.status == JobState.RUNNING)
            if self._orphaned(job, now)
        ]
        if not orphans:
            return 0
        with writing():
            count = (
                Job.update(
                    status=JobState.QUEUED, runner_id=None, runner_pid=None, lease_expires_at=None
                )
                .where(Job.id.in_(orphans), Job.status == JobState.RUNNING)
                .execute()
            )
        if count:
            log.info("Queued %d interrupted job(s) again", count)
            self.work_available.set()
        return int(count)

    def _orphaned(self, job: Job, now: datetime) -> bool:
        """Whether no runner holds `job` any more: its lease lapsed, or its process (on this
        machine) is gone. A job of this service's own runner is orphaned only when no runner
        has it in hand (its end could not be recorded, say)."""
        lapsed = job.lease_expires_at is None or job.lease_expires_at < now
        if job.runner_id == self.runner_id:
            with self._in_hand_lock:
                return lapsed and job.id not in self._in_hand
        here = job.runner_host in (None, HOST)  # None: written before hosts were recorded
        return lapsed or (here and not _pid_alive(job.runner_pid))

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
            with self._in_hand_lock:
                self._in_hand.add(job.id)
            (
                Job.update(
                    status=JobState.RUNNING,
                    runner_id=self.runner_id,
                    runner_host=HOST,
                    runner_pid=os.getpid(),
                    lease_expires_at=now + self.lease,
                    started_at=now,
                    attempts=Job.attempts + 1,
                )
                .where(Job.id == job.id)
                .execute()
            )
        self._keep_leases()
        job = Job.get_by_id(job.id)
        self._announce(JobEventKind.STARTED, job)
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
            with self._in_hand_lock:
                self._in_hand.discard(job.id)

    def _make(self, job: Job) -> tuple[Cutout | None, BgdeskError | None, Staged]:
        """The cutout of a claimed job, written beside its output under temporary names
        (given their names when its end is recorded); or why there is none."""
        staged: list[tuple[Path, Path]] = []
        try:
            options = options_of(job)
            data = self._read_input(Path(job.input_path), in_place=not job.owns_input)
            background = self._background_of(job) if options.bg_image else None
            cutout = self.engine.remove_background(data, options, background)
            files = [(Path(job.output_path), cutout.data)]
            if cutout.mask is not None and self._photo_kept(job):
                files.append((self._mask_path(job.public_id), cutout.mask))
            for path, content in files:
                staged.append((write_staged(path, content), path))
        except Exception as exc:
            _discard(staged)
            return None, self._failure(job, exc), []
        return cutout, None, staged

    def _failure(self, job: Job, exc: Exception) -> BgdeskError:
        """What a job that raised `exc` failed of, as its owner is told."""
        if isinstance(exc, BgdeskError):
            return exc
        if isinstance(exc, OSError):
            log.warning("Job %s: cannot write %s (%s)", job.public_id, job.output_path, exc)
            reason = exc.strerror or "an input/output error"
            return ProcessingFailed(f"The cutout could not be written: {reason}.")
        log.exception("Job %s failed", job.public_id)  # a bug or a resource failure
        return ProcessingFailed(f"Processing failed: {type(exc).__name__}: {exc}")

    def _keep_leases(self) -> None:
        """Renew the leases of the jobs in hand while they run, so that other runners know
        theirs lives: one statement for all of them, a third of a lease apart."""
        with self._in_hand_lock:
            if not self._closed:
                self._renewer.start()

    def _renew(self) -> None:
        try:
            while not self._renewer.stopping.wait(self.lease.total_seconds() / 3):
                with self._in_hand_lock:
                    held = list(self._in_hand)
                if not held:
                    continue
                try:
                    (
                        Job.update(lease_expires_at=utcnow() + self.lease)
                        .where(Job.id.in_(held), Job.runner_id == self.runner_id)
                        .execute()
                    )
                except Exception as exc:  # the next renewal may get through
                    if not told_once(exc):
                        log.warning("Could not renew the leases of jobs in hand: %s", exc)
        finally:
            database.close()

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
            _discard(staged)
        if not ended:
            return
        if cutout and not self._photo_kept(job):  # and the picture behind it, like the photo
            Path(job.input_path).unlink(missing_ok=True)
            self._background_path(job.public_id).unlink(missing_ok=True)
        self._announce(JobEventKind.COMPLETED if cutout else JobEventKind.FAILED, job)

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

    def _photo_kept(self, job: Job) -> bool:
        """Whether `job`'s photo stays once its cutout is made (so the cutout can be edited):
        a file of the person's, a photo pasted into the window (shown beside its cutout), or
        any when uploads are kept."""
        return not job.owns_input or job.source == "desktop" or self.keep_uploads

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
                    Job.runner_id == self.runner_id,
                )
                .execute()
            )
            if not changed:
                log.warning("Job %s was taken over by another runner", job.public_id)
                return False
            for temporary, path in staged:
                publish(temporary, path)
            self._settle(job, status)
        return True

    def _settle(self, job: Job, status: JobState) -> None:
        """What a job's end owes, inside the transaction recording it: a failed job's refund,
        and the webhook delivery when it named one."""
        if status == JobState.FAILED:
            self.ledger.refund(job)
        if job.webhook_url:
            WebhookDelivery.create(job=job, url=job.webhook_url, event=status)

    # -- housekeeping -------------------------------------------------------------------

    def sweep(self) -> int:
        """Remove what nobody will ask for again: bgdesk's own cutouts (and copies of photos)
        of jobs that ended longer than `keep_outputs` ago, copies of photos, masks and
        background pictures that never became a job's or that no job uses any more, and
        temporary files a killed writer left. Returns how many files went."""
        removed = 0
        if self.keep_outputs is not None:
            ended_before = utcnow() - self.keep_outputs
            expired = Job.select().where(
                Job.status.in_([JobState.COMPLETED, JobState.FAILED]),
                Job.completed_at < ended_before,
                Job.output_deleted_at.is_null(),
            )
            for job in expired:
                if Path(job.output_path).parent == self.outputs_dir:
                    self.delete(job.public_id)
                    removed += 1
        stale_before = time.time() - STALE.total_seconds()
        for folder in (self.uploads_dir, self.outputs_dir, self.edits_dir):
            for leftovers in temporaries_in(folder).values():
                removed += _remove_older(leftovers, stale_before)
        # Copies of photos, kept masks and background pictures are named by their job's id
        # (`_upload_path`, `_mask_path`, `_background_path`).
        owned: dict[str, list[Path]] = {}
        for folder in (self.uploads_dir, self.edits_dir):
            for path in _files_in(folder):
                if not path.name.startswith("."):
                    owned.setdefault(path.name.split(".")[0], []).append(path)
        ids = list(owned)
        for start in range(0, len(ids), 500):
            known = Job.select(Job.public_id).where(Job.public_id.in_(ids[start : start + 500]))
            for row in known:
                del owned[row.public_id]
        stray = [p for paths in owned.values() for p in paths]
        removed += _remove_older(stray, stale_before)
        return removed + _remove_older(unshared_in(self.edits_dir / "pictures"), stale_before)

    def _announce(self, kind: JobEventKind, job: Job) -> None:
        self.events.publish(JobEvent(kind, job.public_id, job.account_id))

    @staticmethod
    def pending_ids(public_ids: list[str]) -> set[str]:
        """Which of `public_ids` have not ended yet (read from the database)."""
        rows = Job.select(Job.public_id).where(
            Job.public_id.in_(public_ids), Job.status.in_(UNFINISHED)
        )
        return {row.public_id for row in rows}


def _discard(staged: Staged) -> None:
    """Remove the temporary files of a job's cutout that were not given their names."""
    for temporary, _ in staged:
        temporary.unlink(missing_ok=True)


def _files_in(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if p.is_file()]
    except OSError:
        return []


def _remove_older(paths: list[Path], moment: float) -> int:
    """Remove those of `paths` last changed before `moment` (seconds since the epoch)."""
    removed = 0
    for path in paths:
        try:
            if path.stat().st_mtime < moment:
                path.unlink()
                removed += 1
        except OSError:
            pass  # gone already, or not ours to remove
    return removed


def as_utc_text(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, as the API writes times."""
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"
