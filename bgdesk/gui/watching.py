"""The window's watched folders (setting `watch_folders`): new photos in them are cut out as
they arrive, with the settings of the moment, until paused from the toolbar."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from bgdesk.core.app import Core
from bgdesk.core.watch import FolderWatcher, Watched
from bgdesk.storage.models import JobSource


class WatchedFolders(QObject):
    """Runs a FolderWatcher over the folders the settings name; `apply` follows a change of
    the settings, `set_paused` the toolbar."""

    taken = Signal(str)  # a message for the status bar: a photo taken, or why not

    def __init__(self, core: Core, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.core = core
        self._watcher: FolderWatcher | None = None
        self._paused = False
        self.apply()

    @property
    def folders(self) -> list[Path]:
        return self._watcher.folders if self._watcher else []

    def apply(self) -> None:
        """Watch the folders the settings name now (none: stop watching)."""
        self.close()
        settings = self.core.settings
        folders = [folder for folder in settings.watched_folders() if folder.is_dir()]
        if not folders:
            return
        output = Path(settings.output_dir).expanduser() if settings.output_dir else None
        self._watcher = FolderWatcher(
            self.core.intake,
            self.core.jobs,
            self.core.accounts.owner,
            folders,
            output,
            self.core.settings.output_options,
            source=JobSource.DESKTOP,
            on_found=self._found,
            follow_links=self.core.settings.watch_follow_links,
        )
        if self._paused:
            self._watcher.paused.set()
        self._watcher.start()

    def set_paused(self, paused: bool) -> None:
        self._paused = paused
        if self._watcher is not None:
            (self._watcher.paused.set if paused else self._watcher.paused.clear)()

    def _found(self, watched: Watched) -> None:  # on the watcher's thread: a queued signal
        if watched.job is not None:
            self.taken.emit(f"New in a watched folder: {watched.photo.name}")
        else:
            self.taken.emit(f"{watched.photo.name} in a watched folder: {watched.error}")

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None
