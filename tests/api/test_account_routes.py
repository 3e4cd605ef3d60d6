"""The account routes over a real server: keys made, listed and revoked from a browser's
session, the credit ledger, the owner's accounts (made, granted, suspended, handed a link)
refused to everyone else, the history searched, and many cutouts taken away as one ZIP."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import httpx
import pytest
from PIL import Image

from bgdesk.api.credentials import CSRF_HEADER
from bgdesk.api.routes import MAX_ARCHIVED
from tests.api.conftest import Served, ServeFactory, signed_in
from tests.conftest import photo

pytestmark = pytest.mark.slow  # a real server


def submitted(served: Served, client: httpx.Client, name: str, **headers: str) -> str:
    image = {"image_file": (name, photo("coffee", (64, 48)), "image/jpeg")}
    answer = client.post("/api/v1/remove-bg", files=image, headers=headers)
    assert answer.status_code == 202, answer.text
    job_id: str = answer.json()["jobId"]
    return job_id


def test_keys_made_in_a_session_work_once_shown_and_stop_when_revoked(
    serve: ServeFactory, browsers: Callable[[str], httpx.Client]
) -> None:
    served = serve(fake=True)
    alice = served.core.accounts.create("alice", credits=5)
    browser = browsers(served.url)
    csrf = signed_in(browser, served.core.sign_ins.link(alice))
    assert browser.post("/api/v1/keys", json={"name": "shop"}).status_code == 403, "CSRF"
    made = browser.post("/api/v1/keys", json={"name": "shop"}, headers={CSRF_HEADER: csrf})
    assert made.status_code == 201, made.text
    key = made.json()["apiKey"]
    assert key.startswith("sk_live_") and made.json()["prefix"] == key[:12]
    with served.client(key) as script:
        assert script.get("/api/v1/account").json()["name"] == "alice"
    listed = browser.get("/api/v1/keys").json()["keys"]
    assert [k["name"] for k in listed] == ["shop"] and "apiKey" not in listed[0]
    assert "lastUsedAt" in listed[0], "the script's call is seen"
    assert served.core.keys.secrets.load(f"api-key-{listed[0]['id']}") is None, "not kept"

    owners_key = served.core.keys.list(served.core.accounts.owner())[0].id
    stolen = browser.delete(f"/api/v1/keys/{owners_key}", headers={CSRF_HEADER: csrf})
    assert stolen.status_code == 404, "another account's key is not this one's to revoke"
    with served.client() as owner:
        assert owner.get("/api/v1/account").status_code == 200

    revoked = browser.delete(f"/api/v1/keys/{listed[0]['id']}", headers={CSRF_HEADER: csrf})
    assert revoked.status_code == 200 and revoked.json()["revokedAt"]
    with served.client(key) as script:
        assert script.get("/api/v1/account").status_code == 401
    long_name = browser.post("/api/v1/keys", json={"name": "x" * 101}, headers={CSRF_HEADER: csrf})
    assert long_name.status_code == 400
    for huge in (2**31, 10**30):
        answer = browser.delete(f"/api/v1/keys/{huge}", headers={CSRF_HEADER: csrf})
        assert answer.status_code == 400, answer.text


def test_a_key_cannot_make_or_revoke_keys(serve: ServeFactory) -> None:
    """A leaked key must not mint its successor or revoke the keys that replace it."""
    served = serve(fake=True)
    with served.client() as script:
        made = script.post("/api/v1/keys", json={"name": "successor"})
        assert made.status_code == 403 and made.json()["error"]["code"] == "session_required"
        own = served.core.keys.list(served.core.accounts.owner())[0].id
        assert script.delete(f"/api/v1/keys/{own}").status_code == 403
        assert script.get("/api/v1/keys").status_code == 200, "listing them is harmless"
    assert len(served.core.keys.list()) == 1 and served.core.keys.list()[0].revoked_at is None


def test_the_ledger_shows_grants_and_charges_with_their_photos(
    serve: ServeFactory,
) -> None:
    served = serve(fake=True)
    with served.client() as client:
        job_id = submitted(served, client, "coffee.jpg")
        served.wait(client, job_id)
        page = client.get("/api/v1/account/credits", params={"limit": 1}).json()
        assert page["balance"] == 99 and page["total"] == 2 and page["limit"] == 1
        assert page["entries"] == [
            {
                "kind": "charge",
                "amount": -1,
                "note": f"job {job_id}",
                "jobId": job_id,
                "photo": "coffee.jpg",
                "createdAt": page["entries"][0]["createdAt"],
            }
        ]
        older = client.get("/api/v1/account/credits", params={"offset": 1}).json()["entries"]
        assert [(e["kind"], e["amount"], e["note"]) for e in older] == [
            ("grant", 100, "welcome grant")
        ]


def test_only_the_owner_manages_accounts(
    serve: ServeFactory, browsers: Callable[[str], httpx.Client]
) -> None:
    served = serve(fake=True)
    core = served.core
    bob = core.accounts.create("bob", credits=1)
    bobs_key = core.keys.create(bob).plaintext
    with served.client(bobs_key) as script:
        for method, path, body in (
            ("GET", "/api/v1/accounts", None),
            ("POST", "/api/v1/accounts", {"name": "mallory", "credits": 9}),
            ("POST", f"/api/v1/accounts/{bob.id}/credits", {"amount": 1000}),
            ("PATCH", f"/api/v1/accounts/{core.accounts.owner().id}", {"status": "suspended"}),
            ("POST", f"/api/v1/accounts/{core.accounts.owner().id}/sign-in-link", None),
        ):
            answer = script.request(method, path, json=body)
            assert answer.status_code == 403, (path, answer.text)
            assert answer.json()["error"]["code"] == "owner_only"
    assert core.ledger.balance(bob) == 1 and len(core.accounts.list()) == 2

    owner = browsers(served.url)
    csrf = signed_in(owner, core.sign_ins.link(core.accounts.owner()))
    change = {CSRF_HEADER: csrf}
    assert owner.post("/api/v1/accounts", json={"name": "studio"}).status_code == 403, "CSRF"
    forged = owner.patch(f"/api/v1/accounts/{bob.id}", json={"status": "suspended"})
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "csrf_token_invalid"
    number = owner.post("/api/v1/accounts", json={"name": "7"}, headers=change)
    assert number.status_code == 400, "accounts are also found by number"
    for path in (f"/api/v1/accounts/{2**31}", "/api/v1/accounts/0", "/api/v1/accounts/x"):
        assert owner.patch(path, json={"status": "active"}, headers=change).status_code == 400
    missing = owner.patch("/api/v1/accounts/999", json={"status": "active"}, headers=change)
    assert missing.status_code == 404
    made = owner.post("/api/v1/accounts", json={"name": "studio", "credits": 5}, headers=change)
    assert made.status_code == 201 and made.json()["credits"] == 5, made.text
    studio = made.json()["id"]
    taken = owner.post("/api/v1/accounts", json={"name": "studio"}, headers=change)
    assert taken.status_code == 409
    granted = owner.post(
        f"/api/v1/accounts/{studio}/credits", json={"amount": 20, "note": "Dec"}, headers=change
    )
    assert granted.json()["credits"] == 25
    assert core.ledger.entries(core.accounts.get(studio))[0].note == "Dec"
    assert (
        owner.post(
            f"/api/v1/accounts/{studio}/credits", json={"amount": 0}, headers=change
        ).status_code
        == 400
    )

    link = owner.post(f"/api/v1/accounts/{studio}/sign-in-link", headers=change).json()
    assert link["url"].startswith(f"{served.url}/#sign-in=si_")
    studio_browser = browsers(served.url)
    signed_in(studio_browser, link["url"].partition("#sign-in=")[2])
    assert studio_browser.get("/api/v1/session").json()["account"] == "studio"

    suspended = owner.patch(
        f"/api/v1/accounts/{studio}", json={"status": "suspended"}, headers=change
    )
    assert suspended.json()["status"] == "suspended"
    assert studio_browser.get("/api/v1/session").status_code == 403, "its session stops"
    no_link = owner.post(f"/api/v1/accounts/{studio}/sign-in-link", headers=change)
    assert no_link.status_code == 409, "a suspended account gets no link"
    resumed = owner.patch(f"/api/v1/accounts/{studio}", json={"status": "active"}, headers=change)
    assert resumed.json()["status"] == "active"
    assert studio_browser.get("/api/v1/session").status_code == 200
    mine = owner.patch(
        f"/api/v1/accounts/{core.accounts.owner().id}",
        json={"status": "suspended"},
        headers=change,
    )
    assert mine.status_code == 409, "the owner cannot lock the owner out"
    listed = owner.get("/api/v1/accounts").json()["accounts"]
    assert [(a["name"], a["owner"], a["credits"]) for a in listed] == [
        ("owner", True, 100),
        ("bob", False, 1),
        ("studio", False, 25),
    ]


def test_a_zip_names_its_cutouts_without_folders_drives_or_twins(serve: ServeFactory) -> None:
    served = serve(fake=True)
    names = ("..\\..\\evil.jpg", "C:\\photos\\Coffee.jpg", "a/b/coffee.jpg", "..", " .jpg")
    with served.client() as client:
        ids = [submitted(served, client, name) for name in names]
        for job_id in ids:
            served.wait(client, job_id)
        answer = client.get("/api/v1/archive", params={"jobs": ",".join(ids)})
    assert zipfile.ZipFile(io.BytesIO(answer.content)).namelist() == [
        "evil-nobg.png",
        "Coffee-nobg.png",
        "coffee-nobg-2.png",
        "image-nobg.png",
        "jpg-nobg.png",
    ]


def test_signing_in_again_ends_the_browsers_previous_session(
    serve: ServeFactory, browsers: Callable[[str], httpx.Client]
) -> None:
    served = serve(fake=True)
    core = served.core
    browser = browsers(served.url)
    signed_in(browser, core.sign_ins.link(core.accounts.owner()))
    first = browser.cookies["bgdesk_session"]
    signed_in(browser, core.sign_ins.link(core.accounts.create("alice")))
    assert browser.get("/api/v1/session").json()["account"] == "alice"
    with httpx.Client(base_url=served.url, cookies={"bgdesk_session": first}) as old:
        assert old.get("/api/v1/session").status_code == 401, "the owner's session ended"


def test_the_history_is_searched_by_the_photos_name(serve: ServeFactory) -> None:
    served = serve(fake=True)
    with served.client() as client:
        for name in ("coffee.jpg", "rocket.png", "coffee-2.jpg"):
            submitted(served, client, name)
        found = client.get("/api/v1/jobs", params={"search": "coffee"}).json()
        assert found["total"] == 2
        assert [job["name"] for job in found["jobs"]] == ["coffee-2.jpg", "coffee.jpg"]
        assert client.get("/api/v1/jobs", params={"search": "api"}).json()["total"] == 0
        assert client.get("/api/v1/jobs", params={"search": "%"}).json()["total"] == 0
        assert client.get("/api/v1/jobs", params={"search": "x" * 201}).status_code == 400


def test_many_cutouts_come_as_one_zip_of_the_accounts_own(serve: ServeFactory) -> None:
    served = serve(fake=True)
    with served.client() as client:
        ids = [
            submitted(served, client, name) for name in ("coffee.jpg", "rocket.png", "coffee.jpg")
        ]
        for job_id in ids:
            assert served.wait(client, job_id)["status"] == "completed"
        answer = client.get("/api/v1/archive", params={"jobs": ",".join(ids)})
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
        assert 'filename="cutouts.zip"' in answer.headers["content-disposition"]
        archive = zipfile.ZipFile(io.BytesIO(answer.content))
        assert archive.namelist() == ["coffee-nobg.png", "rocket-nobg.png", "coffee-nobg-2.png"]
        for name in archive.namelist():
            cutout = Image.open(io.BytesIO(archive.read(name)))
            assert cutout.format == "PNG" and cutout.mode == "RGBA"

        bob = served.core.accounts.create("bob", credits=1)
        with served.client(served.core.keys.create(bob).plaintext) as other:
            refused = other.get("/api/v1/archive", params={"jobs": ids[0]})
            assert refused.status_code == 404, "another account's cutouts are not found"
        assert client.delete(f"/api/v1/jobs/{ids[1]}").status_code == 200
        gone = client.get("/api/v1/archive", params={"jobs": ",".join(ids)})
        assert gone.status_code == 409 and "rocket.png" in gone.json()["error"]["message"]
        too_many = ",".join(["x"] * (MAX_ARCHIVED + 1))
        assert client.get("/api/v1/archive", params={"jobs": too_many}).status_code == 400
        assert client.get("/api/v1/archive", params={"jobs": ","}).status_code == 400
