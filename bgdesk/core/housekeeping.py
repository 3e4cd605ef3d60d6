"""`Housekeeping`: what nobody will ask for again leaves the disk — bgdesk's own cutouts once
they are older than the setting keeps them, files that never became a job's or that no job uses
any more, and temporary files a killed writer left."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bgdesk.core.cutouts import CutoutService
from bgdesk.core.job_files import JobFiles
from bgdesk.settings import Settings
from bgdesk.storage.models import Job, JobState, utcnow

_IDS_A_QUERY = 500  # job ids looked up in one statement


class Housekeeping:
    """Sweeps the folders of jobs' files; the runner calls it now and then."""

    def __init__(
        self, files: JobFiles, cutouts: CutoutService, keep_outputs: timedelta | None = None
    ) -> None:
        self.files = files
        self.cutouts = cutouts
        self.keep_outputs = keep_outputs  # how long bgdesk's own cutouts are kept; None: ever

    def apply_settings(self, settings: Settings, serving: bool) -> None:
        """Take in how long cutouts are kept (by default, a headless server keeps them for
        a limited time; the window and the CLI keep them)."""
        self.keep_outputs = settings.keep_outputs(serving)

    def sweep(self) -> int:
        """Remove what nobody will ask for again. Returns how many files went."""
        removed = self._remove_expired()
        owned = self.files.kept_by_job()
        ids = list(owned)
        for start in range(0, len(ids), _IDS_A_QUERY):
            chunk = ids[start : start + _IDS_A_QUERY]
            for row in Job.select(Job.public_id).where(Job.public_id.in_(chunk)):
                del owned[row.public_id]
        stray = [path for paths in owned.values() for path in paths]
        return removed + self.files.remove_leftovers(stray)

    def _remove_expired(self) -> int:
        """Delete the jobs whose cutout bgdesk named and which ended longer than
        `keep_outputs` ago."""
        if self.keep_outputs is None:
            return 0
        expired = Job.select().where(
            Job.status.in_([JobState.COMPLETED, JobState.FAILED]),
            Job.completed_at < utcnow() - self.keep_outputs,
            Job.output_deleted_at.is_null(),
        )
        removed = 0
        for job in expired:
            if Path(job.output_path).parent == self.files.outputs_dir:
                self.cutouts.delete(job.public_id)
                removed += 1
        return removed
