"""A database held by another program and a full disk: passing trouble gets a 503 with a
Retry-After, nothing is charged for a refused request, and no accepted job is left running."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bgdesk.paths import Paths
from bgdesk.settings import Settings
from bgdesk.storage.models import Job, JobState
from tests.api.conftest import Served, ServeFactory
from tests.conftest import FakeEngine, fake_engine, photo

pytestmark = pytest.mark.slow  # a real server on a port

SMALL = photo("astronaut", (64, 64))


@contextmanager
def held(home: Paths) -> Iterator[None]:
    """Another program holding the database's write lock (as a backup tool or a second
    bgdesk stuck in a transaction would) until the block ends: the whole SQLite file, or
    on PostgreSQL the tables of jobs and credits (reading them stays allowed)."""
    url = Settings().database_url
    if url:
        import psycopg

        with psycopg.connect(url) as server:  # one transaction, committed at the end
            server.execute("LOCK TABLE job, credit_entry IN EXCLUSIVE MODE")
            yield
        return
    other = sqlite3.connect(home.database, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("COMMIT")
    finally:
        other.close()


def submit(served: Served, client: httpx.Client) -> httpx.Response:
    return client.post("/api/v1/remove-bg", files={"image_file": ("a.jpg", SMALL)})


def held_in_engine(served: Served, client: httpx.Client) -> tuple[str, FakeEngine]:
    """Submit a job and hold it inside the (fake) engine: (its id, the engine to let it go)."""
    engine = fake_engine(served.core)
    engine.gate.clear()
    job_id = submit(served, client).json()["jobId"]
    assert engine.entered.wait(10)
    return job_id, engine


def refusals(caplog: pytest.LogCaptureFixture, count: int) -> None:
    """Wait until the runner has said `count` times that recording a job's end failed: that
    it tried and was refused, not merely that it had not got that far yet."""
    deadline = time.monotonic() + 30
    while sum("recording its end failed" in r.getMessage() for r in caplog.records) < count:
        assert time.monotonic() < deadline, "the runner never tried to record the end"
        time.sleep(0.01)


def status_of(job_id: str) -> str:
    return str(Job.get(Job.public_id == job_id).status)


def balance(served: Served) -> int:
    return served.core.ledger.balance(served.core.accounts.owner())


def test_a_job_whose_end_meets_a_held_database_ends_once_it_is_free(
    serve: ServeFactory, home: Paths, caplog: pytest.LogCaptureFixture
) -> None:
    served = serve(fake=True, busy_timeout=0.2)
    with served.client() as client:
        job_id, engine = held_in_engine(served, client)
        with held(home):
            engine.gate.set()
            refusals(caplog, 2)
            assert status_of(job_id) == JobState.RUNNING
            refused = submit(served, client)
            assert refused.status_code == 503, refused.text
            assert refused.json()["error"]["code"] == "database_busy"
            assert int(refused.headers["Retry-After"]) > 0
        body = served.wait(client, job_id, timeout=15)
    assert body["status"] == "completed"
    assert balance(served) == 99  # one charge: the refused request cost nothing
    assert Job.select().count() == 1
    assert sorted(p.name for p in home.uploads_dir.iterdir()) == []  # nor left a file


def test_a_job_whose_end_cannot_be_recorded_in_time_runs_again_charged_once(
    serve: ServeFactory, home: Paths
) -> None:
    served = serve(fake=True, busy_timeout=0.2)
    running = served.core.running
    running.finish_patience = timedelta(seconds=0.5)
    running.leases.duration = timedelta(seconds=1)
    with served.client() as client:
        job_id, engine = held_in_engine(served, client)
        with held(home):
            engine.gate.set()
            deadline = time.monotonic() + 30
            while served.core.runner.executions == 0:  # past its patience: given up on
                assert time.monotonic() < deadline, "the runner never gave the end up"
                time.sleep(0.01)
            assert status_of(job_id) == JobState.RUNNING
        body = served.wait(client, job_id, timeout=15)
    assert body["status"] == "completed"
    job = Job.get(Job.public_id == job_id)
    assert job.attempts == 2 and engine.calls == 2
    assert balance(served) == 99


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MiB file system of its own (a tmpfs), to fill up; skipped where mounting one
    is not allowed."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    """Fill the file system holding `folder` to the last byte; returns the filler file."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as handle:
        for block in (65536, 1):
            try:
                while True:
                    handle.write(b"\0" * block)
            except OSError:
                pass
    return filler


def test_a_full_disk_refuses_with_503_and_fails_and_refunds_the_job_in_hand(
    serve: ServeFactory, small_disk: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    home = Paths.under(small_disk / "home")
    served = serve(fake=True, busy_timeout=0.2, paths=home)
    with served.client() as client:
        held_job, engine = held_in_engine(served, client)
        filler = fill(small_disk)
        refused = [submit(served, client) for _ in range(3)]
        engine.gate.set()  # the job in hand can write neither its cutout nor its end
        if not database_url:  # the database is on the full disk too: the end waits for room
            refusals(caplog, 1)
            assert status_of(held_job) == JobState.RUNNING
        else:  # the server records the end at once
            served.wait(client, held_job)
        filler.unlink()
        ended = served.wait(client, held_job)  # the live server ends it once it can
        after = submit(served, client)
        done = served.wait(client, after.json()["jobId"])
    for answer in refused:
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["code"] == "storage_full"
        assert int(answer.headers["Retry-After"]) > 0
    assert ended["status"] == "failed"
    assert "No space left on device" in ended["errorMessage"]
    assert str(small_disk) not in ended["errorMessage"]
    assert after.status_code == 202 and done["status"] == "completed"
    assert balance(served) == 99  # the failed job refunded, the refusals never charged
    assert [p.name for p in home.uploads_dir.iterdir() if p.suffix == ".part"] == []
