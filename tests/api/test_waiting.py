"""`GET /api/v1/jobs/{id}?wait=N`: the status request held until the job ends, over a real
server; a job ended by another process on the same database is seen too."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from bgdesk.api.waiting import MAX_HELD
from bgdesk.paths import Paths
from bgdesk.request.options import OutputOptions
from bgdesk.storage.models import JobSource
from bgdesk.storage.threads import IDLE
from tests.api.conftest import Served, ServeFactory
from tests.conftest import FakeEngine, on_postgresql, photo
from tests.postgres import PostgresServer

pytestmark = pytest.mark.slow  # a real server on a port

SMALL = photo("astronaut", (64, 64))
HOLDERS = 500
HOLD = 15  # seconds each is held: all are under way at once


def test_a_held_status_request_answers_when_the_job_ends(serve: ServeFactory) -> None:
    served = serve(fake=True)
    assert isinstance(served.core.engine, FakeEngine)
    served.core.engine.gate.clear()  # the job stays in the engine until the gate opens
    answers: list[dict[str, Any]] = []
    with served.client() as client:
        job = client.post("/api/v1/remove-bg", files={"image_file": ("a.jpg", SMALL)}).json()
        held = threading.Thread(
            target=lambda: answers.append(client.get(f"/api/v1/jobs/{job['jobId']}?wait=30").json())
        )
        held.start()
        assert served.core.engine.entered.wait(30), "the job reached the engine"
        with served.client() as other:
            brief = other.get(f"/api/v1/jobs/{job['jobId']}", params={"wait": 0.3}).json()
        assert brief["status"] == "processing"  # a wait that runs out gives the state as it is
        assert held.is_alive() and not answers, "held while the job is processing"
        served.core.engine.gate.set()
        held.join(20)
    assert answers and answers[0]["status"] == "completed" and answers[0]["outputUrl"]


def test_a_job_ended_by_another_server_on_the_same_database_ends_the_wait(
    serve: ServeFactory, home: Paths
) -> None:
    """The first server runs no jobs, so no event of its own ends the wait."""
    front = serve(fake=True, run_jobs=False)
    with front.client() as client:
        job = client.post("/api/v1/remove-bg", files={"image_file": ("a.jpg", SMALL)}).json()
        serve(fake=True, paths=home)  # its runner takes the job
        done = client.get(f"/api/v1/jobs/{job['jobId']}", params={"wait": 30}).json()
    assert done["status"] == "completed"


@pytest.mark.parametrize("wait", ["61", "-1", "soon"])
def test_a_wait_out_of_bounds_is_a_400(serve: ServeFactory, wait: str) -> None:
    served = serve(fake=True)
    with served.client() as client:
        job = client.post("/api/v1/remove-bg", files={"image_file": ("a.jpg", SMALL)}).json()
        answer = client.get(f"/api/v1/jobs/{job['jobId']}", params={"wait": wait})
    assert answer.status_code == 400 and "wait" in answer.json()["error"]["message"]


def test_waiting_on_an_unknown_job_is_a_404_at_once(serve: ServeFactory) -> None:
    served = serve(fake=True)
    with served.client() as client:
        answer = client.get("/api/v1/jobs/job_nothing", params={"wait": 60}, timeout=10)
    assert answer.status_code == 404


def test_thousands_of_held_requests_leave_no_listener_thread_or_file(serve: ServeFactory) -> None:
    served = serve(fake=True)
    clients, jobs = 4, 300
    served.core.ledger.grant(served.core.accounts.owner(), clients * jobs, "soak")
    listeners = len(served.core.events._listeners)
    samples: list[tuple[int, int]] = []

    def client_run(n: int) -> None:
        with served.client() as client:
            for _ in range(jobs):
                job = client.post("/api/v1/remove-bg", files={"image_file": ("a.jpg", SMALL)})
                status = f"/api/v1/jobs/{job.json()['jobId']}"
                done = client.get(status, params={"wait": 30}).json()
                assert done["status"] == "completed", done
                if n == 0:
                    samples.append((len(os.listdir("/proc/self/fd")), threading.active_count()))

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client_run, range(clients)))
    warm, end = samples[jobs // 4], samples[-1]
    assert end[0] <= warm[0] + 10 and end[1] <= warm[1] + 10, (warm, end)
    assert len(served.core.events._listeners) == listeners


def open_connections(served: Served, request: pytest.FixtureRequest) -> Callable[[], int]:
    """A count of this process's connections to the served database: on PostgreSQL the
    server's client backends; on SQLite the descriptors of the write-ahead log, one a
    connection (the main file's descriptor of a closed connection SQLite keeps for its next
    connection to reuse, as POSIX locks require)."""
    if on_postgresql(request.config):
        postgres: PostgresServer = request.getfixturevalue("postgres")
        return postgres.clients
    wal = f"{served.core.paths.database}-wal"

    def wal_descriptors() -> int:
        found = 0
        for fd in os.listdir("/proc/self/fd"):
            try:
                found += os.readlink(f"/proc/self/fd/{fd}") == wal
            except OSError:  # closed meanwhile
                continue
        return found

    return wal_descriptors


async def hold_all(
    served: Served, jobs: list[tuple[str, str]], holders: int = HOLDERS, hold: float = HOLD
) -> list[tuple[float, httpx.Response]]:
    """`holders` status requests at once, each held `hold` seconds, taking the (key, job)
    pairs of `jobs` in turn: when each came back, and what."""
    limits = httpx.Limits(max_connections=holders, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=served.url, limits=limits, timeout=hold + 120) as client:

        async def held(n: int) -> tuple[float, httpx.Response]:
            key, job = jobs[n % len(jobs)]
            answer = await client.get(
                f"/api/v1/jobs/{job}?wait={hold}", headers={"Authorization": f"Bearer {key}"}
            )
            return time.monotonic(), answer

        return await asyncio.gather(*(held(n) for n in range(holders)))


def never_ending_jobs(served: Served, accounts: int) -> list[tuple[str, str]]:
    """A (key, job) pair for each of 10 jobs of each of `accounts` accounts, the accounts
    taking turns, on a server with no runner: the jobs never end."""
    pairs: list[list[tuple[str, str]]] = []
    for n in range(accounts):
        account = served.core.accounts.create(f"holder{n}", credits=10)
        key = served.core.keys.create(account).plaintext
        submit = served.core.intake.submit_upload
        pairs.append(
            [
                (key, submit(account, SMALL, "a.jpg", JobSource.API, OutputOptions()).public_id)
                for _ in range(10)
            ]
        )
    return [pair for turn in zip(*pairs, strict=True) for pair in turn]


def test_held_requests_leave_no_thread_or_connection_behind(
    serve: ServeFactory, request: pytest.FixtureRequest
) -> None:
    """Once hundreds of held requests have been answered, the threads and the database
    connections they used go, without another request coming to prompt it."""
    served = serve(fake=True, run_jobs=False)
    jobs = never_ending_jobs(served, -(-HOLDERS // MAX_HELD))  # each account's share held
    connections = open_connections(served, request)
    for key, job in jobs:
        with served.client(key) as client:
            assert client.get(f"/api/v1/jobs/{job}").status_code == 200
    idle = threading.active_count(), connections()

    answers = asyncio.run(hold_all(served, jobs))
    assert {(a.status_code, a.json()["status"]) for _, a in answers} == {(200, "processing")}
    came = sorted(when for when, _ in answers)
    assert came[-1] - came[0] < HOLD, "the requests were not all held at once"

    deadline = time.monotonic() + IDLE + 30  # the threads end after IDLE seconds unused
    while True:
        threads, still_open = threading.active_count(), connections()
        if threads <= idle[0] and still_open <= idle[1]:
            break
        assert time.monotonic() < deadline, f"threads, connections: {threads, still_open}; {idle=}"
        time.sleep(0.1)


def test_one_account_holds_a_bounded_number_of_requests(
    serve: ServeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond its share, an account's status requests are answered at once, as without
    `wait`; another account's are still held."""
    monkeypatch.setattr("bgdesk.api.waiting.MAX_HELD", 3)
    served = serve(fake=True, run_jobs=False)
    (mine, job), (theirs, other) = never_ending_jobs(served, 2)[:2]
    started = time.monotonic()
    answers = asyncio.run(hold_all(served, [(mine, job)] * 5 + [(theirs, other)], 6, hold=6))
    came = sorted(when - started for when, _ in answers)
    assert {(a.status_code, a.json()["status"]) for _, a in answers} == {(200, "processing")}
    assert max(came[:2]) < 6 <= min(came[2:]), "two at once, three of mine and theirs held"
