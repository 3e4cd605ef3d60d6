"""`JobFiles`: where a job's files live and how they are named — bgdesk's copy of its photo,
the model's mask, the picture behind its subject, a cutout named by the job — and reading a
person's photo without following a link swapped in for it."""

from __future__ import annotations

import errno
import os
import re
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path, PurePosixPath

from bgdesk.errors import Conflict, ImageTooLarge, InvalidRequest
from bgdesk.inference.decode import ImageInfo, Limits
from bgdesk.inference.engine import CutoutEngine
from bgdesk.storage.files import temporaries_in, unshared_in, write_shared
from bgdesk.storage.models import Job

STALE = timedelta(minutes=10)  # a leftover file this old belongs to no live writer
Staged = Sequence[tuple[Path, Path]]  # a cutout's files, written: (temporary name, its name)
_SAFE_SUFFIX = re.compile(r"\.[a-z0-9]{1,5}")


class JobFiles:
    """The folders bgdesk keeps jobs' files in, and each file's name in them. Every kept file
    but a cutout the person named is named by its job's id, so whose it is can be read off
    the name (`kept_by_job`)."""

    def __init__(self, uploads_dir: Path, outputs_dir: Path, edits_dir: Path, limits: Limits):
        self.uploads_dir = uploads_dir
        self.outputs_dir = outputs_dir
        self.edits_dir = edits_dir
        self.limits = limits

    def upload(self, public_id: str, name: str) -> Path:
        """Where bgdesk keeps its copy of the picture called `name` for job `public_id`:
        named by the job, keeping the name's suffix only when it is a plain one."""
        suffix = PurePosixPath(name).suffix.lower()
        return self.uploads_dir / f"{public_id}{suffix if _SAFE_SUFFIX.fullmatch(suffix) else ''}"

    def output(self, public_id: str, extension: str) -> Path:
        """Where job `public_id`'s cutout goes when nobody named a place for it."""
        return self.outputs_dir / f"{public_id}.{extension}"

    def mask(self, public_id: str) -> Path:
        """Where the model's own mask of job `public_id` is kept, to edit its cutout by."""
        return self.edits_dir / f"{public_id}.mask.png"

    def background(self, public_id: str) -> Path:
        """Where the picture behind job `public_id`'s subject is kept."""
        return self.edits_dir / f"{public_id}.background"

    @property
    def _pictures(self) -> Path:
        return self.edits_dir / "pictures"

    def keep_background(self, public_id: str, picture: bytes) -> None:
        """Keep `picture` as job `public_id`'s background; the jobs of a batch laid on one
        picture share one copy of it."""
        write_shared(self.background(public_id), picture, self._pictures)

    def background_of(self, job: Job) -> bytes:
        """The background picture kept for `job`."""
        try:
            return self.background(job.public_id).read_bytes()
        except OSError:
            raise Conflict(
                f"The background picture of {job.input_name} is gone; choose it again."
            ) from None

    def read_input(self, path: Path, in_place: bool = False) -> bytes:
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

    def remove(self, job: Job, keep_output: bool = False) -> None:
        """Remove what bgdesk keeps of `job`: its cutout (unless `keep_output`), its copy of
        the photo, the model's mask and the background picture."""
        if not keep_output:
            Path(job.output_path).unlink(missing_ok=True)
        if job.owns_input:
            Path(job.input_path).unlink(missing_ok=True)
        self.mask(job.public_id).unlink(missing_ok=True)
        self.background(job.public_id).unlink(missing_ok=True)

    def remove_photo(self, job: Job) -> None:
        """Remove bgdesk's copy of `job`'s photo and the picture behind it, once its cutout
        is made and nobody will edit it."""
        Path(job.input_path).unlink(missing_ok=True)
        self.background(job.public_id).unlink(missing_ok=True)

    def kept_by_job(self) -> dict[str, list[Path]]:
        """The copies of photos, masks and background pictures kept, by the id of the job
        they were named for."""
        owned: dict[str, list[Path]] = {}
        for folder in (self.uploads_dir, self.edits_dir):
            for path in _files_in(folder):
                if not path.name.startswith("."):
                    owned.setdefault(path.name.split(".")[0], []).append(path)
        return owned

    def remove_leftovers(self, stray: list[Path]) -> int:
        """Remove `stray` files and the temporary files a killed writer left, and pictures no
        job shares any more, each once it has not changed for `STALE`. Returns how many."""
        stale_before = time.time() - STALE.total_seconds()
        removed = _remove_older(stray, stale_before)
        for folder in (self.uploads_dir, self.outputs_dir, self.edits_dir):
            for leftovers in temporaries_in(folder).values():
                removed += _remove_older(leftovers, stale_before)
        return removed + _remove_older(unshared_in(self._pictures), stale_before)


def check_background(engine: CutoutEngine, picture: bytes) -> ImageInfo:
    """What the background picture `picture` is, or an error that says it is the picture
    behind the subject that is wrong."""
    try:
        return engine.inspect(picture)
    except InvalidRequest as exc:
        raise type(exc)(f"The background picture: {exc.message}") from None


def discard(staged: Staged) -> None:
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
