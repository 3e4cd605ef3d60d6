"""A person's fix of a cutout, kept as data: strokes and a background laid on the model's own
mask, with the real model and a real database; what changes and what stays."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from bgdesk.core.app import Core
from bgdesk.core.events import JobEvent, JobEventKind
from bgdesk.core.job_files import STALE
from bgdesk.errors import Conflict, InvalidRequest
from bgdesk.inference.engine import Retouch
from bgdesk.inference.marks import Mark, MarkLayer
from bgdesk.inference.retouch import MaskPainting, full_mask
from bgdesk.inference.selection import Click, SubjectBox
from bgdesk.inference.strokes import Stroke
from bgdesk.request.options import OutputOptions
from bgdesk.storage.models import Job, JobSource
from tests.conftest import decode, photo
from tests.core.test_housekeeping import age

pytestmark = pytest.mark.slow  # the real model

ERASE = Stroke(False, 60, 1.0, ((100.0, 60.0), (160.0, 60.0)))  # across the astronaut's head


def finished(core: Core, path: Path, options: OutputOptions | None = None) -> Job:
    """Cut out the photo at `path` now, on this thread."""
    job = core.intake.submit_file(
        core.accounts.owner(), path, JobSource.DESKTOP, options or OutputOptions()
    )
    claimed = core.running.claim_next()
    assert claimed is not None and claimed.public_id == job.public_id
    core.running.execute(claimed)
    return core.jobs.get(job.public_id)


def pixels(job: Job) -> np.ndarray:
    return np.asarray(decode(Path(job.output_path).read_bytes()))


def beyond(stroke: Stroke, shape: tuple[int, ...]) -> np.ndarray:
    """The pixels whose centres are farther than the brush's radius (and a pixel) from it."""
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]] + 0.5
    (x0, y0), (x1, y1) = stroke.points[0], stroke.points[-1]
    along = np.clip(((xs - x0) * (x1 - x0) + (ys - y0) * (y1 - y0)) / ((x1 - x0) ** 2 or 1), 0, 1)
    distance = np.hypot(xs - (x0 + along * (x1 - x0)), ys - (y0 + along * (y1 - y0)))
    far: np.ndarray = distance > stroke.size / 2 + 1
    return far


@pytest.fixture
def astronaut(tmp_path: Path) -> Path:
    path = tmp_path / "astronaut.png"
    path.write_bytes(photo("astronaut", (256, 256), "PNG"))
    return path


def test_an_unedited_render_is_the_models_cutout(core: Core, astronaut: Path) -> None:
    job = finished(core, astronaut)
    again = core.engine.remove_background(
        astronaut.read_bytes(),
        OutputOptions(),
        retouch=Retouch(
            core.cutouts.model_mask(job.public_id), job.model or "", job.confidence or 0
        ),
    )
    assert np.array_equal(np.asarray(decode(again.data)), pixels(job))


def test_a_stroke_changes_alpha_under_it_and_nowhere_else(core: Core, astronaut: Path) -> None:
    job = finished(core, astronaut)
    before = pixels(job)
    heard: list[JobEvent] = []
    core.events.subscribe(heard.append)
    edited = core.cutouts.edit(job.public_id, [ERASE])
    after = pixels(edited)
    assert before[60, 130, 3] == 255 and after[60, 130, 3] == 0, "the head, erased"
    far = beyond(ERASE, after.shape)
    assert np.array_equal(after[far][:, 3], before[far][:, 3]), "alpha untouched beyond"
    opaque = far & (before[..., 3] == 255)
    assert np.array_equal(after[opaque], before[opaque]), "and the solid subject's colours"
    assert edited.edited and edited.edited_at is not None
    assert Path(edited.output_path) == Path(job.output_path)
    assert [e.kind for e in heard] == [JobEventKind.EDITED]
    assert core.ledger.balance(core.accounts.owner()) == 99, "editing costs nothing"

    reset = core.cutouts.edit(job.public_id, [])
    assert not reset.edited and np.array_equal(pixels(reset), before)


