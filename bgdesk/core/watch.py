"""Watched folders: photos that appear in them are cut out as they arrive.

The folders are looked at every `interval` seconds (portable, and nothing to miss when the
app was closed: the first look after a start sees everything). A photo is taken once it
looked the same at two looks in a row, so a copy still being written is never read half
done. A photo is skipped when its cutout is already there or a job for it is under way, the
rule a rerun of `bgdesk remove` follows, so a restart never pays twice. Photos that would
share a cutout's name get one each (`naming.distinct_targets`), whenever each arrives. A link
that leads out of the folder is not followed unless asked (`follow_links`): whoever may write
in a watched folder should not have bgdesk read, and pay for, any photo it can reach.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from bgdesk.background import Background
from bgdesk.core.intake import JobIntake
from bgdesk.core.naming import (
    colliding,
    cutout_target,
    distinct_targets,
    given_before,
    is_cutout,
    too_long,
)
from bgdesk.core.queries import JobQueries
from bgdesk.errors import BgdeskError, InsufficientCredits, TemporarilyUnavailable
from bgdesk.inference.decode import images_in
from bgdesk.request.options import OutputOptions
from bgdesk.storage.models import Account, Job, JobSource

log = logging.getLogger(__name__)

LINK_OUTSIDE = (
    "a link to a file outside the watched folder, not followed "
    "(the setting watch_follow_links lets such links in)"
)


@dataclass(frozen=True)
class Watched:
    """What a look found to do: a photo, where its cutout goes, and its job (or why not)."""

    photo: Path
    target: Path
    job: Job | None
    error: str | None = None


class FolderWatcher:
    """Looks at `folders` every `interval` seconds and queues a job for each new photo,
    its cutout in `output` (or beside it), made with the options of the moment."""

    def __init__(
        self,
        intake: JobIntake,
        jobs: JobQueries,
        account: Callable[[], Account],
        folders: list[Path],
        output: Path | None,
        options: Callable[[], OutputOptions],
        source: JobSource = JobSource.CLI,
        interval: float = 1.0,
        on_found: Callable[[Watched], None] = lambda found: None,
        background: bytes | None = None,
        follow_links: bool = False,
    ) -> None:
        self.intake = intake
        self.jobs = jobs
        self.account = account
        self.folders = [folder.resolve() for folder in folders]
        self.output = output.resolve() if output else None
        self.options = options
        self.source = source
        self.interval = interval
        self.on_found = on_found
        self.background = background  # the picture behind each subject, when options say so
        self.follow_links = follow_links  # take photos through links that leave the folder
        self.paused = threading.Event()
        self.rounds = 0  # turns taken, with a look or (paused) without: shows it had its chance
        self._looks: dict[Path, tuple[int, int]] = {}  # size and time at the last look
        self._handled: dict[Path, tuple[int, int]] = {}  # submitted or refused, as it was then
        self._given: dict[Path, Path] = {}  # the cutout each handled photo was given
        self._links_told: set[Path] = set()
        self._background = Background("bgdesk-watch", self._run)
        self._stopping = self._background.stopping
        self._told_no_credits = False

    def start(self) -> None:
        self._background.start()

    def stop(self) -> None:
        self._background.stop()

    def _run(self) -> None:
        while not self._stopping.is_set():
            if not self.paused.is_set():
                try:
                    self.look()
                except Exception as exc:  # a folder gone, a busy database: look again later
                    log.warning("Watching the folders failed (%s); trying again", exc)
            self.rounds += 1
            self._stopping.wait(self.interval)

    def look(self) -> list[Watched]:
        """One look at the folders: queue every photo that has settled since the last look
        and has neither a cutout nor a job under way."""
        options = self.options()
        wanted: dict[Path, Path] = {}
        due: dict[Path, tuple[int, int]] = {}
        found: list[Watched] = []
        for folder in self.folders:
            for photo in images_in(folder):
                resolved = photo.resolve()
                if is_cutout(photo) or self._in_output(resolved):
                    continue
                target = cutout_target(
                    photo, photo.parent.relative_to(folder), self.output, options.extension
                )
                if not self.follow_links and not resolved.is_relative_to(folder):
                    if photo not in self._links_told:  # said once, not at every look
                        self._links_told.add(photo)
                        found.append(self._found(Watched(photo, target, None, LINK_OUTSIDE)))
                    continue
                wanted[photo] = target
                look = self._due(photo)
                if look is not None:
                    due[photo] = look
        if due:
            targets = self._targets(wanted, due)
            unfinished = self.jobs.unfinished_by_output()
            for photo, look in due.items():
                outcome = self._consider(photo, look, targets[photo], unfinished, options)
                if outcome is not None:
                    found.append(self._found(outcome))
        return found

    def _found(self, outcome: Watched) -> Watched:
        self.on_found(outcome)  # at once: its job may end before the look does
        return outcome

    def _due(self, photo: Path) -> tuple[int, int] | None:
        """How `photo` looks, if it has settled since the last look and was not handled
        as it is now."""
        try:
            info = photo.stat()
        except OSError:
            return None
        look = (info.st_size, info.st_mtime_ns)
        settled = self._looks.get(photo) == look
        self._looks[photo] = look
        if not settled or self._handled.get(photo) == look:
            return None
        return look

    def _targets(self, wanted: dict[Path, Path], due: Collection[Path]) -> dict[Path, Path]:
        """Distinct cutouts for the photos in the folders, each keeping the one it was
        given before: by this watcher, or by a job (asked only when a photo due now shares
        its cutout's name with another)."""
        clashing = colliding(wanted)
        earlier = [(photo, target) for photo, target in self._given.items() if photo in wanted]
        if not set(clashing).isdisjoint(due):
            earlier += given_before(clashing)  # later than what this watcher saw on the disk
        return distinct_targets(wanted, earlier)

    def _consider(
        self,
        photo: Path,
        look: tuple[int, int],
        target: Path,
        unfinished: dict[Path, Job],
        options: OutputOptions,
    ) -> Watched | None:
        problem = too_long(target)
        if problem:
            self._handled[photo] = look
            return Watched(photo, target, None, problem)
        if target.exists() or target.resolve() in unfinished:
            self._handled[photo] = look
            self._given[photo] = target
            return None
        try:
            job = self.intake.submit_file(
                self.account(),
                photo,
                self.source,
                options,
                target,
                self.background,
                next((f for f in self.folders if photo.is_relative_to(f)), None),
            )
        except InsufficientCredits as exc:
            if not self._told_no_credits:  # said once; tried again at every look
                self._told_no_credits = True
                return Watched(photo, target, None, exc.message)
            return None
        except TemporarilyUnavailable:
            return None  # a full disk or a busy database: the next look tries again
        except BgdeskError as exc:
            self._handled[photo] = look  # tried again only once the file changes
            return Watched(photo, target, None, exc.message)
        self._told_no_credits = False
        self._handled[photo] = look
        self._given[photo] = target
        return Watched(photo, target, job)

    def _in_output(self, resolved: Path) -> bool:
        return self.output is not None and resolved.is_relative_to(self.output)
