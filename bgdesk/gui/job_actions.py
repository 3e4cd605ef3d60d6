"""What the menus do to the jobs selected in the queue: one row or many."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

from bgdesk.core.app import Core
from bgdesk.core.job_records import marks_of
from bgdesk.errors import BgdeskError
from bgdesk.gui.exporter import CutoutExporter
from bgdesk.gui.queue import JobQueue
from bgdesk.storage.models import UNFINISHED, Job, JobState


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class JobActions:
    """Save, export, copy, reveal, retry, cancel, cut out again and remove the selected
    jobs."""

    def __init__(
        self,
        core: Core,
        queue: JobQueue,
        exporter: CutoutExporter,
        parent: QWidget,
        tell: Callable[[str], None],
        settle: Callable[[], None] = lambda: None,
        recut_later: Callable[[str], None] = lambda job_id: None,
    ) -> None:
        """`settle` is called before a cutout is read: edits still being saved are written;
        `recut_later` has a job cut out again off the GUI thread."""
        self.core = core
        self.settle = settle
        self.recut_later = recut_later
        self.queue = queue
        self.exporter = exporter
        self.parent = parent
        self.tell = tell

    def selected(self) -> list[Job]:
        found = self.core.jobs.get_many(self.queue.selected_ids())
        return [found[job_id] for job_id in self.queue.selected_ids() if job_id in found]

    def _finished(self) -> list[Job]:
        self.settle()
        return [job for job in self.selected() if job.has_output]

    def save(self) -> None:
        """One cutout: confirm or ask where; several: export them into one folder."""
        finished = self._finished()
        if len(finished) == 1:
            self.exporter.save(finished[0])
        elif finished:
            self.exporter.export_all(finished)

    def save_as(self) -> None:
        if finished := self._finished():
            self.exporter.save_as(finished[0])

    def copy(self) -> None:
        if finished := self._finished():
            self.exporter.copy(finished[0])

    def reveal(self) -> None:
        if chosen := self.selected():
            self.exporter.reveal(chosen[0])

    def copy_path(self) -> None:
        if chosen := self.selected():
            self.exporter.copy_path(chosen[0])

    def export(self) -> None:
        """The selected cutouts, one or many; with none selected, every one the list shows."""
        if self.queue.selected_ids():
            chosen = self._finished()
        else:
            self.settle()
            shown = self.queue.visible_ids()
            found = self.core.jobs.get_many(shown)
            chosen = [found[i] for i in shown if i in found and found[i].has_output]
        if not chosen:
            self.tell("No finished cutouts to export.")
            return
        self.exporter.export_all(chosen)

    def retry(self) -> None:
        failed = [job for job in self.selected() if job.status == JobState.FAILED]
        self._each(failed, lambda job: self.core.intake.retry(job.public_id), "queued again")

    def cancel(self) -> None:
        waiting = [job for job in self.selected() if job.status == JobState.QUEUED]
        if not waiting:
            self.tell("Only waiting jobs can be cancelled.")
            return
        self._each(
            waiting,
            lambda job: self.core.intake.cancel(job.public_id),
            "cancelled; their credits are back",
        )

    def recut(self) -> None:
        """Have the installed model that does better cut the selected cutouts out again (a
        doubtful cutout's second chance); touch-ups made on them go, once agreed to."""
        finished = self._finished()
        if not finished:
            self.tell("Choose a finished cutout first.")
            return
        editable = [job for job in finished if self.core.cutouts.editable(job) is None]
        if not editable:
            self.tell(self.core.cutouts.editable(finished[0]) or "")
            return
        stronger = self.core.engine.stronger_model
        ready = [(job, model) for job in editable if (model := stronger(job.model))]
        if not ready:
            self.tell(
                f"No model that does better than {editable[0].model or 'the one used'} is "
                "installed; W fixes the cutout with clicks."
            )
            return
        what = ready[0][0].input_name if len(ready) == 1 else plural(len(ready), "cutout")
        if any(marks_of(job) for job, _ in ready):
            them = "it" if len(ready) == 1 else "them"
            answer = QMessageBox.question(
                self.parent,
                "Cut out again",
                f"Cut {what} out again with {ready[0][1]}? The touch-ups made on {them} are "
                "replaced by the new cutout.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        for job, _ in ready:
            self.recut_later(job.public_id)
        self.tell(f"Cutting {what} out again with {ready[0][1]}…")

    def remove(self) -> None:
        """Drop the selected finished jobs; cutouts in folders of the person's own stay."""
        finished = [job for job in self.selected() if job.status not in UNFINISHED]
        if not finished:
            if self.selected():
                self.tell("Jobs still waiting or working can be cancelled, not removed.")
            return
        kept = [job for job in finished if job.has_output and self.exporter.in_own_folder(job)]
        what = finished[0].input_name if len(finished) == 1 else plural(len(finished), "job")
        note = ""
        if len(kept) == 1:
            note = f"\n\nThe cutout at {kept[0].output_path} is kept."
        elif kept:
            note = f"\n\nThe {len(kept)} cutouts saved in your folders are kept."
        answer = QMessageBox.question(
            self.parent, "Remove from history", f"Remove {what} from the history?{note}"
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._each(
                finished,
                lambda job: self.core.cutouts.delete(
                    job.public_id, keep_output=self.exporter.in_own_folder(job)
                ),
                "removed",
            )

    def _each(self, jobs: list[Job], act: Callable[[Job], object], done: str) -> None:
        """Act on every job; say how many it did and why any was left."""
        problems: list[str] = []
        for job in jobs:
            try:
                act(job)
            except BgdeskError as exc:
                problems.append(f"{job.input_name}: {exc.message}")
        acted = len(jobs) - len(problems)
        if acted:
            self.tell(f"{plural(acted, 'job')} {done}." + (f" {problems[0]}" if problems else ""))
        elif problems:
            self.tell(problems[0])
