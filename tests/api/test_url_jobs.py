"""image_url jobs: answered at once, fetched in the background on a bounded pool, failed and
refunded when the photo never arrives, fetched again after a restart."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from bgdesk.core.app import Core
from bgdesk.core.secrets import KeyringSecretStore
from bgdesk.paths import Paths
from bgdesk.request.options import OutputOptions
from bgdesk.settings import Settings
from bgdesk.storage.models import JobSource, JobState
from tests.api.conftest import ServeFactory
from tests.conftest import FakeEngine, Receiver, photo
from tests.core.test_fetch import SLACK, STATUS_FOR_EVER, Dripper

pytestmark = pytest.mark.slow  # a real server on a port


def test_hanging_image_urls_hold_up_no_other_request(serve: ServeFactory, hanging: str) -> None:
    served = serve(fake=True, allow_private_urls=True, url_fetch_timeout=3)
    with httpx.Client(
        base_url=served.url, headers={"Authorization": f"Bearer {served.key}"}, timeout=5
    ) as client:  # a request held for a fetch would time out here
        accepted = [
            client.post("/api/v1/remove-bg", data={"image_url": hanging}) for _ in range(45)
        ]
        assert [a.status_code for a in accepted] == [202] * 45
        assert client.get("/api/v1/account").json()["credits"] == 55
        ended = [served.wait(client, a.json()["jobId"], timeout=60) for a in accepted]
    assert {e["status"] for e in ended} == {"failed"}
    assert "within 3 s" in ended[0]["errorMessage"]
    assert served.core.ledger.balance(served.core.accounts.owner()) == 100, "all refunded"


def test_an_image_url_dripping_its_answer_fails_in_time_and_is_refunded(
    serve: ServeFactory,
) -> None:
    """A server that sends its status line and headers a byte at a time, for ever, holds the
    fetch no longer than url_fetch_timeout."""
    served = serve(fake=True, allow_private_urls=True, url_fetch_timeout=2)
    with Dripper(dripped=STATUS_FOR_EVER) as dripper, served.client() as client:
        answer = client.post("/api/v1/remove-bg", data={"image_url": dripper.url})
        assert answer.status_code == 202
        ended = served.wait(client, answer.json()["jobId"])
        spans = dripper.spans()
    assert ended["status"] == "failed" and "within 2 s" in ended["errorMessage"]
    assert len(spans) == 1 and spans[0] <= 2 + SLACK, spans
    owner = served.core.accounts.owner()
    ledger = [entry.kind for entry in served.core.ledger.entries(owner)]
    assert ledger == ["refund", "charge", "grant"] and served.core.ledger.balance(owner) == 100


def test_an_image_url_that_is_not_an_image_fails_the_job_and_refunds_it(
    serve: ServeFactory, receiver: Receiver
) -> None:
    served = serve(fake=True, allow_private_urls=True)
    receiver.files["/page.jpg"] = (b"<html>not a photo</html>", "text/html")
    with served.client() as client:
        missing = client.post("/api/v1/remove-bg", data={"image_url": f"{receiver.url}/x.jpg"})
        page = client.post("/api/v1/remove-bg", data={"image_url": f"{receiver.url}/page.jpg"})
        assert missing.status_code == page.status_code == 202
        gone = served.wait(client, missing.json()["jobId"])
        not_image = served.wait(client, page.json()["jobId"])
    assert gone["status"] == "failed" and "HTTP 404" in gone["errorMessage"]
    assert not_image["status"] == "failed" and "not an image" in not_image["errorMessage"]
    assert served.core.ledger.balance(served.core.accounts.owner()) == 100


def test_a_fetch_cut_short_by_a_stop_is_made_by_the_next_start(
    home: Paths, receiver: Receiver
) -> None:
    receiver.files["/a.jpg"] = (photo("coffee", (80, 60)), "image/jpeg")
    settings = Settings()
    settings.allow_private_urls = True
    before = Core(home, settings, FakeEngine(), KeyringSecretStore())
    before.fetches.close()  # the process stops before it fetches anything
    owner = before.accounts.owner()
    job = before.intake.submit(owner, JobSource.API, OutputOptions(), url=f"{receiver.url}/a.jpg")
    before.close()
    assert not Path(job.input_path).exists()

    after = Core(home, settings, FakeEngine(), KeyringSecretStore())
    try:
        after.start()
        deadline = time.monotonic() + 30
        while after.jobs.get(job.public_id).status != JobState.COMPLETED:
            assert time.monotonic() < deadline, "the job never ran"
            time.sleep(0.05)
        assert after.ledger.balance(after.accounts.owner()) == 99
        assert len(receiver.gets) == 1
    finally:
        after.close()


def test_an_image_url_too_large_for_the_memory_budget_fails_and_is_refunded(
    serve: ServeFactory, receiver: Receiver
) -> None:
    served = serve(fake=True, allow_private_urls=True, memory_budget_mb=256)
    receiver.files["/a.jpg"] = (photo("coffee", (80, 60)), "image/jpeg")
    with served.client() as client:
        answer = client.post(
            "/api/v1/remove-bg",
            data={"image_url": f"{receiver.url}/a.jpg", "canvas": "10000x10000"},
        )
        assert answer.status_code == 202, "its size is known once it is fetched"
        ended = served.wait(client, answer.json()["jobId"])
    assert ended["status"] == "failed" and "memory_budget_mb" in ended["errorMessage"]
    assert served.core.ledger.balance(served.core.accounts.owner()) == 100
