"""The API's contract in the fast lane: the app called in-process (no server, no model) over
the fake engine — keys, credits, refusals, polling and the download."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from bgdesk.api.app import create_app
from bgdesk.core.app import Core
from bgdesk.core.job_records import options_of
from bgdesk.request.formats import FORMATS, OutputFormat
from bgdesk.storage.models import Job
from tests.conftest import FakeEngine, decode, photo


class InProcess(httpx.BaseTransport):
    """Sends each request straight to the ASGI app, on an event loop of its own."""

    def __init__(self, app: object) -> None:
        self.asgi = httpx.ASGITransport(app=app)  # type: ignore[arg-type]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            response = await self.asgi.handle_async_request(request)
            body = await response.aread()
            return httpx.Response(
                response.status_code, headers=response.headers, content=body, request=request
            )

        return asyncio.run(send())


@pytest.fixture
def client(fake_core: Core) -> Iterator[httpx.Client]:
    key = fake_core.keys.create(fake_core.accounts.owner()).plaintext
    with httpx.Client(
        transport=InProcess(create_app(fake_core)),
        base_url="http://localhost",
        headers={"Authorization": f"Bearer {key}"},
    ) as session:
        yield session


def submit(client: httpx.Client, **fields: str) -> httpx.Response:
    return client.post(
        "/api/v1/remove-bg",
        data=fields,
        files={"image_file": ("coffee.jpg", photo("coffee", (64, 48)))},
    )


def test_submit_poll_and_download(client: httpx.Client, fake_core: Core) -> None:
    accepted = submit(client, format="webp")
    assert accepted.status_code == 202 and accepted.json()["status"] == "processing"
    job_id = accepted.json()["jobId"]
    assert client.get(f"/api/v1/jobs/{job_id}").json()["status"] == "processing"
    assert fake_core.runner.run_until_idle() == 1
    done = client.get(f"/api/v1/jobs/{job_id}").json()
    assert done["status"] == "completed" and "errorMessage" not in done
    download = httpx.URL(done["outputUrl"])
    assert download.path.endswith(f"{job_id}.webp")
    anonymous = client.get(download.path, headers={"Authorization": ""})
    assert anonymous.status_code == 200 and decode(anonymous.content).format == "WEBP"
    assert client.get("/api/v1/account").json()["credits"] == 99


@pytest.mark.parametrize("spec", FORMATS.values(), ids=list(FORMATS))
def test_a_cutout_comes_in_the_format_asked_for_under_its_media_type(
    client: httpx.Client, fake_core: Core, spec: OutputFormat
) -> None:
    job_id = submit(client, format=spec.name).json()["jobId"]
    fake_core.runner.run_until_idle()
    done = client.get(f"/api/v1/jobs/{job_id}").json()
    download = client.get(httpx.URL(done["outputUrl"]).path)
    assert download.headers["content-type"] == spec.media_type
    assert decode(download.content).format == (spec.encoder or "PNG")


def test_refusals_cost_nothing_and_say_which(client: httpx.Client, fake_core: Core) -> None:
    cases = [
        (client.post("/api/v1/remove-bg"), 400, "invalid_request"),
        (
            client.post("/api/v1/remove-bg", files={"image_file": ("x.jpg", b"not an image")}),
            400,
            "not_an_image",
        ),
        (submit(client, format="gif"), 400, "invalid_option"),
        (
            client.get("/api/v1/account", headers={"Authorization": "Bearer sk_live_nope"}),
            401,
            "invalid_api_key",
        ),
        (client.get("/api/v1/jobs/unknown"), 404, "not_found"),
    ]
    for answer, status, code in cases:
        assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)
    assert Job.select().count() == 0
    assert client.get("/api/v1/account").json()["credits"] == 100


def test_no_credits_is_402_and_a_failed_job_is_refunded(
    client: httpx.Client, fake_core: Core
) -> None:
    assert isinstance(fake_core.engine, FakeEngine)
    fake_core.engine.fail = True
    job_id = submit(client).json()["jobId"]
    fake_core.runner.run_until_idle()
    failed = client.get(f"/api/v1/jobs/{job_id}").json()
    assert failed["status"] == "failed" and failed["errorMessage"].startswith("Processing")
    assert client.get("/api/v1/account").json()["credits"] == 100, "refunded"
    owner = fake_core.accounts.owner()
    fake_core.ledger.grant(owner, 1)  # then spend everything
    for _ in range(101):
        assert submit(client).status_code == 202
    refused = submit(client)
    assert refused.status_code == 402 and refused.json()["error"]["code"] == "insufficient_credits"
    assert Job.select().count() == 102


def test_quality_and_edge_colours_are_asked_per_request(
    client: httpx.Client, fake_core: Core
) -> None:
    fast = submit(client, quality="fast", decontaminate="false").json()["jobId"]
    plain = submit(client).json()["jobId"]
    stored = {job.public_id: options_of(job) for job in Job.select()}
    assert (stored[fast].quality, stored[fast].decontaminate) == ("fast", False)
    assert (stored[plain].quality, stored[plain].decontaminate) == (None, None), "settings decide"
    refused = submit(client, quality="superb")
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == "quality must be best or fast, not 'superb'."
    assert client.get("/api/v1/account").json()["credits"] == 98, "the refusal cost nothing"
