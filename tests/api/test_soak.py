"""Thousands of requests through the real server: open files and threads stay flat and the
ledger stays exact (a leak that one request hides shows here)."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.api.conftest import ServeFactory
from tests.conftest import photo

pytestmark = pytest.mark.slow  # a real server on a port

SMALL = photo("astronaut", (64, 64))
CLIENTS, JOBS = 4, 200
LATE_WARM_UP = 10


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_long_run_of_jobs_leaks_no_file_or_thread(serve: ServeFactory) -> None:
    served = serve(fake=True)
    served.core.ledger.grant(served.core.accounts.owner(), CLIENTS * JOBS, "soak")
    samples: list[tuple[int, int]] = []

    def client_run(n: int) -> None:
        with served.client() as client:
            for _ in range(JOBS):
                answer = client.post("/api/v1/remove-bg", files={"image_file": ("a.jpg", SMALL)})
                job = answer.json()["jobId"]
                done = served.wait(client, job)
                assert client.get(done["outputUrl"]).content.startswith(b"\x89PNG")
                client.delete(f"/api/v1/jobs/{job}")
                if n == 0:
                    samples.append((open_files(), threading.active_count()))

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client_run, range(CLIENTS)))

    # A worker thread opens its own database connection when first used, and the pools are
    # bounded, so a few descriptors may still come late; a leak per job would add hundreds.
    warm, end = samples[JOBS // 4], samples[-1]
    assert end[0] <= warm[0] + LATE_WARM_UP, f"open files grew from {warm[0]} to {end[0]}"
    assert end[1] <= warm[1] + LATE_WARM_UP, f"threads grew from {warm[1]} to {end[1]}"
    assert served.core.ledger.balance(served.core.accounts.owner()) == 100
    assert served.core.jobs.count() == CLIENTS * JOBS
    assert list(served.core.paths.uploads_dir.iterdir()) == []
    assert list(served.core.paths.outputs_dir.iterdir()) == []
