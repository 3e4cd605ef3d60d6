"""bgdesk on a PostgreSQL server: the schema made by several machines starting at once, job
claims that never hand one job to two runners, connections that come back after the server
dropped them and go away with their threads, and word of a job's end between processes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from peewee import Database

from bgdesk.core.app import Core
from bgdesk.core.credits import CreditLedger
from bgdesk.core.events import ENDINGS, EventBus, JobEvent, JobEventKind
from bgdesk.core.fetch import FetchLimits, ImageFetcher
from bgdesk.core.fetches import PhotoFetches
from bgdesk.core.intake import JobIntake
from bgdesk.core.job_files import JobFiles
from bgdesk.core.leases import Leases
from bgdesk.core.queries import JobQueries
from bgdesk.core.running import JobRunning
from bgdesk.core.secrets import KeyringSecretStore
from bgdesk.errors import DatabaseUnreachable
from bgdesk.paths import Paths
from bgdesk.request.options import OutputOptions
from bgdesk.settings import Settings
from bgdesk.storage.database import open_database
from bgdesk.storage.failures import passing_trouble
from bgdesk.storage.migrations import SCHEMA_VERSION
from bgdesk.storage.models import Account, Job, JobSource
from tests.conftest import FakeEngine, photo
from tests.postgres import PostgresServer

pytestmark = pytest.mark.slow  # PostgreSQL


@pytest.fixture
def url(postgres: PostgresServer) -> Iterator[str]:
    with postgres.schema() as schema_url:
        yield schema_url


@pytest.fixture
def db(url: str) -> Iterator[Database]:
    opened = open_database(url)
    yield opened
    opened.close()


def test_machines_starting_at_once_make_the_schema_and_the_owner_once(
    url: str, tmp_path: Path
) -> None:
    def start(n: int) -> subprocess.Popen[str]:
        env = os.environ | {"BGDESK_HOME": str(tmp_path / str(n)), "BGDESK_DATABASE_URL": url}
        command = [sys.executable, "-m", "bgdesk", "credits", "show", "--json"]
        return subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )

    starts = [start(n) for n in range(4)]
    for process in starts:
        _, errors = process.communicate(timeout=120)
        assert process.returncode == 0, errors
    db = open_database(url)
    assert db.execute_sql("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    assert [(a.name, CreditLedger().balance(a)) for a in Account.select()] == [("owner", 100)]
    db.close()


def test_runners_claiming_at_once_each_take_other_jobs(db: Database, tmp_path: Path) -> None:
    engine, ledger = FakeEngine(), CreditLedger()
    account = Account.create(name="a", webhook_secret="s")
    ledger.grant(account, 200)
    files = JobFiles(tmp_path, tmp_path, tmp_path, Settings().input_limits)
    events, work = EventBus(), threading.Event()
    fetches = PhotoFetches(
        ImageFetcher(FetchLimits(1 << 20, 5.0, 0, False)), engine, files, ledger, events, work
    )
    intake = JobIntake(engine, ledger, events, files, fetches, JobQueries(), work)
    services = [
        JobRunning(engine, ledger, events, files, Leases(timedelta(minutes=1)), work)
        for _ in range(4)
    ]
    for n in range(120):
        intake.submit_upload(
            account, photo("coffee", (32, 24)), f"{n}.jpg", JobSource.API, OutputOptions()
        )
    claimed: list[list[int]] = [[] for _ in services]

    def claim_all(n: int) -> None:
        while (job := services[n].claim_next()) is not None:
            claimed[n].append(job.id)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(claim_all, range(4)))
    every = sorted(job_id for ids in claimed for job_id in ids)
    assert every == sorted(job.id for job in Job.select())  # each job once, none left
    assert all(claimed), "a runner never got a job: the claims waited on each other"
    fetches.close()
    for service in services:
        service.leases.close()


def test_a_connection_dropped_between_statements_is_replaced_unseen(
    db: Database, postgres: PostgresServer
) -> None:
    """The server's goodbye waits to be read on the idle connection: the next statement
    connects again instead of failing (as after the server restarted)."""
    Account.create(name="a", webhook_secret="s")
    (pid,) = db.execute_sql("SELECT pg_backend_pid()").fetchone()
    postgres.sql(f"SELECT pg_terminate_backend({pid})")
    deadline = time.monotonic() + 30
    while postgres.sql(f"SELECT 1 FROM pg_stat_activity WHERE pid = {pid}"):
        assert time.monotonic() < deadline, "the connection was never ended"
        time.sleep(0.02)  # gone once it has said goodbye
    assert Account.select().count() == 1


def test_a_connection_dropped_under_a_statement_fails_it_and_is_opened_again(
    db: Database, postgres: PostgresServer
) -> None:
    Account.create(name="a", webhook_secret="s")
    pid = db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]

    def terminate_once_sleeping() -> None:
        deadline = time.monotonic() + 30
        while not postgres.sql(
            f"SELECT pg_terminate_backend({pid}) FROM pg_stat_activity "
            f"WHERE pid = {pid} AND state = 'active' AND query LIKE '%pg_sleep%'"
        ):
            assert time.monotonic() < deadline, "the statement never started"
            time.sleep(0.02)

    killer = threading.Thread(target=terminate_once_sleeping)
    killer.start()
    with pytest.raises(DatabaseUnreachable), passing_trouble():  # the statement under way
        db.execute_sql("SELECT pg_sleep(60)")
    killer.join()
    assert Account.select().count() == 1  # the next one connects again


def test_a_transaction_dropped_before_its_commit_fails_rather_than_vanishing(
    db: Database, postgres: PostgresServer
) -> None:
    """The connection is never replaced under a transaction: its COMMIT fails (and the
    caller retries), rather than going to a new connection where it commits nothing."""
    (pid,) = db.execute_sql("SELECT pg_backend_pid()").fetchone()
    with pytest.raises(DatabaseUnreachable), passing_trouble(), db.atomic():
        Account.create(name="a", webhook_secret="s")
        postgres.sql(f"SELECT pg_terminate_backend({pid})")
        deadline = time.monotonic() + 30
        while postgres.sql(f"SELECT 1 FROM pg_stat_activity WHERE pid = {pid}"):
            assert time.monotonic() < deadline, "the connection was never ended"
            time.sleep(0.02)  # gone once it has said goodbye
    assert Account.select().count() == 0


def test_a_threads_connection_closes_with_the_thread(
    db: Database, postgres: PostgresServer
) -> None:
    before = postgres.clients()
    threads = [threading.Thread(target=lambda: Account.select().count()) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    deadline = time.monotonic() + 10  # the server notices a closed connection soon after
    while postgres.clients() != before:
        assert time.monotonic() < deadline, f"{postgres.clients() - before} left open"
        time.sleep(0.05)


def test_a_job_ended_by_another_process_is_heard_of_at_once(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An API node's waiting requests hear of a job a worker elsewhere ended (NOTIFY)."""
    monkeypatch.setenv("BGDESK_DATABASE_URL", url)
    api = Core(Paths.under(tmp_path / "api"), Settings(), FakeEngine(), KeyringSecretStore())
    worker = Core(Paths.under(tmp_path / "worker"), Settings(), FakeEngine(), KeyringSecretStore())
    heard: dict[str, list[JobEvent]] = {"api": [], "worker": []}
    ended = threading.Event()

    def listen(name: str) -> Callable[[JobEvent], None]:
        def on_event(event: JobEvent) -> None:
            if event.kind in ENDINGS:
                heard[name].append(event)
                if name == "api":
                    ended.set()

        return on_event

    api.events.subscribe(listen("api"))
    worker.events.subscribe(listen("worker"))
    try:
        api.start(run_jobs=False)
        worker.start()
        job = api.intake.submit_upload(
            api.accounts.owner(), photo("coffee", (32, 24)), "c.jpg", JobSource.API, OutputOptions()
        )
        assert ended.wait(30), "the API never heard of the job's end"
    finally:
        worker.close()
        api.close()
    expected = JobEvent(JobEventKind.COMPLETED, job.public_id, job.account_id, here=False)
    assert heard["api"] == [expected]
    assert [event.here for event in heard["worker"]] == [True], "a process heard itself"
