"""Touching a cutout up in the window: what it is made from is read off the GUI thread, the
brush is set or clicks and boxes select, marks can be undone and redone for as long as the
window is open, and each change is saved to the job shortly after it is made (off the GUI
thread, in order), so every way out of the window and the API's download serve it. A click or
a box is worked out off the GUI thread too, one at a time, in the order they were made."""

from __future__ import annotations

import io
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from PySide6.QtCore import QObject, QSettings, QTimer, Signal

from bgdesk.core.app import Core
from bgdesk.core.job_records import marks_of
from bgdesk.errors import BgdeskError
from bgdesk.gui.brush import PaintedCutout
from bgdesk.gui.mask_views import MaskView
from bgdesk.gui.preview import BeforeAfterView
from bgdesk.inference.decode import decode_image
from bgdesk.inference.marks import Mark, MarkLayer
from bgdesk.inference.retouch import Change, MaskPainting, full_mask
from bgdesk.inference.selection import Click, SubjectBox
from bgdesk.storage.models import Job

log = logging.getLogger(__name__)

SIZE_STEP = 1.25  # `[` and `]` change the brush's size by this factor
MIN_SIZE, MAX_SIZE = 1.0, 2000.0
SAVE_AFTER_MS = 300  # a change is saved this long after the last one
# The undo histories kept while the window is open, with the photos they need: up to this
# many jobs, and this many pixels of photo in all (about 10 bytes a pixel: two 12 MP photos,
# or dozens of small ones). The cutout touched up now is always kept.
KEPT_PAINTINGS = 8
KEPT_PIXELS = 24_000_000
BRUSH_SHARE = 1 / 20  # the brush's first size, as a share of the picture's shorter side


@dataclass(frozen=True)
class Material:
    """A cutout ready to be touched up: its painting (the model's mask at the photo's size
    with the strokes laid so far) and the shown cutout, every size of it made."""

    job_id: str
    painting: MaskPainting
    painted: PaintedCutout


