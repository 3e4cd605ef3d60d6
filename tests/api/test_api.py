"""The REST API over HTTP, following docs/api.md step by step, with the real model."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from bgdesk.core.app import Core
from bgdesk.core.secrets import KeyringSecretStore
from bgdesk.inference.strokes import Stroke
from bgdesk.paths import Paths
from bgdesk.request.options import OutputOptions
from bgdesk.settings import Settings
from bgdesk.storage.models import CreditEntry, Job, JobSource, WebhookAttempt, WebhookDelivery
from tests.api.conftest import Served, ServeFactory, upload_path
from tests.conftest import FakeEngine, Receiver, decode, photo

pytestmark = pytest.mark.slow  # a real server on a port


def test_submit_poll_download(serve: ServeFactory) -> None:
    served = serve()
    with served.client() as client:
        answer = client.post(
            "/api/v1/remove-bg", files={"image_file": ("astronaut.jpg", photo("astronaut"))}
        )
        assert answer.status_code == 202
        accepted = answer.json()
        assert set(accepted) == {"jobId", "status", "createdAt", "estimatedCompletionTime"}
        assert accepted["status"] == "processing" and accepted["createdAt"].endswith("Z")
        assert accepted["estimatedCompletionTime"].endswith(("seconds", "minutes"))
        done = served.wait(client, accepted["jobId"])
    assert done["status"] == "completed" and done["completedAt"].endswith("Z")
    download = httpx_get(done["outputUrl"])
    assert download.status_code == 200 and download.headers["content-type"] == "image/png"
    alpha = np.asarray(decode(download.content))[..., 3]
    assert alpha.min() == 0 and alpha.max() == 255
    assert served.core.ledger.balance(served.core.accounts.owner()) == 99


def httpx_get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=30)


def test_image_url_and_options_urlencoded(serve: ServeFactory, receiver: Receiver) -> None:
    served = serve(allow_private_urls=True)
    receiver.files["/photos/coffee.jpg"] = (photo("coffee"), "image/jpeg")
    with served.client() as client:
        answer = client.post(
            "/api/v1/remove-bg",
            data={
                "image_url": f"{receiver.url}/redirect/photos/coffee.jpg",
                "format": "jpg",
                "bg_color": "#ff0000",
                "crop": "true",
            },
        )
        assert answer.status_code == 202, answer.text
        done = served.wait(client, answer.json()["jobId"])
    image = decode(httpx_get(done["outputUrl"]).content)
    assert image.format == "JPEG" and image.width < 600


def test_webhook_is_signed_and_retried_until_delivered(
    serve: ServeFactory, receiver: Receiver
) -> None:
    served = serve()
    receiver.fail_first = 2
    with served.client() as client:
        job_id = client.post(
            "/api/v1/remove-bg",
            files={"image_file": ("c.jpg", photo("coffee"))},
            data={"webhook_url": f"{receiver.url}/hook"},
        ).json()["jobId"]
        assert receiver.arrived.wait(60), "the webhook never arrived"
    headers, body = receiver.posts[-1]
    payload = json.loads(body)
    assert set(payload) == {"jobId", "status", "outputUrl", "completedAt"}
    assert payload["jobId"] == job_id and payload["status"] == "completed"
    secret = served.core.accounts.owner().webhook_secret
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Bgdesk-Signature"] == expected
    assert httpx_get(payload["outputUrl"]).status_code == 200
    delivery = WebhookDelivery.get(WebhookDelivery.job == served.core.jobs.get(job_id))
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    codes = [
        a.status_code
        for a in WebhookAttempt.select()
        .where(WebhookAttempt.delivery == delivery)
        .order_by(WebhookAttempt.id)
    ]
    assert codes == [503, 503, 200]


def test_bad_requests_are_400_and_free(serve: ServeFactory) -> None:
    served = serve(max_input_bytes=3_000_000)
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    cases: dict[str, dict[str, Any]] = {
        "no image": {},
        "both": {
            "files": {"image_file": ("a.jpg", photo("coffee"))},
            "data": {"image_url": "http://example.com/a.jpg"},
        },
        "not an image": {"files": {"image_file": ("a.jpg", b"just text")}},
        "unsupported": {"files": {"image_file": ("a.gif", gif.getvalue())}},
        "truncated": {"files": {"image_file": ("a.jpg", photo("astronaut")[:5000])}},
        "oversize": {"files": {"image_file": ("a.jpg", b"\xff" * 3_500_000)}},
        "bad url": {"data": {"image_url": "ftp://example.com/a.jpg"}},
        "private url": {"data": {"image_url": "http://127.0.0.1:9/a.jpg"}},
        "bad option": {
            "files": {"image_file": ("a.jpg", photo("coffee"))},
            "data": {"format": "gif"},
        },
        "bad colour": {
            "files": {"image_file": ("a.jpg", photo("coffee"))},
            "data": {"bg_color": "plaid"},
        },
        "unknown model": {
            "files": {"image_file": ("a.jpg", photo("coffee"))},
            "data": {"model": "nope"},
        },
    }
    expected_codes = {
        "not an image": "not_an_image",
        "unsupported": "unsupported_format",
        "truncated": "truncated_image",
        "oversize": "image_too_large",
        "bad url": "invalid_url",
        "private url": "invalid_url",
    }
    with served.client() as client:
        for name, request in cases.items():
            answer = client.post("/api/v1/remove-bg", **request)
            assert answer.status_code == 400, (name, answer.text)
            error = answer.json()["error"]
            assert error["message"] and error["code"] == expected_codes.get(name, error["code"])
    assert Job.select().count() == 0
    assert served.core.ledger.balance(served.core.accounts.owner()) == 100


def test_streamed_body_over_the_limit_is_cut_short(serve: ServeFactory) -> None:
    served = serve(max_input_bytes=1_000_000)
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        yield (
            b'--x\r\nContent-Disposition: form-data; name="image_file"; filename="big.jpg"'
            b"\r\nContent-Type: image/jpeg\r\n\r\n"
        )
        chunk = b"\0" * (1 << 20)
        while sent < 2 << 30:
            sent += len(chunk)
            yield chunk

    with served.client() as client:
        answer = client.post(
            "/api/v1/remove-bg",
            content=body(),
            headers={"Content-Type": "multipart/form-data; boundary=x"},
        )
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "image_too_large"
    assert sent < 64 << 20, f"the server read {sent >> 20} MiB before refusing"


def test_authentication_and_account_status(serve: ServeFactory) -> None:
    served = serve()
    core = served.core
    revoked = core.keys.create(core.accounts.owner())
    core.keys.revoke(revoked.key.id)
    for key in ["", "sk_live_" + "x" * 43, "not-a-key", revoked.plaintext]:
        with served.client(key) as client:
            answer = client.get("/api/v1/account")
            assert answer.status_code == 401 and answer.json()["error"]["code"] == "invalid_api_key"
    with served.client(key="x") as client:
        answer = client.get("/api/v1/account", headers={"Authorization": "Token abc"})
        assert answer.status_code == 401
    suspended = core.accounts.create("script", credits=3)
    key = core.keys.create(suspended).plaintext
    core.accounts.set_status("script", "suspended")
    with served.client(key) as client:
        answer = client.post("/api/v1/remove-bg", files={"image_file": ("c.jpg", photo("coffee"))})
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "account_suspended"
    assert core.ledger.balance(suspended) == 3


def test_no_credits_is_402_and_nothing_queued(serve: ServeFactory) -> None:
    served = serve()
    broke = served.core.accounts.create("broke")
    with served.client(served.core.keys.create(broke).plaintext) as client:
        answer = client.post("/api/v1/remove-bg", files={"image_file": ("c.jpg", photo("coffee"))})
        assert answer.status_code == 402
        assert answer.json()["error"]["code"] == "insufficient_credits"
        account = client.get("/api/v1/account").json()
        assert account == {
            "name": "broke",
            "status": "active",
            "credits": 0,
            "webhookSecret": broke.webhook_secret,
        }
    assert Job.select().count() == 0 and not list(served.core.paths.uploads_dir.iterdir())


def test_jobs_of_other_accounts_are_not_found(serve: ServeFactory) -> None:
    served = serve()
    other = served.core.accounts.create("other", credits=1)
    with served.client() as client:
        job_id = client.post(
            "/api/v1/remove-bg", files={"image_file": ("c.jpg", photo("coffee"))}
        ).json()["jobId"]
        assert client.get("/api/v1/jobs/nonexistent").status_code == 404
    with served.client(served.core.keys.create(other).plaintext) as client:
        answer = client.get(f"/api/v1/jobs/{job_id}")
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
        assert client.delete(f"/api/v1/jobs/{job_id}").status_code == 404
        assert client.get("/api/v1/jobs").json()["total"] == 0


def test_failed_job_is_refunded_once_and_listed(serve: ServeFactory, receiver: Receiver) -> None:
    served = serve(run_jobs=False)
    owner = served.core.accounts.owner()
    with served.client() as client:
        job_id = client.post(
            "/api/v1/remove-bg",
            files={"image_file": ("c.jpg", photo("coffee"))},
            data={"webhook_url": f"{receiver.url}/hook"},
        ).json()["jobId"]
        upload_path(served.core, job_id).unlink()  # the input vanishes before the job runs
        served.core.start()
        failed = served.wait(client, job_id)
        assert failed["status"] == "failed" and "Cannot read" in failed["errorMessage"]
        assert "outputUrl" not in failed
        page = client.get("/api/v1/jobs", params={"limit": 10}).json()
        assert page["total"] == 1 and page["jobs"][0]["jobId"] == job_id
    job = served.core.jobs.get(job_id)
    kinds = sorted(e.kind for e in CreditEntry.select().where(CreditEntry.job == job))
    assert kinds == ["charge", "refund"]
    assert served.core.ledger.balance(owner) == 100
    assert receiver.arrived.wait(30)
    notice = json.loads(receiver.posts[-1][1])
    assert set(notice) == {"jobId", "status", "errorMessage", "completedAt"}
    assert notice["status"] == "failed" and notice["jobId"] == job_id


def test_delete_removes_the_output(serve: ServeFactory) -> None:
    served = serve()
    with served.client() as client:
        job_id = client.post(
            "/api/v1/remove-bg", files={"image_file": ("c.jpg", photo("coffee"))}
        ).json()["jobId"]
        done = served.wait(client, job_id)
        answer = client.delete(f"/api/v1/jobs/{job_id}")
        assert answer.status_code == 200 and answer.json() == {"jobId": job_id, "deleted": True}
        assert "outputUrl" not in client.get(f"/api/v1/jobs/{job_id}").json()
    assert httpx_get(done["outputUrl"]).status_code == 404
    wrong_name = done["outputUrl"].rsplit("/", 1)[0] + "/other.png"
    assert httpx_get(wrong_name).status_code == 404


def test_eight_clients_two_hundred_jobs_fifty_credits(serve: ServeFactory) -> None:
    served = serve(fake=True)
    account = served.core.accounts.create("load", credits=50)
    key = served.core.keys.create(account).plaintext
    small = photo("chelsea", (40, 30), fmt="PNG")
    codes: list[int] = []
    accepted: list[str] = []
    lock = threading.Lock()

    def client_loop() -> None:
        with served.client(key) as client:
            for _ in range(25):
                answer = client.post("/api/v1/remove-bg", files={"image_file": ("cat.png", small)})
                with lock:
                    codes.append(answer.status_code)
                    if answer.status_code == 202:
                        accepted.append(answer.json()["jobId"])

    threads = [threading.Thread(target=client_loop) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (codes.count(202), codes.count(402), len(codes)) == (50, 150, 200)
    with served.client(key) as client:
        assert all(served.wait(client, job)["status"] == "completed" for job in accepted)
        assert client.get("/api/v1/account").json()["credits"] == 0
    entries = served.core.ledger.entries(account, limit=1000)
    assert sum(e.amount for e in entries) == 0 and len(entries) == 51


def test_openapi_documents_every_route_and_option(serve: ServeFactory) -> None:
    served = serve(fake=True)
    schema = httpx_get(f"{served.url}/openapi.json").json()
    assert {
        "/api/v1/remove-bg",
        "/api/v1/jobs/{job_id}",
        "/api/v1/jobs",
        "/api/v1/account",
        "/outputs/{token}/{filename}",
    } <= set(schema["paths"])
    form = json.dumps(schema["components"])
    for option in (
        "image_file",
        "image_url",
        "webhook_url",
        "format",
        "bg_color",
        "crop",
        "crop_margin",
        "mask_only",
        "model",
    ):
        assert option in form
    page = httpx_get(f"{served.url}/docs")
    assert page.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    assert httpx_get(f"{served.url}/docs-assets/swagger-ui-bundle.js").status_code == 200


def test_owed_webhook_is_delivered_after_a_restart(home: Paths, receiver: Receiver) -> None:
    before = Core(home, Settings(), FakeEngine(), KeyringSecretStore())
    job = before.intake.submit_upload(
        before.accounts.owner(),
        photo("coffee"),
        "c.jpg",
        JobSource.API,
        OutputOptions(),
        webhook_url=f"{receiver.url}/hook",
    )
    before.runner.run_until_idle()  # the job ends; the app stops before the webhook is sent
    before.close()
    assert not receiver.posts

    after = Core(home, Settings(), FakeEngine(), KeyringSecretStore())
    after.start()
    try:
        assert receiver.arrived.wait(30)
    finally:
        after.close()
    assert json.loads(receiver.posts[0][1])["jobId"] == job.public_id


def test_a_cutout_with_no_clear_subject_carries_a_warning(serve: ServeFactory) -> None:
    served = serve()
    with served.client() as client:
        jobs = {
            name: client.post(
                "/api/v1/remove-bg", files={"image_file": (f"{name}.jpg", photo(name, (320, 240)))}
            ).json()["jobId"]
            for name in ("grass", "astronaut")
        }
        grass, astronaut = (served.wait(client, jobs[name]) for name in ("grass", "astronaut"))
    assert grass["status"] == "completed" and grass["warning"].startswith("No clear subject")
    assert astronaut["status"] == "completed" and "warning" not in astronaut


def test_a_background_picture_is_uploaded_with_the_photo(serve: ServeFactory) -> None:
    served = serve()
    backdrop = Image.new("RGB", (90, 30), (255, 0, 255))
    buffer = io.BytesIO()
    backdrop.save(buffer, "PNG")
    with served.client() as client:
        files = {
            "image_file": ("astronaut.jpg", photo("astronaut", (256, 256))),
            "bg_image_file": ("wall.png", buffer.getvalue()),
        }
        answer = client.post("/api/v1/remove-bg", files=files, data={"format": "jpg"})
        assert answer.status_code == 202, answer.text
        done = served.wait(client, answer.json()["jobId"])
        shot = decode(httpx_get(done["outputUrl"]).content)
        assert shot.mode == "RGB"
        assert np.abs(np.asarray(shot)[4, 4].astype(int) - (255, 0, 255)).max() < 12
        kept = served.core.paths.edits_dir / f"{done['jobId']}.background"
        assert not kept.exists(), "the picture goes with the upload once the cutout is made"
        refused = client.post(
            "/api/v1/remove-bg",
            files={**files, "bg_image_file": ("wall.png", b"not a picture")},
        )
        assert (
            refused.status_code == 400
            and "background picture" in refused.json()["error"]["message"]
        )
        both = client.post("/api/v1/remove-bg", files=files, data={"bg_color": "red"})
        assert both.status_code == 400
        blurred = client.post(
            "/api/v1/remove-bg", files={"image_file": files["image_file"]}, data={"bg_blur": 6}
        )
        done = served.wait(client, blurred.json()["jobId"])
        pixels = np.asarray(decode(httpx_get(done["outputUrl"]).content)).astype(int)
        source = np.asarray(decode(photo("astronaut", (256, 256)))).astype(int)
        assert pixels.shape == source.shape, "the photo itself behind the subject"
        corner = np.abs(pixels[:40, :40] - source[:40, :40]).mean()
        assert 1 < corner < 40, "blurred, not replaced"
        assert client.get("/api/v1/account").json()["credits"] == 98


def astronaut_done(served: Served, client: httpx.Client, side: int) -> dict[str, Any]:
    """The astronaut, `side` pixels square, uploaded and cut out: its finished job."""
    answer = client.post(
        "/api/v1/remove-bg", files={"image_file": ("a.png", photo("astronaut", (side, side)))}
    )
    return served.wait(client, answer.json()["jobId"])


def test_an_edit_is_what_the_job_serves_after_a_restart(serve: ServeFactory) -> None:
    served = serve(keep_uploads=True)
    with served.client() as client:
        done = astronaut_done(served, client, 256)
        assert done["edited"] is False
        before = np.asarray(decode(httpx_get(done["outputUrl"]).content))
        served.core.cutouts.edit(done["jobId"], [Stroke(False, 60, 1.0, ((100.0, 60.0),))])
        edited = client.get(f"/api/v1/jobs/{done['jobId']}").json()
    assert edited["edited"] is True and edited["outputUrl"] == done["outputUrl"]
    again = serve(keep_uploads=True)  # another process's view: only what was stored
    with again.client() as client:
        assert client.get(f"/api/v1/jobs/{done['jobId']}").json()["edited"] is True
    after = np.asarray(decode(httpx_get(done["outputUrl"].replace(served.url, again.url)).content))
    assert before[60, 100, 3] == 255 and after[60, 100, 3] == 0
    assert np.array_equal(after[200:, :, 3], before[200:, :, 3])


def test_the_edits_route_fixes_a_cutout_with_clicks_and_a_box_for_free(
    serve: ServeFactory,
) -> None:
    served = serve(keep_uploads=True)
    with served.client() as client:
        done = astronaut_done(served, client, 256)
        route = f"/api/v1/jobs/{done['jobId']}/edits"
        before = np.asarray(decode(httpx_get(done["outputUrl"]).content))
        click = {"kind": "click", "x": 230, "y": 20, "keep": True}
        edited = client.post(route, json={"marks": [click]})
        assert edited.status_code == 200, edited.text
        assert edited.json()["edited"] is True and edited.json()["outputUrl"] == done["outputUrl"]
        clicked = np.asarray(decode(httpx_get(done["outputUrl"]).content))
        assert before[20, 230, 3] < 128 and clicked[20, 230, 3] == 255
        box = {"kind": "box", "left": 20, "top": 0, "right": 256, "bottom": 256}
        assert client.post(route, json={"marks": [box], "append": True}).status_code == 200
        boxed = np.asarray(decode(httpx_get(done["outputUrl"]).content))
        assert boxed[20, 230, 3] == 255 and not boxed[:, :20, 3].any(), "after the click"
        red = client.post(route, json={"background": {"bg_color": "#ff0000"}})
        assert red.status_code == 200
        assert tuple(np.asarray(decode(httpx_get(done["outputUrl"]).content))[5, 5]) == (255, 0, 0)
        for wrong, words in (
            ({"marks": [{"kind": "lasso"}]}, "kind"),
            ({"marks": [{"kind": "box", "left": 9, "top": 0, "right": 5, "bottom": 9}]}, "right"),
            ({"marks": [{"kind": "click", "x": "NaN", "y": 1}]}, "x"),
            ({"background": {"bg_image": True}}, "bg_color"),
        ):
            refused = client.post(route, json=wrong)
            assert refused.status_code == 400, (wrong, refused.text)
            assert refused.json()["error"]["code"] == "invalid_request"
            assert words in refused.json()["error"]["message"]
        back = client.post(route, json={"marks": [], "background": {}}).json()
        assert back["edited"] is False
        unmarked = np.asarray(decode(httpx_get(done["outputUrl"]).content))
        assert np.array_equal(unmarked, before)
        assert client.get("/api/v1/account").json()["credits"] == 99, "edits cost nothing"
        stranger = served.core.accounts.create("stranger", 5)
        other = served.client(served.core.keys.create(stranger).plaintext)
        assert other.post(route, json={"marks": [click]}).status_code == 404
        other.close()


def test_the_edits_route_says_what_to_do_when_the_photo_is_gone(serve: ServeFactory) -> None:
    served = serve(keep_uploads=False)
    with served.client() as client:
        done = astronaut_done(served, client, 128)
        refused = client.post(
            f"/api/v1/jobs/{done['jobId']}/edits",
            json={"marks": [{"kind": "click", "x": 5, "y": 5, "keep": False}]},
        )
    assert refused.status_code == 409
    assert "submit the photo again" in refused.json()["error"]["message"]


def test_the_system_says_where_models_run_and_a_missing_device_refuses_jobs(
    serve: ServeFactory,
) -> None:
    with serve().client() as client:
        system = client.get("/api/v1/system").json()
        assert system["device"] == "CPU" and system["deviceReason"].startswith("auto: ")
        assert system["deviceSetting"] == "auto" and "u2netp" in system["installedModels"]
        assert client.get("/api/v1/system", headers={"Authorization": ""}).status_code == 401
    served = serve(device="cuda")
    with served.client() as client:
        system = client.get("/api/v1/system").json()
        assert system["device"] is None and "bgdesk[cuda]" in system["deviceReason"]
        refused = client.post(
            "/api/v1/remove-bg", files={"image_file": ("a.jpg", photo("coffee", (64, 64)))}
        )
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "device_unavailable"
        assert client.get("/api/v1/account").json()["credits"] == 100