def test_restore_brings_back_what_the_model_dropped(core: Core, astronaut: Path) -> None:
    job = finished(core, astronaut)
    corner = Stroke(True, 40, 1.0, ((200.0, 12.0), (240.0, 12.0)))
    assert pixels(job)[12, 220, 3] < 30
    assert pixels(core.cutouts.edit(job.public_id, [corner]))[12, 220, 3] == 255


def test_clicks_and_a_box_make_the_cutout_the_window_shows(core: Core, astronaut: Path) -> None:
    """The marks laid by a re-render are laid as the window lays them while a person clicks:
    the cutout's alpha is, pixel for pixel, the painting made from the same marks."""
    job = finished(core, astronaut)
    before = pixels(job)
    corner = (20, 230)  # rows, columns: backdrop the model dropped
    assert before[corner][3] < 128
    marks: list[Mark] = [
        Click(230.0, 20.0, True),
        SubjectBox(20.0, 0.0, 256.0, 256.0),
        Click(128, 40, False),
    ]
    edited = core.cutouts.edit(job.public_id, marks)
    after = pixels(edited)
    assert after[corner][3] == 255, "the click kept what it pointed at"
    assert not after[:, :20, 3].any(), "nothing left of the box"
    stored = core.cutouts.marks(job.public_id)
    assert stored[0] == marks[0] and stored[2] == marks[2]
    assert stored[1] == SubjectBox(20.0, 0.0, 256.0, 256.0, core.engine.box_model())
    photo_pixels = np.asarray(decode(astronaut.read_bytes()).convert("RGB"))
    small = Image.open(io.BytesIO(core.cutouts.model_mask(job.public_id))).convert("L")
    base = np.array(full_mask(small, (256, 256)))
    shown = MaskPainting(base, stored, MarkLayer(photo_pixels, core.engine.mask_of))
    assert np.array_equal(after[..., 3], shown.mask)
    assert edited.edited and core.ledger.balance(core.accounts.owner()) == 99


def test_backgrounds_replace_the_submitted_one_and_go_back(core: Core, astronaut: Path) -> None:
    job = finished(core, astronaut)
    blue = core.cutouts.edit(job.public_id, background={"bg_color": (0, 0, 255)})
    shot = pixels(blue)
    assert shot.shape[2] == 3 and tuple(shot[5, 250]) == (0, 0, 255)
    assert blue.edited
    checks = Image.new("RGB", (64, 32), (255, 255, 0))
    ImageDraw.Draw(checks).rectangle((0, 0, 31, 31), fill=(255, 0, 255))
    buffer = io.BytesIO()
    checks.save(buffer, "PNG")
    pictured = pixels(
        core.cutouts.edit(job.public_id, background={"bg_image": True}, picture=buffer.getvalue())
    )
    # 64 x 32 covers 256 x 256 as 512 x 256, cut about its centre: magenta left, yellow right
    assert tuple(pictured[5, 5]) == (255, 0, 255) and tuple(pictured[5, 250]) == (255, 255, 0)
    blurred = pixels(core.cutouts.edit(job.public_id, background={"bg_blur": 8}))
    assert blurred.shape[2] == 3 and not np.array_equal(blurred, pictured)
    back = core.cutouts.edit(job.public_id, background={})
    assert not back.edited and pixels(back).shape[2] == 4


def test_edits_stay_with_the_job_until_it_is_deleted(core: Core, astronaut: Path) -> None:
    job = finished(core, astronaut)
    core.cutouts.edit(job.public_id, [ERASE], {"bg_image": True}, photo("coffee", (64, 48)))
    kept = sorted(p.name for p in core.paths.edits_dir.iterdir() if p.is_file())
    assert kept == [f"{job.public_id}.background", f"{job.public_id}.mask.png"]
    core.cutouts.delete(job.public_id)
    assert [p for p in core.paths.edits_dir.iterdir() if p.is_file()] == []
    assert not core.jobs.get(job.public_id).edited
    with pytest.raises(Conflict, match="no cutout"):
        core.cutouts.edit(job.public_id, [ERASE])


