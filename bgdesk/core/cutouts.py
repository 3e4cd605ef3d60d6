"""`CutoutService`: what people do with a made cutout — touch it up and change its background
(made again from the photo and the model's mask, nothing charged), have a stronger model cut it
out again, save it elsewhere in any format, take many away in one ZIP, or delete it."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from bgdesk.core.events import EventBus, JobEventKind
from bgdesk.core.job_files import JobFiles, check_background
from bgdesk.core.job_records import announce, edits_of, marks_of, options_of, rendered_options
from bgdesk.core.naming import OUTPUT_SUFFIX, cutout_stem, free_path
from bgdesk.core.queries import JobQueries
from bgdesk.errors import Conflict, InvalidRequest, NotFound
from bgdesk.inference.compose import reencode
from bgdesk.inference.engine import CutoutEngine, Retouch
from bgdesk.inference.marks import MAX_MARKS, Mark, mark_to_dict
from bgdesk.inference.selection import SubjectBox
from bgdesk.request.formats import PNG, format_for_suffix, format_named
from bgdesk.storage.failures import passing_trouble
from bgdesk.storage.files import write_atomic
from bgdesk.storage.models import UNFINISHED, Account, Job, utcnow

ZIP_CHUNK = 1 << 20  # bytes of a cutout read into a ZIP at a time


class CutoutService:
    """Edits, exports and deletes the cutouts of finished jobs."""

    def __init__(
        self, engine: CutoutEngine, events: EventBus, files: JobFiles, queries: JobQueries
    ) -> None:
        self.engine = engine
        self.events = events
        self.files = files
        self.queries = queries

    def editable(self, job: Job) -> str | None:
        """Why `job`'s cutout cannot be edited, or None when it can."""
        if not job.has_output:
            return f"{job.input_name} has no cutout to edit."
        if not Path(job.input_path).is_file():
            return (
                f"The photo of {job.input_name} is no longer kept, so its cutout cannot be made "
                "again; submit the photo again to edit it (setting keep_uploads keeps photos)."
            )
        if not self.files.mask(job.public_id).is_file():
            return f"{job.input_name} was cut out without keeping the model's mask."
        return None

    def model_mask(self, public_id: str) -> bytes:
        """The model's own mask of job `public_id` (PNG, at the model's size)."""
        return self._model_mask_of(self.queries.get(public_id))

    def _model_mask_of(self, job: Job) -> bytes:
        reason = self.editable(job)
        if reason:
            raise Conflict(reason)
        return self.files.mask(job.public_id).read_bytes()

    def marks(self, public_id: str, account: Account | None = None) -> tuple[Mark, ...]:
        """The marks laid on job `public_id`'s cutout, in order."""
        return marks_of(self.queries.get(public_id, account))

    def edit(
        self,
        public_id: str,
        marks: Sequence[Mark] | None = None,
        background: Mapping[str, Any] | None = None,
        picture: bytes | None = None,
        account: Account | None = None,
    ) -> Job:
        """Make job `public_id`'s cutout again from its photo and the model's mask, with
        `marks` (strokes, clicks and boxes, all of them in order: none resets to the model's
        mask) and `background` (output option fields, `picture` with `bg_image`) in place of
        what it has; None keeps what it has. The cutout is written where it was, under the
        same name (watched folders and reruns of `bgdesk remove` know a photo is done by its
        cutout's name); nothing is charged."""
        job = self.queries.get(public_id, account)
        mask = self._model_mask_of(job)
        if picture is not None:
            check_background(self.engine, picture)
        if marks is not None:
            if len(marks) > MAX_MARKS:
                raise InvalidRequest(
                    f"A cutout takes at most {MAX_MARKS:,} marks; {len(marks):,} sent."
                )
            marks = self._with_box_models(marks)
        job.edits = _edits_with(job, marks, background)
        options = rendered_options(job)
        behind = picture
        if options.bg_image and behind is None:
            behind = self.files.background_of(job)
        cutout = self.engine.remove_background(
            self.files.read_input(Path(job.input_path)),
            options,
            behind if options.bg_image else None,
            Retouch(
                mask, job.model or self.engine.default_model, job.confidence or 0.0, marks_of(job)
            ),
        )
        with _rewriting(job):
            if options.bg_image and picture is not None:
                self.files.keep_background(public_id, picture)
            write_atomic(Path(job.output_path), cutout.data)
            Job.update(
                edits=job.edits, edited_at=utcnow(), width=cutout.width, height=cutout.height
            ).where(Job.id == job.id).execute()
        announce(self.events, JobEventKind.EDITED, job)
        return self.queries.get(public_id)

    def recut(self, public_id: str, model: str | None = None) -> Job:
        """Cut job `public_id`'s photo out again with `model` (None: the installed model
        measured to fail less often than the one that made it), in place of the model's mask
        and the marks laid on it; its background stays. Nothing is charged."""
        job = self.queries.get(public_id)
        reason = self.editable(job)
        if reason:
            raise Conflict(reason)
        model = model or self.engine.stronger_model(job.model)
        if model is None:
            raise Conflict(
                f"No model that does better than {job.model} is installed; fix the cutout of "
                f"{job.input_name} with clicks and the brush instead."
            )
        job.edits = _edits_with(job, (), None)
        options = replace(rendered_options(job), model=model, quality=None)
        cutout = self.engine.remove_background(
            self.files.read_input(Path(job.input_path)),
            options,
            self.files.background_of(job) if options.bg_image else None,
        )
        mask = self.files.mask(public_id)
        previous = mask.read_bytes()
        with _rewriting(job):
            # The mask and the record change together (the record's marks were laid on the
            # old mask); the cutout's file follows, made again by the next edit if writing
            # it fails.
            write_atomic(mask, cutout.mask or previous)
            try:
                Job.update(
                    edits=job.edits,
                    edited_at=utcnow(),
                    width=cutout.width,
                    height=cutout.height,
                    model=cutout.model,
                    confidence=cutout.confidence,
                    warning=cutout.warning,
                ).where(Job.id == job.id).execute()
            except BaseException:
                write_atomic(mask, previous)
                raise
            write_atomic(Path(job.output_path), cutout.data)
        announce(self.events, JobEventKind.EDITED, job)
        return self.queries.get(public_id)

    def _with_box_models(self, marks: Sequence[Mark]) -> list[Mark]:
        """`marks` with each box naming the model that looks inside it, so the cutout is
        made the same way again whatever is installed later."""
        return [
            replace(mark, model=self.engine.box_model(mark.model))
            if isinstance(mark, SubjectBox)
            else mark
            for mark in marks
        ]

    def export(self, public_id: str, target: Path) -> Path:
        """Write a finished job's cutout to `target`, in the format its suffix names."""
        job = self.queries.get(public_id)
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
        """Save many cutouts into `folder`, named by `pattern` ({name}, {n} — zero-padded to
        as many digits as the last number has, so the files sort in order — and {id}); two
        that would get the same name are numbered rather than one overwriting the other."""
        written: list[Path] = []
        extension = format_named(fmt).extension
        jobs = [job for job in self.queries.get_many(public_ids).values() if job.has_output]
        order = {public_id: n for n, public_id in enumerate(public_ids)}
        jobs.sort(key=lambda job: order[job.public_id])
        digits = len(str(len(jobs)))
        for n, job in enumerate(jobs, start=1):
            stem = _name_by(pattern, job, Padded(n, digits))
            target = free_path(folder, stem, extension, written)
            written.append(self.export(job.public_id, target))
        return written

    def archive(self, public_ids: Sequence[str], account: Account) -> Iterator[bytes]:
        """The cutouts of jobs `public_ids` of `account` as one ZIP, a piece at a time and
        a chunk in memory at a time, each named after its photo (a second
        `coffee-nobg.png` as `coffee-nobg-2.png`). A job without a cutout is refused by
        name before the first piece."""
        found = self.queries.get_many(list(public_ids))
        jobs = []
        for public_id in dict.fromkeys(public_ids):
            job = found.get(public_id)
            if job is None or job.account_id != account.id:
                raise NotFound(f"No job {public_id!r}.")
            if not job.has_output or not Path(job.output_path).is_file():
                raise Conflict(f"{job.input_name} has no cutout to take.")
            jobs.append(job)
        return _zipped(jobs)

    def delete(
        self, public_id: str, account: Account | None = None, keep_output: bool = False
    ) -> Job:
        """Remove a finished job's output (and bgdesk's copy of its input).

        `keep_output` leaves the cutout file where it is, for a cutout the person had
        written into a folder of their own; the job still leaves the history.
        """
        job = self.queries.get(public_id, account)
        if job.status in UNFINISHED:
            raise Conflict("The job is still processing; delete it once it has finished.")
        self.files.remove(job, keep_output)
        Job.update(output_deleted_at=utcnow(), edits=None).where(Job.id == job.id).execute()
        announce(self.events, JobEventKind.DELETED, job)
        return self.queries.get(public_id)


