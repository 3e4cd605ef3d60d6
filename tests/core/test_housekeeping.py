"""What bgdesk stores for itself does not pile up: a photo's copy goes once its cutout is
made, expired cutouts go with their jobs, and files nobody owns go after a while."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

from bgdesk.core.app import Core
from bgdesk.core.job_files import STALE
from bgdesk.request.options import OutputOptions
from bgdesk.settings import SERVER_KEEPS_OUTPUTS_DAYS, Settings
from bgdesk.storage.models import Job, JobSource, utcnow
from tests.conftest import photo

SMALL = photo("astronaut", (64, 64))


def age(path: Path, by: timedelta) -> None:
    moment = time.time() - by.total_seconds()
    os.utime(path, (moment, moment))


def test_an_api_upload_goes_once_cut_out_a_pasted_photo_stays(fake_core: Core) -> None:
    owner = fake_core.accounts.owner()
    api = fake_core.intake.submit_upload(owner, SMALL, "a.jpg", JobSource.API, OutputOptions())
    pasted = fake_core.intake.submit_upload(
        owner, SMALL, "b.jpg", JobSource.DESKTOP, OutputOptions()
    )
    assert Path(api.input_path).exists()
    fake_core.runner.run_until_idle()
    assert not Path(api.input_path).exists()
    assert Path(pasted.input_path).exists(), "the window shows it beside its cutout"
    assert Path(fake_core.jobs.get(api.public_id).output_path).exists()

    fake_core.settings.keep_uploads = True
    fake_core.apply_settings()
    kept = fake_core.intake.submit_upload(owner, SMALL, "c.jpg", JobSource.API, OutputOptions())
    fake_core.runner.run_until_idle()
    assert Path(kept.input_path).exists()


def test_an_api_jobs_background_picture_goes_with_its_photo(fake_core: Core) -> None:
    owner, backdrop = fake_core.accounts.owner(), photo("coffee", (48, 32), "PNG")
    options = OutputOptions(bg_image=True)
    api = fake_core.intake.submit_upload(
        owner, SMALL, "a.jpg", JobSource.API, options, background=backdrop
    )
    pasted = fake_core.intake.submit_upload(
        owner, SMALL, "b.jpg", JobSource.DESKTOP, options, background=backdrop
    )
    pictures = {api.public_id: fake_core.paths.edits_dir / f"{api.public_id}.background"}
    pictures[pasted.public_id] = fake_core.paths.edits_dir / f"{pasted.public_id}.background"
    assert all(path.exists() for path in pictures.values())
    fake_core.runner.run_until_idle()
    assert fake_core.jobs.get(api.public_id).status == "completed"
    assert not pictures[api.public_id].exists(), "gone with the upload, once cut out"
    assert pictures[pasted.public_id].exists(), "the window's photo can still be edited"
    shared = fake_core.paths.edits_dir / "pictures"
    for stored in shared.iterdir():
        age(stored, STALE * 2)
    fake_core.housekeeping.sweep()
    assert len(list(shared.iterdir())) == 1, "the one copy stays while a job still uses it"


def test_a_failed_jobs_upload_stays_for_a_retry(fake_core: Core) -> None:
    fake_core.engine.fail = True  # type: ignore[attr-defined]
    job = fake_core.intake.submit_upload(
        fake_core.accounts.owner(), SMALL, "a.jpg", JobSource.API, OutputOptions()
    )
    fake_core.runner.run_until_idle()
    assert Path(job.input_path).exists()


def test_sweep_removes_orphans_and_leftovers_only_once_stale(fake_core: Core) -> None:
    uploads, outputs = fake_core.paths.uploads_dir, fake_core.paths.outputs_dir
    job = fake_core.intake.submit_upload(
        fake_core.accounts.owner(), SMALL, "a.jpg", JobSource.DESKTOP, OutputOptions()
    )
    orphan, fresh_orphan = uploads / "nojobwiththisid.jpg", uploads / "nojobeither.png"
    leftover = outputs / ".x.png.0123456789ab.part"
    fresh_leftover = outputs / ".y.png.ba9876543210.part"
    someone_elses = outputs / "notes.txt"
    for path in (orphan, fresh_orphan, leftover, fresh_leftover, someone_elses):
        path.write_bytes(b"x")
    for path in (orphan, leftover, someone_elses, Path(job.input_path)):
        age(path, STALE * 2)

    fake_core.runner.run_until_idle()
    edits = fake_core.paths.edits_dir
    kept_mask, stray_mask = edits / f"{job.public_id}.mask.png", edits / "nojob.mask.png"
    stray_mask.write_bytes(b"x")
    for path in (kept_mask, stray_mask):
        age(path, STALE * 2)

    assert fake_core.housekeeping.sweep() == 3

    assert not orphan.exists() and not leftover.exists() and not stray_mask.exists()
    assert kept_mask.exists(), "the mask of a job in the history stays, to edit it by"
    assert fresh_orphan.exists() and fresh_leftover.exists(), "a live writer may own these"
    assert someone_elses.exists() and Path(job.input_path).exists()


def test_expired_cutouts_go_with_their_jobs_but_never_a_persons_own_file(
    fake_core: Core, tmp_path: Path
) -> None:
    owner = fake_core.accounts.owner()
    stored = fake_core.intake.submit_upload(owner, SMALL, "a.jpg", JobSource.API, OutputOptions())
    own_file = tmp_path / "mine-nobg.png"
    theirs = fake_core.intake.submit_upload(
        owner, SMALL, "b.jpg", JobSource.API, OutputOptions(), output_path=own_file
    )
    recent = fake_core.intake.submit_upload(owner, SMALL, "c.jpg", JobSource.API, OutputOptions())
    fake_core.runner.run_until_idle()
    long_ago = utcnow() - timedelta(days=8)
    Job.update(completed_at=long_ago).where(Job.id.in_([stored.id, theirs.id])).execute()

    fake_core.housekeeping.keep_outputs = None
    fake_core.housekeeping.sweep()
    assert Path(stored.output_path).exists(), "kept for good unless told otherwise"

    fake_core.housekeeping.keep_outputs = timedelta(days=7)
    fake_core.housekeeping.sweep()
    assert not Path(stored.output_path).exists()
    assert fake_core.jobs.get(stored.public_id).output_deleted_at is not None
    assert own_file.exists() and Path(recent.output_path).exists()
    assert fake_core.ledger.balance(owner) == 97, "the history and the ledger stay"


def test_how_long_cutouts_are_kept_in_the_window_and_under_serve() -> None:
    settings = Settings()
    assert settings.keep_outputs(serving=False) is None
    assert settings.keep_outputs(serving=True) == timedelta(days=SERVER_KEEPS_OUTPUTS_DAYS)
    settings.keep_outputs_days = 0
    assert settings.keep_outputs(serving=True) is None
    settings.keep_outputs_days = 3
    assert settings.keep_outputs(serving=False) == timedelta(days=3)