class TouchUp(QObject):
    """Touch-up of one job at a time on `view`; `changed` says the brush or history did."""

    started = Signal(str)  # job id
    stopped = Signal()
    changed = Signal()
    selected = Signal()  # a click or a box was laid (or changed nothing)
    _read = Signal(object)  # Material, from the reading thread
    _worked_out = Signal(object, object, object)  # the painting, the mark, a Change or None
    _told = Signal(str)  # a message for the person, from a worker thread

    def __init__(
        self,
        core: Core,
        view: BeforeAfterView,
        tell: Callable[[str], None],
        choices: QSettings | None = None,
    ) -> None:
        """`choices` keeps the brush and the mask view from one start of the window to the
        next."""
        super().__init__(view)
        self.core = core
        self.view = view
        self.tell = tell
        self.choices = choices
        self.job_id: str | None = None  # the job touched up, or being read for it
        # The brush's size beside the picture: kept from one cutout to the next, so a brush
        # chosen on a 12 MP photo is not a speck on the next one (nor a flood on a small one).
        self.brush_share = BRUSH_SHARE
        self._recall()
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="bgdesk-touch-up-read")
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="bgdesk-touch-up-save")
        self._selector = ThreadPoolExecutor(1, thread_name_prefix="bgdesk-touch-up-select")
        # Cutting out again takes a model's run: it has a thread of its own, so saving an
        # edit of another job never waits for it.
        self._recutter = ThreadPoolExecutor(1, thread_name_prefix="bgdesk-recut")
        self._recuts: dict[str, Future[None]] = {}  # by job id, until done
        self._waiting: list[Click | SubjectBox] = []  # made while one is worked out
        self._writes: list[Future[None]] = []
        self._paintings: OrderedDict[str, MaskPainting] = OrderedDict()
        self._save_timer = QTimer(self, singleShot=True, interval=SAVE_AFTER_MS)
        self._save_timer.timeout.connect(self._save)
        self._read.connect(self._begin)
        self._worked_out.connect(self._lay_selection)
        self._told.connect(tell)
        view.stroke_ended.connect(self._painted)
        view.clicked.connect(lambda x, y, keep: self.select(Click(x, y, keep)))
        view.boxed.connect(self._boxed)

    @property
    def painting(self) -> MaskPainting | None:
        return self.view.painting

    # -- starting and stopping ----------------------------------------------------------

    def start(self, job: Job) -> bool:
        """Touch `job` up, once its photo is read; False (and why, told) when it cannot be."""
        reason = self.core.cutouts.editable(job)
        if reason:
            self.tell(reason)
            return False
        if self.job_id is not None:
            self.stop()
        self.job_id = job.public_id
        saving = (*self._writes, *self._recut_of(job.public_id))
        self._reader.submit(self._gather, job, self._paintings.pop(job.public_id, None), saving)
        return True

    def _gather(
        self, job: Job, kept: MaskPainting | None, saving: tuple[Future[None], ...]
    ) -> None:
        """Read and make, off the GUI thread, all a touch-up of `job` needs, from what it is
        once the edits and the cutting out again `saving` are written; `kept` is its painting
        from earlier in this session, with its history."""
        try:
            for write in saving:
                write.result()
            job = self.core.jobs.get(job.public_id)
            photo = decode_image(Path(job.input_path).read_bytes(), self.core.settings.input_limits)
            marks = marks_of(job)
            pixels = np.asarray(photo.rgb)
            if kept is None or tuple(kept.marks) != marks:  # changed elsewhere meanwhile
                small = Image.open(io.BytesIO(self.core.cutouts.model_mask(job.public_id)))
                base = np.array(full_mask(small.convert("L"), photo.rgb.size))
                kept = MaskPainting(base, marks, MarkLayer(pixels, self.core.engine.mask_of))
            painted = PaintedCutout(pixels, kept.mask)
            painted.prepare()
        except (BgdeskError, OSError) as exc:
            self._told.emit(getattr(exc, "message", None) or str(exc))
            return
        self._read.emit(Material(job.public_id, kept, painted))

    def _begin(self, material: Material) -> None:
        if material.job_id != self.job_id:  # stopped, moved on or cut out again meanwhile
            return
        painting = material.painting
        self._paintings[material.job_id] = painting
        while len(self._paintings) > 1 and (
            len(self._paintings) > KEPT_PAINTINGS
            or sum(kept.mask.size for kept in self._paintings.values()) > KEPT_PIXELS
        ):
            self._paintings.popitem(last=False)
        size = min(MAX_SIZE, max(MIN_SIZE, round(self.brush_share * min(painting.mask.shape))))
        self.view.set_brush(replace(self.view.brush, size=size))
        self.view.start_touch_up(painting, material.painted)
        self.started.emit(material.job_id)
        self.changed.emit()

    def stop(self) -> None:
        """Save what is not saved yet and leave the touch-up."""
        self._waiting.clear()
        self.flush()
        touching = self.view.touching_up
        self.job_id = None
        if touching:
            self.view.stop_touch_up()
        self.stopped.emit()
        self.changed.emit()

    # -- the brush ----------------------------------------------------------------------

    def use(self, restore: bool) -> None:
        """Erase (False) or restore (True) with the brush."""
        self.view.set_selecting(False)
        self.view.set_brush(replace(self.view.brush, restore=restore))
        self.changed.emit()

    def use_selection(self) -> None:
        """Select with clicks and boxes: a click keeps, Alt or the right button removes, a
        drag boxes the subject."""
        self.view.set_selecting(True)
        self.changed.emit()

    # -- clicks and boxes -----------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.view.busy

    def select(self, mark: Click | SubjectBox) -> None:
        """Lay a click or a box, worked out off the GUI thread after those before it."""
        if self.painting is None:
            return
        if self.view.busy:
            self._waiting.append(mark)
            return
        self.view.busy = True
        painting = self.painting
        self._selector.submit(self._work_out, painting, mark)

    def _boxed(self, left: float, top: float, right: float, bottom: float) -> None:
        if right - left >= 1 and bottom - top >= 1:
            self.select(SubjectBox(left, top, right, bottom, self.core.engine.box_model()))

    def _work_out(self, painting: MaskPainting, mark: Mark) -> None:
        try:
            change = painting.work_out(mark)
        except (BgdeskError, OSError) as exc:
            self._told.emit(getattr(exc, "message", None) or str(exc))
            change = None
        self._worked_out.emit(painting, mark, change)

    def _lay_selection(self, painting: MaskPainting, mark: Mark, change: Change | None) -> None:
        self.view.busy = False
        if change is not None and painting is self.painting and not painting.drawing:
            self._after(painting.accept(change))
        elif change is None and isinstance(mark, Click):
            side = "kept" if mark.keep else "left out"
            self.tell(f"That point is already {side}: click where the cutout is wrong.")
        if self._waiting and self.painting is not None:
            self.select(self._waiting.pop(0))
            return
        self._waiting.clear()
        self.selected.emit()

    def grow(self, factor: float) -> None:
        size = min(MAX_SIZE, max(MIN_SIZE, self.view.brush.size * factor))
        self.view.set_brush(replace(self.view.brush, size=size))
        if self.painting is not None:  # the next cutout gets a brush as large beside it
            self.brush_share = size / min(self.painting.mask.shape)
        self.changed.emit()

    def set_size(self, size: float) -> None:
        self.grow(size / self.view.brush.size)

    def set_hardness(self, hardness: float) -> None:
        self.view.set_brush(replace(self.view.brush, hardness=min(1.0, max(0.0, hardness))))
        self.changed.emit()

    # -- how the cutout is shown --------------------------------------------------------

    def show_as(self, view: MaskView) -> None:
        self.view.set_mask_view(view, self.view.faint_photo)
        self.changed.emit()

    def next_view(self) -> None:
        self.show_as(self.view.mask_view.next())

    def show_faint_photo(self, shown: bool) -> None:
        self.view.set_mask_view(self.view.mask_view, shown)
        self.changed.emit()

    # -- history ------------------------------------------------------------------------

    def undo(self) -> None:
        if self.painting is not None:
            self._after(self.painting.undo())

    def redo(self) -> None:
        if self.painting is not None:
            self._after(self.painting.redo())

    def reset(self) -> None:
        """Back to the model's mask (a step that can be undone too)."""
        if self.painting is not None:
            self._after(self.painting.reset())

    def _after(self, box: tuple[int, int, int, int] | None) -> None:
        if box is not None:
            self.view.show_change(box)
            self._painted()

    # -- saving -------------------------------------------------------------------------

    def _painted(self) -> None:
        self._save_timer.start()
        self.changed.emit()

    def _save(self) -> None:
        if self.painting is not None and self.job_id is not None:
            self.edit_later(self.job_id, marks=tuple(self.painting.marks))

    def edit_later(
        self,
        job_id: str,
        marks: tuple[Mark, ...] | None = None,
        background: Mapping[str, Any] | None = None,
        picture: bytes | None = None,
    ) -> None:
        """Save an edit of `job_id` on the writing thread, after those asked for before."""
        self._writes = [write for write in self._writes if not write.done()]
        after = self._recut_of(job_id)
        self._writes.append(
            self._writer.submit(self._write, job_id, marks, background, picture, after)
        )

    def _write(
        self,
        job_id: str,
        marks: tuple[Mark, ...] | None,
        background: Mapping[str, Any] | None,
        picture: bytes | None,
        after: tuple[Future[None], ...],
    ) -> None:
        for recut in after:  # an edit is laid on the new cutout, not raced by it
            recut.result()
        try:
            job = self.core.cutouts.edit(job_id, marks, background, picture)
        except BgdeskError as exc:
            self._told.emit(exc.message)
            return
        if background is not None:  # a background is a choice made once: confirmed
            laid = "Background removed" if not background else "Background applied"
            self._told.emit(f"{laid}: {job.input_name} saved as {job.output_path}")

    def recut_later(self, job_id: str) -> None:
        """Have a stronger model cut `job_id` out again on the writing thread, after the edits
        asked for before; a touch-up of it ends first, and the history kept for it goes (it
        was of the old mask)."""
        if self.job_id == job_id:
            self.stop()
        self._paintings.pop(job_id, None)
        self._recuts = {job: recut for job, recut in self._recuts.items() if not recut.done()}
        self._recuts[job_id] = self._recutter.submit(
            self._recut, job_id, tuple(self._writes), self._recut_of(job_id)
        )

    def _recut_of(self, job_id: str) -> tuple[Future[None], ...]:
        """The cutting out again of `job_id` under way, if any."""
        recut = self._recuts.get(job_id)
        return () if recut is None or recut.done() else (recut,)

    def _recut(
        self, job_id: str, saving: tuple[Future[None], ...], before: tuple[Future[None], ...]
    ) -> None:
        for earlier in (*saving, *before):
            earlier.result()
        try:
            job = self.core.cutouts.recut(job_id)
        except BgdeskError as exc:
            self._told.emit(exc.message)
            return
        except Exception as exc:  # onnxruntime raises its own untyped errors
            log.exception("Cutting job %s out again failed", job_id)
            self._told.emit(f"The photo could not be cut out again: {exc}")
            return
        self._told.emit(f"{job.input_name} was cut out again with {job.model}.")

    def flush(self) -> None:
        """Save now what is waiting to be saved, and wait until every edit is written."""
        if self._save_timer.isActive():
            self._save_timer.stop()
            self._save()
        for write in self._writes:
            write.result()
        self._writes.clear()

    def _recall(self) -> None:
        """Take up the brush and the mask view chosen at the window's last start."""
        if self.choices is None:
            return
        remembered = self.choices.value
        try:
            share = float(str(remembered("touch-up/brush", BRUSH_SHARE)))
            hardness = float(str(remembered("touch-up/hardness", self.view.brush.hardness)))
            view = MaskView(remembered("touch-up/view", MaskView.CUTOUT.value))
        except (TypeError, ValueError):  # a state file edited by hand: the defaults
            return
        faint = str(remembered("touch-up/faint photo", "true")).lower() != "false"
        self.brush_share = min(1.0, max(0.0, share)) or BRUSH_SHARE
        hardness = min(1.0, max(0.0, hardness))
        self.view.set_brush(replace(self.view.brush, hardness=hardness))
        self.view.set_mask_view(view, faint)

    def _remember(self) -> None:
        if self.choices is None:
            return
        self.choices.setValue("touch-up/brush", self.brush_share)
        self.choices.setValue("touch-up/hardness", self.view.brush.hardness)
        self.choices.setValue("touch-up/view", self.view.mask_view.value)
        self.choices.setValue("touch-up/faint photo", self.view.faint_photo)

    def close(self) -> None:
        self._remember()
        self.flush()
        self._reader.shutdown(wait=True, cancel_futures=True)
        self._selector.shutdown(wait=True, cancel_futures=True)
        self._recutter.shutdown(wait=True)
        self._writer.shutdown(wait=True)