def test_a_job_whose_photo_went_cannot_be_edited(core: Core, astronaut: Path) -> None:
    owner = core.accounts.owner()
    job = core.intake.submit_upload(
        owner, astronaut.read_bytes(), "a.png", JobSource.API, OutputOptions()
    )
    claimed = core.running.claim_next()
    assert claimed is not None
    core.running.execute(claimed)
    reason = core.cutouts.editable(core.jobs.get(job.public_id))
    assert reason is not None and "keep_uploads" in reason
    with pytest.raises(Conflict):
        core.cutouts.edit(job.public_id, [ERASE])
    assert list(core.paths.edits_dir.iterdir()) == [], "no mask kept for a photo not kept"


def test_a_background_picture_must_come_with_its_option(core: Core, astronaut: Path) -> None:
    owner = core.accounts.owner()
    with pytest.raises(InvalidRequest, match="bg_image_file"):
        core.intake.submit_file(owner, astronaut, JobSource.CLI, OutputOptions(bg_image=True))
    with pytest.raises(InvalidRequest, match="The background picture: "):
        core.intake.submit_file(
            owner, astronaut, JobSource.CLI, OutputOptions(bg_image=True), None, b"x"
        )
    assert core.ledger.balance(owner) == 100 and list(core.paths.edits_dir.iterdir()) == []


def test_brushed_edges_are_cleaned_like_the_models(core: Core) -> None:
    """A soft restore stroke over a red disc's edge on green: with the clean-up on, the
    half-transparent pixels it leaves lose the green the photo had there."""
    picture = Image.new("RGB", (320, 320), (20, 170, 40))
    ImageDraw.Draw(picture).ellipse((60, 60, 259, 259), fill=(220, 30, 30))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    empty = io.BytesIO()
    Image.new("L", (320, 320), 0).save(empty, "PNG")
    soft = Stroke(True, 240, 0.0, ((160.0, 160.0),))
    greens = []
    for clean in (False, True):
        cutout = core.engine.remove_background(
            buffer.getvalue(),
            OutputOptions(decontaminate=clean),
            retouch=Retouch(empty.getvalue(), "u2netp", 1.0, (soft,)),
        )
        rgba = np.asarray(decode(cutout.data)).astype(int)
        edge = (
            (rgba[..., 3] > 20)
            & (rgba[..., 3] < 200)
            & (np.hypot(*np.mgrid[0:320, 0:320] - 160) > 104)
        )
        assert edge.sum() > 500
        greens.append(rgba[edge][:, 1].mean())
    assert greens[1] < greens[0] - 40, greens


def test_a_batch_on_one_background_picture_keeps_one_copy(fake_core: Core, tmp_path: Path) -> None:
    owner, wall = fake_core.accounts.owner(), photo("coffee", (300, 200))
    photos = []
    for n in range(3):
        photos.append(tmp_path / f"p{n}.jpg")
        photos[-1].write_bytes(photo("astronaut", (64, 64)))
    options = OutputOptions(bg_image=True)
    jobs = [
        fake_core.intake.submit_file(owner, p, JobSource.CLI, options, None, wall) for p in photos
    ]
    shared = list((fake_core.paths.edits_dir / "pictures").iterdir())
    assert len(shared) == 1 and shared[0].stat().st_nlink == 4
    for job in jobs:
        assert (fake_core.paths.edits_dir / f"{job.public_id}.background").read_bytes() == wall
    fake_core.runner.run_until_idle()
    for job in jobs:
        fake_core.cutouts.delete(job.public_id)
    age(shared[0], STALE * 2)
    fake_core.housekeeping.sweep()
    assert list((fake_core.paths.edits_dir / "pictures").iterdir()) == []
