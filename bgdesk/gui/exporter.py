"""Taking cutouts away from the window: Save, Save As, Copy, Copy Path, Show in Folder,
Export.

File dialogs open where the person last was (remembered across sessions), else in the
photo's own folder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, QUrl
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import QFileDialog, QWidget

from bgdesk.core.app import Core
from bgdesk.core.naming import cutout_stem, free_path
from bgdesk.errors import BgdeskError
from bgdesk.gui.export_dialog import ExportAllDialog
from bgdesk.gui.notices import Notices
from bgdesk.request.formats import FORMATS, format_named
from bgdesk.storage.models import Job


class FolderMemory:
    """The folder last used for each kind of file dialog, kept in the window's state file."""

    def __init__(self, state: QSettings) -> None:
        self.state = state

    def get(self, kind: str, fallback: Path | None = None) -> Path:
        remembered = self.state.value(f"folders/{kind}")
        if isinstance(remembered, str) and Path(remembered).is_dir():
            return Path(remembered)
        return fallback if fallback is not None and fallback.is_dir() else Path.home()

    def remember(self, kind: str, folder: Path) -> None:
        self.state.setValue(f"folders/{kind}", str(folder))


def photo_folder(job: Job) -> Path | None:
    """The folder of `job`'s photo, unless the photo is bgdesk's own copy (an upload)."""
    return None if job.owns_input else Path(job.input_path).parent


def save_filters() -> str:
    return ";;".join(f"{spec.label} (*.{spec.extension})" for spec in FORMATS.values())


class CutoutExporter:
    """Writes finished jobs' cutouts where the person asks; says what happened through
    `tell`."""

    def __init__(
        self,
        core: Core,
        parent: QWidget,
        folders: FolderMemory,
        tell: Callable[[str], None],
        notices: Notices,
    ) -> None:
        self.core = core
        self.parent = parent
        self.notices = notices
        self.folders = folders
        self.tell = tell

    def in_own_folder(self, job: Job) -> bool:
        """Whether the cutout was written to a folder of the person's (not bgdesk's own)."""
        return self.core.paths.outputs_dir not in Path(job.output_path).parents

    def save(self, job: Job) -> None:
        """A cutout already in the person's folder is saved; otherwise ask where."""
        if self.in_own_folder(job) and Path(job.output_path).is_file():
            self.tell(f"Saved as {job.output_path}")
        else:
            self.save_as(job)

    def save_as(self, job: Job) -> None:
        folder = self.folders.get("save", photo_folder(job))
        extension = format_named(self.core.settings.output_format).extension
        # Never the cutout's own file, nor another one there: the next free name.
        suggested = free_path(folder, cutout_stem(job.input_name), extension)
        target, _ = QFileDialog.getSaveFileName(
            self.parent, "Save cutout", str(suggested), save_filters()
        )
        if target:
            self.folders.remember("save", Path(target).parent)
            self._attempt(
                lambda: self.tell(
                    f"Saved as {self.core.cutouts.export(job.public_id, Path(target))}"
                )
            )

    def copy(self, job: Job) -> None:
        QGuiApplication.clipboard().setPixmap(QPixmap(job.output_path))
        self.tell("Cutout copied to the clipboard.")

    def reveal(self, job: Job) -> None:
        """Open the folder holding the cutout (or the photo, while there is no cutout)."""
        shown = Path(job.output_path if job.has_output else job.input_path)
        self.notices.open_outside(
            QUrl.fromLocalFile(str(shown.parent)),
            "No file manager could be opened to show the folder.",
            self.tell,
        )

    def copy_path(self, job: Job) -> None:
        """The cutout's path (or the photo's, while there is no cutout) to the clipboard."""
        shown = job.output_path if job.has_output else job.input_path
        QGuiApplication.clipboard().setText(shown)
        self.tell(f"Copied {shown}")

    def export_all(self, jobs: list[Job]) -> None:
        """Ask where, how named and how made, then export `jobs` (the first time, into their
        photos' folder)."""
        dialog = ExportAllDialog(
            self.folders.get("export", photo_folder(jobs[0])),
            self.core.settings.output_format,
            len(jobs),
            self.parent,
        )
        if not dialog.exec():
            return
        folder, pattern, fmt = dialog.choice()
        self.folders.remember("export", folder)
        job_ids = [job.public_id for job in jobs]
        self._attempt(lambda: self._export(job_ids, folder, pattern, fmt))

    def _export(self, job_ids: list[str], folder: Path, pattern: str, fmt: str) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.tell(f"Cannot create {folder}: {exc.strerror or exc}")
            return
        written = self.core.cutouts.export_all(job_ids, folder, pattern, fmt)
        self.tell(f"Exported {len(written)} cutout{'s' if len(written) != 1 else ''} to {folder}")

    def _attempt(self, action: Callable[[], object]) -> None:
        try:
            action()
        except BgdeskError as exc:
            self.tell(exc.message)