class _Pieces:
    """What a ZIP writer writes, kept until it is handed on."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.pieces.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def taken(self) -> Iterator[bytes]:
        yield from self.pieces
        self.pieces.clear()


def _zipped(jobs: Sequence[Job]) -> Iterator[bytes]:
    pieces, taken = _Pieces(), set[str]()
    with zipfile.ZipFile(pieces, "w", zipfile.ZIP_STORED) as archive:  # PNGs are packed
        for job in jobs:
            name = _entry_name(job, taken)
            with open(job.output_path, "rb") as cutout, archive.open(name, "w") as entry:
                while chunk := cutout.read(ZIP_CHUNK):
                    entry.write(chunk)
                    yield from pieces.taken()
            yield from pieces.taken()
    yield from pieces.taken()


def _entry_name(job: Job, taken: set[str]) -> str:
    """`coffee-nobg.png` for a photo named `coffee.jpg`, whatever folders, drive or `..` its
    name carries (an archive opened on Windows reads `\\` as a folder too), and not one
    taken, letter case aside (Windows and macOS folders ignore it)."""
    base = PureWindowsPath(PurePosixPath(job.input_name).name).name.strip(" .") or "image"
    stem, suffix, n = cutout_stem(base), Path(job.output_path).suffix, 1
    while (name := f"{stem}{'' if n == 1 else f'-{n}'}{suffix}").casefold() in taken:
        n += 1
    taken.add(name.casefold())
    return name


@contextmanager
def _rewriting(job: Job) -> Iterator[None]:
    """Write `job`'s cutout again: the database's troubles said as ours, a file that cannot
    be written as a request that cannot be met."""
    try:
        with passing_trouble():
            yield
    except OSError as exc:
        raise InvalidRequest(
            f"Cannot write the cutout of {job.input_name}: {exc.strerror or exc}"
        ) from None


def _edits_with(
    job: Job, marks: Sequence[Mark] | None, background: Mapping[str, Any] | None
) -> str | None:
    """`job`'s edits as JSON with `marks` and `background` in place of its own (None
    keeps them); a background equal to the submitted one is no edit."""
    edits = edits_of(job)
    if marks is not None:
        edits.pop("strokes", None)
        edits["marks"] = [mark_to_dict(mark) for mark in marks]
    if background is not None:
        submitted = options_of(job)
        wanted = submitted.with_background(background)
        edits["background"] = wanted.background
        if wanted.background == submitted.background:
            del edits["background"]
    edits = {name: value for name, value in edits.items() if value or name == "background"}
    return json.dumps(edits) if edits else None


class Padded(int):
    """A number in an export's names: zero-padded to `digits` unless the pattern says how
    (`{n}` → 07, `{n:3}` → "  7")."""

    digits: int

    def __new__(cls, value: int, digits: int) -> Padded:
        number = super().__new__(cls, value)
        number.digits = digits
        return number

    def __format__(self, spec: str) -> str:
        return int.__format__(self, spec or f"0{self.digits}d")


def _name_by(pattern: str, job: Job, n: int) -> str:
    """The file name (without extension) `pattern` gives job `job`, the `n`th exported."""
    try:
        stem = pattern.format(name=Path(job.input_name).stem, n=n, id=job.public_id)
    except (KeyError, IndexError, ValueError):
        raise InvalidRequest(
            f"The name pattern {pattern!r} may use {{name}}, {{n}} and {{id}}, each in braces."
        ) from None
    if not stem or Path(stem).name != stem:
        raise InvalidRequest(f"The name pattern {pattern!r} must make a file name.")
    return stem
