"""`GET /api/v1/jobs/{id}?wait=N`: the status request held until the job ends, over a real
server; a job ended by another process on the same database is seen too."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bgdesk.paths import Paths
from tests.api.conftest import ServeFactory
from tests.conftest import FakeEngine, photo

SMALL = photo("astronaut", (64, 64))


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
