"""The web page's sessions over a real server: a link's token signs in once, the cookie is
HttpOnly and SameSite=Strict, changes need the CSRF token, another account's session sees
nothing of this one's, sign-out ends it, and sign-in failures are slowed."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from bgdesk.api.credentials import CSRF_HEADER, SESSION_COOKIE
from bgdesk.core.sign_in import FAILURES_PER_MINUTE
from bgdesk.storage.models import Job
from tests.api.conftest import ServeFactory, signed_in
from tests.conftest import photo

pytestmark = pytest.mark.slow  # a real server


def test_a_link_signs_in_once_with_a_strict_http_only_cookie(
    serve: ServeFactory, browsers: Callable[[str], httpx.Client]
) -> None:
    served = serve(fake=True)
    token = served.core.sign_ins.link(served.core.accounts.owner())
    browser = browsers(served.url)
    answer = browser.post("/api/v1/session", json={"token": token})
    assert answer.status_code == 200
    assert answer.json()["owner"] is True and answer.json()["credits"] == 100
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=ws_")
    for flag in ("HttpOnly", "SameSite=strict", "Path=/", "Max-Age="):
        assert flag.lower() in cookie.lower(), cookie
    assert "secure" not in cookie.lower(), "plain http on loopback: not Secure"
    assert browser.get("/api/v1/session").json()["account"] == served.core.accounts.owner().name
    assert browser.get("/api/v1/account").status_code == 200, "every route takes the session"

    again = browsers(served.url).post("/api/v1/session", json={"token": token})
    assert again.status_code == 401 and again.json()["error"]["code"] == "not_signed_in"


def test_changes_need_the_csrf_token_and_sign_out_ends_the_session(
    serve: ServeFactory, browsers: Callable[[str], httpx.Client]
) -> None:
    served = serve(fake=True)
    browser = browsers(served.url)
    csrf = signed_in(browser, served.core.sign_ins.link(served.core.accounts.owner()))
    image = {"image_file": ("coffee.jpg", photo("coffee", (64, 64)), "image/jpeg")}
    forged = browser.post("/api/v1/remove-bg", files=image)
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "csrf_token_invalid"
    assert Job.select().count() == 0, "refused before anything was queued"
    wrong = browser.post("/api/v1/remove-bg", files=image, headers={CSRF_HEADER: "x" + csrf})
    assert wrong.status_code == 403
    made = browser.post("/api/v1/remove-bg", files=image, headers={CSRF_HEADER: csrf})
    assert made.status_code == 202, made.text
    assert browser.get(f"/api/v1/jobs/{made.json()['jobId']}").status_code == 200

    assert browser.delete("/api/v1/session").status_code == 403, "sign-out needs the token too"
    assert browser.delete("/api/v1/session", headers={CSRF_HEADER: csrf}).status_code == 204
    assert browser.get("/api/v1/session").status_code == 401
    assert browser.get("/api/v1/account").status_code == 401


def test_another_accounts_session_sees_nothing_of_this_ones_jobs(
    serve: ServeFactory, browsers: Callable[[str], httpx.Client]
) -> None:
    served = serve(fake=True)
    core = served.core
    owner_browser = browsers(served.url)
    owner_csrf = signed_in(owner_browser, core.sign_ins.link(core.accounts.owner()))
    image = {"image_file": ("coffee.jpg", photo("coffee", (64, 64)), "image/jpeg")}
    job_id = owner_browser.post(
        "/api/v1/remove-bg", files=image, headers={CSRF_HEADER: owner_csrf}
    ).json()["jobId"]
    alice = core.accounts.create("alice", credits=3)
    other = browsers(served.url)
    other_csrf = signed_in(other, core.sign_ins.link(alice))
    assert other.get(f"/api/v1/jobs/{job_id}").status_code == 404
    deleted = other.delete(f"/api/v1/jobs/{job_id}", headers={CSRF_HEADER: other_csrf})
    assert deleted.status_code == 404
    assert other.get("/api/v1/session").json()["account"] == "alice"
    assert owner_browser.get(f"/api/v1/jobs/{job_id}").status_code == 200, "still there"


def test_sign_in_failures_from_one_address_are_slowed(
    serve: ServeFactory, browsers: Callable[[str], httpx.Client]
) -> None:
    served = serve(fake=True)
    guesser = browsers(served.url)
    codes = [
        guesser.post("/api/v1/session", json={"token": f"si_guess{n}"}).status_code
        for n in range(FAILURES_PER_MINUTE + 1)
    ]
    assert codes[:FAILURES_PER_MINUTE] == [401] * FAILURES_PER_MINUTE
    assert codes[-1] == 429
    good = served.core.sign_ins.link(served.core.accounts.owner())
    refused = guesser.post("/api/v1/session", json={"token": good})
    assert refused.status_code == 429 and "Retry-After" in refused.headers


@pytest.mark.parametrize("body", [{}, {"token": 5}, {"token": "x" * 201}])
def test_a_malformed_sign_in_is_a_clear_400(serve: ServeFactory, body: dict[str, object]) -> None:
    served = serve(fake=True)
    with httpx.Client(base_url=served.url, timeout=60) as client:
        answer = client.post("/api/v1/session", json=body)
    assert answer.status_code == 400, answer.text
