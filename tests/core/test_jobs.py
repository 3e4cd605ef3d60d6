"""The job service: what is refused costs nothing; what is accepted ends, once."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bgdesk.core.app import Core
from bgdesk.core.events import JobEvent
from bgdesk.core.leases import Leases
from bgdesk.core.running import JobRunning
from bgdesk.core.secrets import KeyringSecretStore
from bgdesk.errors import (
    AccountSuspended,
    Conflict,
    ImageTooLarge,
    InsufficientCredits,
    InvalidRequest,
    NotAnImage,
    NotFound,
    TruncatedImage,
)
from bgdesk.paths import Paths
from bgdesk.request.options import OutputOptions
from bgdesk.settings import Settings
from bgdesk.storage.models import Job, JobSource, WebhookDelivery, utcnow
from tests.conftest import FakeEngine, decode, fake_engine, photo


def test_rejected_input_costs_nothing_and_leaves_no_file(fake_core: Core) -> None:
    owner = fake_core.accounts.owner()
    for bad, error in [
        (b"", NotAnImage),
        (b"plain text", NotAnImage),
        (photo("astronaut")[:3000], TruncatedImage),
    ]:
        with pytest.raises(error):
            fake_core.intake.submit_upload(owner, bad, "x.jpg", JobSource.API, OutputOptions())
    assert fake_core.ledger.balance(owner) == 100
    assert Job.select().count() == 0
    assert list(fake_core.paths.uploads_dir.iterdir()) == []


def test_a_cutout_over_the_memory_budget_is_refused_and_costs_nothing(fake_core: Core) -> None:
    fake_core.settings.memory_budget_mb = 256
    fake_core.apply_settings()
    owner, small = fake_core.accounts.owner(), photo("astronaut", (64, 64))
    canvas = OutputOptions(canvas="10000x10000", shadow=True)
    with pytest.raises(ImageTooLarge, match=r"about \d+ MiB of memory.*within 256 MiB.*budget_mb"):
        fake_core.intake.submit_upload(owner, small, "a.jpg", JobSource.API, canvas)
    assert fake_core.ledger.balance(owner) == 100 and Job.select().count() == 0
    assert list(fake_core.paths.uploads_dir.iterdir()) == []
    fake_core.intake.submit_upload(
        owner, small, "a.jpg", JobSource.API, OutputOptions(canvas="800x800")
    )
    assert fake_core.ledger.balance(owner) == 99, "what fits is taken"


@pytest.mark.parametrize("swapped", ["the photo", "its folder"])
def test_a_photo_replaced_by_a_link_once_queued_is_not_read(
    fake_core: Core, tmp_path: Path, swapped: str
) -> None:
    private, watched = tmp_path / "private", tmp_path / "watched"
    (private / "sub").mkdir(parents=True)
    (watched / "sub").mkdir(parents=True)
    (private / "sub" / "a.jpg").write_bytes(photo("coffee", (40, 30)))
    queued = watched / "sub" / "a.jpg"
    queued.write_bytes(photo("astronaut", (40, 30)))
    owner = fake_core.accounts.owner()
    job = fake_core.intake.submit_file(
        owner, queued, JobSource.CLI, OutputOptions(), tmp_path / "a.png"
    )
    if swapped == "the photo":
        queued.unlink()
        queued.symlink_to(private / "sub" / "a.jpg")
    else:
        (watched / "sub").rename(watched / "gone")
        (watched / "sub").symlink_to(private / "sub")
    fake_core.runner.run_until_idle()
    ended = fake_core.jobs.get(job.public_id)
    assert ended.status == "failed" and "replaced by a link" in (ended.error_message or "")
    assert fake_engine(fake_core).calls == 0, "the private photo was never read"
    assert fake_core.ledger.balance(owner) == 100


def test_odd_upload_names_are_kept_as_names_only(fake_core: Core) -> None:
    owner = fake_core.accounts.owner()
    for name in ["../../etc/passwd.jpg", "photo.j\x00pg", "x." + "a" * 300, ""]:
        job = fake_core.intake.submit_upload(
            owner, photo("coffee", (60, 40)), name, JobSource.API, OutputOptions()
        )
        assert Path(job.input_path).parent == fake_core.paths.uploads_dir
        assert Path(job.input_path).is_file()
        assert job.input_name.isprintable() and len(job.input_name) <= 255
    assert Job.select().where(Job.input_name == "photo.jpg").count() == 1


def test_suspended_account_is_refused(fake_core: Core) -> None:
    account = fake_core.accounts.create("script", credits=5)
    fake_core.accounts.set_status("script", "suspended")
    with pytest.raises(AccountSuspended):
        fake_core.intake.submit_upload(
            account, photo("coffee"), "c.jpg", JobSource.API, OutputOptions()
        )
    assert fake_core.ledger.balance(account) == 5


def test_no_credits_nothing_queued(fake_core: Core) -> None:
    account = fake_core.accounts.create("broke")
    with pytest.raises(InsufficientCredits, match="balance is 0"):
        fake_core.intake.submit_upload(
            account, photo("coffee"), "c.jpg", JobSource.API, OutputOptions()
        )
    assert Job.select().count() == 0


def test_other_accounts_job_is_not_found(fake_core: Core) -> None:
    owner = fake_core.accounts.owner()
    other = fake_core.accounts.create("other", credits=1)
    job = fake_core.intake.submit_upload(
        owner, photo("coffee"), "c.jpg", JobSource.API, OutputOptions()
    )
    assert fake_core.jobs.get(job.public_id, owner).id == job.id
    with pytest.raises(NotFound):
        fake_core.jobs.get(job.public_id, other)


def test_finished_job_with_webhook_owes_one_delivery(fake_core: Core) -> None:
    owner = fake_core.accounts.owner()
    job = fake_core.intake.submit_upload(
        owner,
        photo("coffee"),
        "c.jpg",
        JobSource.API,
        OutputOptions(),
        webhook_url="http://127.0.0.1:1/hook",
    )
    fake_core.runner.run_until_idle()
    delivery = WebhookDelivery.get(WebhookDelivery.job == job.id)
    assert (delivery.event, delivery.status, delivery.url) == (
        "completed",
        "pending",
        "http://127.0.0.1:1/hook",
    )


def test_delete_removes_the_output_but_not_while_running(fake_core: Core) -> None:
    owner = fake_core.accounts.owner()
    job = fake_core.intake.submit_upload(
        owner, photo("coffee"), "c.jpg", JobSource.API, OutputOptions()
    )
    with pytest.raises(Conflict):
        fake_core.cutouts.delete(job.public_id, owner)
    fake_core.runner.run_until_idle()
    assert Path(job.output_path).exists()
    deleted = fake_core.cutouts.delete(job.public_id, owner)
    assert deleted.output_deleted_at is not None and not Path(job.output_path).exists()
    with pytest.raises(NotFound):
        fake_core.jobs.by_output_token(job.output_token)


@pytest.mark.slow
def test_background_runner_and_events_with_the_real_engine(core: Core, tmp_path: Path) -> None:
    heard: list[JobEvent] = []
    core.events.subscribe(heard.append)
    source = tmp_path / "rocket.jpg"
    source.write_bytes(photo("rocket"))
    core.start()
    job = core.intake.submit_file(core.accounts.owner(), source, JobSource.DESKTOP, OutputOptions())
    for _ in range(600):
        if not core.jobs.pending_ids([job.public_id]):
            break
        core.runner._stopping.wait(0.05)
    job = core.jobs.get(job.public_id)
    assert job.status == "completed" and json.loads(job.options)["format"] == "png"
    assert decode(Path(job.output_path).read_bytes()).mode == "RGBA"
    assert [e.kind for e in heard] == ["queued", "started", "completed"]
    assert core.jobs.estimate_seconds(job) > 0
    assert job.model == "u2netp", "best is the shipped model when it is the only one"
    assert job.confidence is not None and 0 < job.confidence <= 1


def test_parallel_workers_run_every_job_once(home: Paths) -> None:
    settings = Settings()
    settings.set("parallel_jobs", 3)
    core = Core(home, settings, FakeEngine(), KeyringSecretStore())
    owner = core.accounts.owner()
    jobs = [
        core.intake.submit_upload(
            owner, photo("coffee", (60, 40)), "c.jpg", JobSource.API, OutputOptions()
        ).public_id
        for _ in range(30)
    ]
    core.start()
    try:
        for _ in range(400):
            if not core.jobs.pending_ids(jobs):
                break
            time.sleep(0.02)
    finally:
        core.close()
    assert fake_engine(core).calls == 30
    assert {job.status for job in core.jobs.get_many(jobs).values()} == {"completed"}
    assert core.ledger.balance(owner) == 70


@pytest.mark.parametrize(("side_by_side", "expected"), [(1, 3.0), (2, 2.0), (3, 1.0)])
def test_the_estimate_counts_the_jobs_made_side_by_side(
    home: Paths, side_by_side: int, expected: float
) -> None:
    """Two jobs ahead and two at a time: the third starts with the second round."""
    settings = Settings()
    settings.set("parallel_jobs", side_by_side)
    core = Core(home, settings, FakeEngine(), KeyringSecretStore())
    owner = core.accounts.owner()
    done = core.intake.submit_upload(
        owner, photo("coffee", (60, 40)), "c.jpg", JobSource.API, OutputOptions()
    )
    core.runner.run_until_idle()
    finished = core.jobs.get(done.public_id)
    assert finished.started_at is not None
    Job.update(completed_at=finished.started_at + timedelta(seconds=1)).where(
        Job.id == finished.id
    ).execute()  # the recent pace: a second a job
    queued = [
        core.intake.submit_upload(
            owner, photo("coffee", (60, 40)), "c.jpg", JobSource.API, OutputOptions()
        )
        for _ in range(3)
    ]
    try:
        assert core.jobs.estimate_seconds(queued[-1]) == pytest.approx(expected)
    finally:
        core.close()


@pytest.mark.slow
def test_export_in_each_format_and_retry(core: Core, tmp_path: Path) -> None:
    owner = core.accounts.owner()
    job = core.intake.submit_upload(
        owner, photo("astronaut"), "astronaut.jpg", JobSource.DESKTOP, OutputOptions()
    )
    core.runner.run_until_idle()
    for suffix, kind, mode in (
        (".png", "PNG", "RGBA"),
        (".webp", "WEBP", "RGBA"),
        (".jpeg", "JPEG", "RGB"),
    ):
        target = core.cutouts.export(job.public_id, tmp_path / f"out{suffix}")
        image = decode(target.read_bytes())
        assert (image.format, image.mode, image.size) == (kind, mode, (512, 512))
    with pytest.raises(InvalidRequest, match="Save as"):
        core.cutouts.export(job.public_id, tmp_path / "out.gif")
    written = core.cutouts.export_all([job.public_id], tmp_path / "all", "{n}-{name}", "webp")
    assert [p.name for p in written] == ["1-astronaut.webp"]
    with pytest.raises(Conflict):
        core.intake.retry(job.public_id)


def test_a_failed_job_can_be_retried_as_a_new_charge(fake_core: Core) -> None:
    fake_engine(fake_core).fail = True
    owner = fake_core.accounts.owner()
    job = fake_core.intake.submit_upload(
        owner, photo("coffee"), "c.jpg", JobSource.DESKTOP, OutputOptions()
    )
    fake_core.runner.run_until_idle()
    fake_engine(fake_core).fail = False
    again = fake_core.intake.retry(job.public_id)
    fake_core.runner.run_until_idle()
    assert fake_core.jobs.get(again.public_id).status == "completed"
    assert fake_core.ledger.balance(owner) == 99


def test_a_stopped_runner_starts_again_and_counts_unfinished_work(fake_core: Core) -> None:
    owner = fake_core.accounts.owner()
    fake_core.runner.start()
    fake_core.runner.stop()
    ids = [
        fake_core.intake.submit_upload(
            owner, photo("coffee", (60, 40)), "c.jpg", JobSource.API, OutputOptions()
        ).public_id
        for _ in range(2)
    ]
    assert fake_core.jobs.unfinished() == (0, 2)
    fake_core.runner.start()
    for _ in range(250):
        if not fake_core.jobs.pending_ids(ids):
            break
        time.sleep(0.02)
    assert fake_core.jobs.unfinished() == (0, 0)


def test_a_waiting_job_can_be_cancelled_once_and_is_refunded(fake_core: Core) -> None:
    owner = fake_core.accounts.owner()
    job = fake_core.intake.submit_upload(
        owner,
        photo("coffee", (64, 48)),
        "c.jpg",
        JobSource.DESKTOP,
        OutputOptions(),
        webhook_url="http://127.0.0.1:9/hook",
    )
    assert fake_core.ledger.balance(owner) == 99
    cancelled = fake_core.intake.cancel(job.public_id)
    assert (cancelled.status, cancelled.error_code) == ("failed", "cancelled")
    assert fake_core.ledger.balance(owner) == 100
    with pytest.raises(Conflict):
        fake_core.intake.cancel(job.public_id)
    assert fake_core.ledger.balance(owner) == 100, "refunded once"
    assert fake_core.running.claim_next() is None, "nothing left to run"
    assert WebhookDelivery.select().where(WebhookDelivery.event == "failed").count() == 1
    running = fake_core.intake.submit_upload(
        owner, photo("coffee", (64, 48)), "d.jpg", JobSource.DESKTOP, OutputOptions()
    )
    assert fake_core.running.claim_next() is not None
    with pytest.raises(Conflict):
        fake_core.intake.cancel(running.public_id)


def test_output_addresses_use_the_public_url_from_the_start(home: Paths) -> None:
    """A worker or the CLI, which bind no server, still give webhooks the address clients
    reach; a bound server without the setting gives its own."""
    settings = Settings()
    settings.public_url = "https://cutouts.example/"
    configured = Core(home, settings, FakeEngine(), KeyringSecretStore())
    try:
        assert configured.public_url == "https://cutouts.example"
        configured.serve_at("http://127.0.0.1:9999")
        assert configured.public_url == "https://cutouts.example"
    finally:
        configured.close()
    plain = Core(home, Settings(), FakeEngine(), KeyringSecretStore())
    try:
        assert plain.public_url == f"http://127.0.0.1:{Settings().api_port}"
        plain.serve_at("http://127.0.0.1:9999")
        assert plain.public_url == "http://127.0.0.1:9999"
    finally:
        plain.close()


def test_a_job_taken_again_while_another_runner_recovers_it_stays_with_its_new_runner(
    fake_core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recovering reads the running jobs, then queues the orphans again: a job another runner
    recovered and claimed in between is not taken from it (and run a third time)."""
    owner = fake_core.accounts.owner()
    job = fake_core.intake.submit_upload(
        owner, photo("coffee"), "c.jpg", JobSource.API, OutputOptions()
    )
    assert fake_core.running.claim_next() is not None
    fake_core.running.leases.release(job.id)  # its runner is gone, its lease lapsed
    Job.update(lease_expires_at=utcnow() - timedelta(seconds=1)).where(Job.id == job.id).execute()

    def runner() -> JobRunning:
        core = fake_core
        return JobRunning(
            core.engine,
            core.ledger,
            core.events,
            core.files,
            Leases(timedelta(minutes=1)),
            threading.Event(),
        )

    slow, quick = runner(), runner()
    judged = slow.leases.orphaned

    def quick_takes_it_meanwhile(read: Job, now: datetime) -> bool:
        verdict = judged(read, now)
        assert quick.recover() == 1 and quick.claim_next() is not None
        return verdict

    monkeypatch.setattr(slow.leases, "orphaned", quick_takes_it_meanwhile)
    assert slow.recover() == 0
    now = Job.get_by_id(job.id)
    assert (now.status, now.runner_id, now.attempts) == ("running", quick.leases.runner_id, 2)
    for each in (slow, quick):
        each.leases.close()
