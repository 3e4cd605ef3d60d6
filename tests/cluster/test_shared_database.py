"""Several machines on one PostgreSQL database and one shared folder, as real processes: API
nodes that only take jobs in (`bgdesk serve --no-runner`) and workers that run them
(`bgdesk worker`). Every accepted job is charged once and completed once, whatever happens
to the workers: a burst of clients against a fixed number of credits, a worker killed mid-job,
a worker cut off from the database for longer than its lease; every webhook try is sent by
exactly one worker."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from bgdesk.core.credits import CreditLedger
from bgdesk.storage.models import (
    Account,
    CreditEntry,
    Job,
    JobState,
    WebhookAttempt,
    WebhookDelivery,
)
from tests.cluster.conftest import Cluster
from tests.cluster.proxy import TcpProxy
from tests.conftest import Receiver, decode, photo
from tests.postgres import PostgresServer

pytestmark = pytest.mark.slow

SMALL = photo("coffee", (64, 48))
LEASE_SECONDS = 3  # where a test waits for a lease to lapse; elsewhere, the default's 30
SHORT_LEASE = {"job_lease_seconds": LEASE_SECONDS}


@cache
def large() -> bytes:
    """A photo whose job lasts long enough to be caught mid-way."""
    return photo("astronaut", (5000, 5000))


def submit(client: httpx.Client, data: bytes = SMALL) -> httpx.Response:
    return client.post("/api/v1/remove-bg", files={"image_file": ("p.jpg", data)})


def wait_for(client: httpx.Client, job_id: str, timeout: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}", params={"wait": 10}).json()
        if body["status"] in ("completed", "failed"):
            return body
    raise AssertionError(f"job {job_id} did not end in {timeout} s")


def ledger_of(job: Job) -> list[str]:
    return sorted(entry.kind for entry in CreditEntry.select().where(CreditEntry.job == job))


def test_eight_clients_two_apis_three_workers_spend_exactly_the_credits(
    cluster: Cluster,
) -> None:
    with ExitStack() as stack:
        apis = [stack.enter_context(cluster.api(f"api-{n}")) for n in range(2)]
        workers = [stack.enter_context(cluster.worker(f"worker-{n}")) for n in range(3)]

        def client_run(n: int) -> list[tuple[int, str]]:
            with cluster.client(apis[n % 2]) as client:
                answers = [submit(client) for _ in range(200)]
            return [(a.status_code, a.json().get("jobId", "")) for a in answers]

        with ThreadPoolExecutor(8) as pool:
            answers = [answer for run in pool.map(client_run, range(8)) for answer in run]
        accepted = [job_id for status, job_id in answers if status == 202]
        assert len(accepted) == 500
        assert sorted({status for status, _ in answers}) == [202, 402]
        with cluster.client(apis[0]) as client:
            ended = [wait_for(client, job_id) for job_id in accepted]
        ends = [body["status"] for body in ended]
        with cluster.client(apis[1]) as other:  # any API node serves any node's cutouts
            for body in ended[:20]:
                assert decode(other.get(body["outputUrl"].replace(apis[0], apis[1])).content)
    assert ends == ["completed"] * 500
    jobs = list(Job.select())
    assert len(jobs) == 500
    assert {job.attempts for job in jobs} == {1}, "a job ran twice"
    ran = {job.runner_pid for job in jobs}
    assert ran == {worker.pid for worker in workers}, "the API nodes ran jobs, or a worker none"
    assert all(ledger_of(job) == ["charge"] for job in jobs)
    assert CreditLedger().balance(Account.get(Account.name == "studio")) == 0
    assert len(list((cluster.storage / "outputs").iterdir())) == 500


def test_each_webhook_is_sent_once_by_whichever_worker_is_up(
    cluster: Cluster, receiver: Receiver
) -> None:
    receiver.fail_first = 10  # the first tries fail: every retry is one worker's too
    private = {"allow_private_urls": True}  # the receiver is on this machine
    with ExitStack() as stack:
        base = stack.enter_context(cluster.api("api", private))
        for n in range(3):
            stack.enter_context(cluster.worker(f"worker-{n}", settings=private))
        with cluster.client(base) as client:
            hook = {"webhook_url": f"{receiver.url}/hook"}
            jobs = [
                client.post("/api/v1/remove-bg", files={"image_file": ("p.jpg", SMALL)}, data=hook)
                for _ in range(30)
            ]
            for job in jobs:
                wait_for(client, job.json()["jobId"])
        deadline = time.monotonic() + 60
        while len({json.loads(body)["jobId"] for _, body in receiver.posts}) < 30:
            assert time.monotonic() < deadline, "not every webhook arrived"
            time.sleep(0.1)
        time.sleep(3)  # the workers look again: nothing more is sent
    tries = [
        (headers["X-Bgdesk-Delivery"], json.loads(body)["jobId"])
        for headers, body in receiver.posts
    ]
    assert len(tries) == 30 + 10, "a try was sent twice"
    logged = WebhookAttempt.select().count()
    assert logged == len(tries)
    assert {d.status for d in WebhookDelivery.select()} == {"delivered"}


def test_a_worker_killed_mid_job_leaves_it_to_another_charged_once(cluster: Cluster) -> None:
    with cluster.api("api") as base, cluster.client(base) as client:
        with cluster.worker("first") as first:
            job_id = submit(client, large()).json()["jobId"]
            deadline = time.monotonic() + 120
            while Job.get(Job.public_id == job_id).status != JobState.RUNNING:
                assert time.monotonic() < deadline, "the job never started"
                time.sleep(0.02)
            assert Job.get(Job.public_id == job_id).runner_pid == first.pid
            first.kill()  # SIGKILL: no goodbye, the lease stays
            first.wait()
        with cluster.worker("second"):
            body = wait_for(client, job_id)
            output = client.get(body["outputUrl"])
    job = Job.get(Job.public_id == job_id)
    assert body["status"] == "completed" and job.attempts == 2
    assert ledger_of(job) == ["charge"]
    assert decode(output.content).size == (5000, 5000)


def test_a_worker_cut_off_past_its_lease_does_not_end_the_job_twice(
    cluster: Cluster, postgres: PostgresServer
) -> None:
    with TcpProxy(postgres.port) as proxy, cluster.api("api") as base:
        through_proxy = cluster.url.replace(f":{postgres.port}/", f":{proxy.port}/")
        cut_off = cluster.worker("cut-off", through_proxy, SHORT_LEASE)
        with cluster.client(base) as client, cut_off as cut:
            job_id = submit(client, large()).json()["jobId"]
            deadline = time.monotonic() + 120
            while Job.get(Job.public_id == job_id).status != JobState.RUNNING:
                assert time.monotonic() < deadline, "the job never started"
                time.sleep(0.02)
            proxy.cut()  # the network between the worker and the database goes down
            with cluster.worker("other", settings=SHORT_LEASE):  # looks for lapsed ones often
                body = wait_for(client, job_id)
                cutout = client.get(body["outputUrl"]).content
                time.sleep(LEASE_SECONDS + 1)  # more than the lease, still cut off
                proxy.restore()
                # The cut-off worker reaches the database again and finds its job taken.
                cluster.wait_to_hear(cut, "was taken over by another runner", timeout=120)
                again = client.get(f"/api/v1/jobs/{job_id}").json()
                cutout_again = client.get(body["outputUrl"]).content
            assert cut.poll() is None, "the cut-off worker lives on"
    job = Job.get(Job.public_id == job_id)
    assert body["status"] == "completed" and again == body
    assert cutout_again == cutout, "the cut-off worker's cutout replaced the one delivered"
    assert [p.name for p in (cluster.storage / "outputs").iterdir()] == [Path(job.output_path).name]
    assert job.attempts == 2 and ledger_of(job) == ["charge"]
    assert proxy.cuts == 1
