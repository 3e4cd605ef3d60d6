"""Choosing what is behind the selected cutouts: nothing, a colour (with the colours used
lately), a picture scaled to cover, or the photo itself blurred. The choice is an edit of
each job, so it is in the saved file, not only in the preview."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QColorDialog, QFileDialog, QMenu, QWidget

from bgdesk.core.app import Core
from bgdesk.gui.touch_up import TouchUp
from bgdesk.storage.models import Job

RECENT_COLOURS = 6
BLUR_SHARE = 0.01  # the blurred photo's radius, as a share of its longer side


def blur_radius(job: Job) -> int:
    return max(4, round(max(job.width or 0, job.height or 0) * BLUR_SHARE))


class BackgroundMenu(QMenu):
    """The choices, applied to the jobs `chosen` returns (the finished ones selected)."""

    def __init__(
        self,
        core: Core,
        touch_up: TouchUp,
        chosen: Callable[[], list[Job]],
        memory: QSettings,
        open_filter: str,
        parent: QWidget,
    ) -> None:
        super().__init__("Background", parent)
        self.core = core
        self.touch_up = touch_up
        self.chosen = chosen
        self.memory = memory
        self.open_filter = open_filter
        self.aboutToShow.connect(self._fill)  # never while one of its actions runs
        self._fill()

    def _fill(self) -> None:
        self.clear()
        self.addAction("Transparent", lambda: self.apply({}))
        self.addAction("Colour…", self.pick_colour)
        self.addAction("Picture…", self.pick_picture)
        self.addAction("Blurred Photo", self.blur)
        recent = self.recent_colours()
        if recent:
            self.addSection("Recent colours")
        for name in recent:
            swatch = QPixmap(16, 16)
            swatch.fill(QColor(name))
            self.addAction(QIcon(swatch), name, lambda colour=name: self.use_colour(colour))

    def recent_colours(self) -> list[str]:
        value = self.memory.value("recent_colours", [])
        names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        return [str(name) for name in names if QColor(str(name)).isValid()][:RECENT_COLOURS]

    def pick_colour(self) -> None:
        recent = self.recent_colours()
        colour = QColorDialog.getColor(
            QColor(recent[0]) if recent else QColor("white"),
            self.parentWidget(),
            "Background colour",
        )
        if colour.isValid():
            self.use_colour(colour.name())

    def use_colour(self, name: str) -> None:
        colours = [name] + [other for other in self.recent_colours() if other != name]
        self.memory.setValue("recent_colours", colours[:RECENT_COLOURS])
        colour = QColor(name)
        self.apply({"bg_color": (colour.red(), colour.green(), colour.blue())})

    def pick_picture(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self.parentWidget(), "Background picture", "", self.open_filter
        )
        if name:
            self.use_picture(Path(name))

    def use_picture(self, path: Path) -> None:
        try:
            picture = path.read_bytes()
        except OSError as exc:
            self.touch_up.tell(f"Cannot read {path.name}: {exc.strerror or exc}")
            return
        self.apply({"bg_image": True}, picture)

    def blur(self) -> None:
        for job in self._editable():
            self.touch_up.edit_later(job.public_id, background={"bg_blur": blur_radius(job)})

    def apply(self, background: dict[str, Any], picture: bytes | None = None) -> None:
        for job in self._editable():
            self.touch_up.edit_later(job.public_id, background=background, picture=picture)

    def _editable(self) -> list[Job]:
        jobs = self.chosen()
        editable = [job for job in jobs if self.core.cutouts.editable(job) is None]
        if jobs and not editable:
            self.touch_up.tell(self.core.cutouts.editable(jobs[0]) or "")
        elif not jobs:
            self.touch_up.tell("Choose a finished cutout first.")
        return editable
