"""The ledger: exact under concurrency, and a job is charged once and refunded once at most."""

from __future__ import annotations

import threading

import pytest
from peewee import IntegrityError

from bgdesk.core.app import Core
from bgdesk.errors import InsufficientCredits
from bgdesk.request.options import OutputOptions
from bgdesk.storage.models import CreditEntry, Job, JobSource
from tests.conftest import fake_engine, photo

SMALL = photo("chelsea", (40, 30), fmt="PNG")


def test_eight_threads_two_hundred_jobs_fifty_credits(fake_core: Core) -> None:
    account = fake_core.accounts.create("load", credits=50)
    accepted: list[str] = []
    refused: list[Exception] = []
    lock = threading.Lock()

    def submit(count: int) -> None:
        for _ in range(count):
            try:
                job = fake_core.intake.submit_upload(
                    account, SMALL, "cat.png", JobSource.API, OutputOptions()
                )
                with lock:
                    accepted.append(job.public_id)
            except InsufficientCredits as exc:
                with lock:
                    refused.append(exc)

    threads = [threading.Thread(target=submit, args=(25,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert (len(accepted), len(refused)) == (50, 150)
    assert fake_core.ledger.balance(account) == 0
    uploads = list(fake_core.paths.uploads_dir.iterdir())
    assert len(uploads) == 50, "refused uploads leave no file behind"
    assert fake_core.runner.run_until_idle() == 50
    assert Job.select().where(Job.account == account, Job.status == "completed").count() == 50
    entries = fake_core.ledger.entries(account, limit=1000)
    assert sorted(e.kind for e in entries).count("charge") == 50
    assert sum(e.amount for e in entries) == fake_core.ledger.balance(account) == 0
    assert list(fake_core.paths.uploads_dir.iterdir()) == [], "and cutouts made, none at all"


def test_a_second_charge_of_one_job_is_impossible(fake_core: Core) -> None:
    owner = fake_core.accounts.owner()
    job = fake_core.intake.submit_upload(
        owner, SMALL, "cat.png", JobSource.DESKTOP, OutputOptions()
    )
    with pytest.raises(IntegrityError):
        fake_core.ledger.charge(job)


def test_a_failed_job_is_refunded_exactly_once(fake_core: Core) -> None:
    fake_engine(fake_core).fail = True
    owner = fake_core.accounts.owner()
    job = fake_core.intake.submit_upload(
        owner, SMALL, "cat.png", JobSource.DESKTOP, OutputOptions()
    )
    assert fake_core.ledger.balance(owner) == 99
    fake_core.runner.run_until_idle()
    job = Job.get_by_id(job.id)
    assert job.status == "failed" and "fake engine" in (job.error_message or "")
    assert fake_core.ledger.balance(owner) == 100
    assert fake_core.ledger.refund(job) is False
    with pytest.raises(IntegrityError):
        CreditEntry.create(account=owner, job=job, kind="refund", amount=1)
    assert fake_core.ledger.balance(owner) == 100


def test_grants_must_be_positive(fake_core: Core) -> None:
    with pytest.raises(Exception, match="positive"):
        fake_core.ledger.grant(fake_core.accounts.owner(), 0)
