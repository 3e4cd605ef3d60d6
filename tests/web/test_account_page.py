"""Account → API Keys and the owner's Installation view, in a real browser against a real
`bgdesk serve`: a key made on the page works with curl and stops when revoked; the ledger
shows the credits spent; the owner creates an account, grants it credits and hands it a
sign-in link; that account's person runs out of credits and reads the 402 in words, and is
signed out when suspended."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.web.conftest import WAIT_MS, open_signed_in, sign_in_link
from tests.web.test_page import write_photo

pytestmark = pytest.mark.slow  # a real server, model and browser

WIDE = {"width": 1100, "height": 900}


def curl(url: str, key: str) -> tuple[int, dict[str, object]]:
    """What a script gets asking `url` with `key`: the status and the JSON body."""
    made = subprocess.run(
        ["curl", "-sS", "-w", "\n%{http_code}", "-H", f"Authorization: Bearer {key}", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    body, _, status = made.stdout.rpartition("\n")
    return int(status), json.loads(body)


def test_a_key_made_on_the_page_works_with_curl_until_it_is_revoked(
    server: str, browser: Browser, tmp_path: Path, shots: Path
) -> None:
    page, watched = open_signed_in(browser, sign_in_link(), viewport=WIDE)
    page.set_input_files("#photos", [str(write_photo(tmp_path, "coffee"))])
    expect(page.locator(".download:visible")).to_have_count(1, timeout=WAIT_MS)

    page.get_by_role("link", name="Account").click()
    page.fill("#key-name", "shop sync")
    page.click("#new-key button")
    expect(page.locator("#made-key")).to_be_visible()
    expect(page.locator("#key-text")).to_have_value(re.compile(r"^sk_live_"))
    key = page.input_value("#key-text")
    expect(page.locator("#keys tr")).to_have_count(1)
    expect(page.locator("#keys")).to_contain_text(f"{key[:12]}…")
    expect(page.locator("#keys")).not_to_contain_text(key)  # listed without its plaintext
    status, account = curl(f"{server}/api/v1/account", key)
    assert status == 200 and account["name"] == "owner" and account["credits"] == 99

    expect(page.locator("#balance")).to_contain_text("99 credits")
    expect(page.locator("#ledger tr").first).to_contain_text("Cutout of coffee.jpg")
    expect(page.locator("#ledger tr").first).to_contain_text("\u22121")  # a minus sign
    expect(page.locator("#ledger tr").last).to_contain_text("Granted: welcome grant")
    page.screenshot(path=shots / "web-account.png", full_page=True)

    page.get_by_role("button", name="Revoke shop sync").click()
    expect(page.locator("#keys")).to_contain_text("Revoked")
    status, refused = curl(f"{server}/api/v1/account", key)
    assert status == 401 and refused["error"]["code"] == "invalid_api_key"  # type: ignore[index]
    page.reload()
    expect(page.locator("#made-key")).to_be_hidden()  # the plaintext is gone with the page
    assert watched.problems == [], watched.problems
    page.context.close()


def test_the_owner_grants_credits_and_a_colleague_reads_the_402_in_words(
    server: str, browser: Browser, tmp_path: Path, shots: Path
) -> None:
    owner, watched = open_signed_in(browser, sign_in_link(), viewport=WIDE)
    owner.get_by_role("link", name="Installation").click()
    expect(owner.locator("#system")).to_contain_text("u2net")
    expect(owner.locator("#system")).to_contain_text("CPU")
    owner.fill("#account-name", "studio")
    owner.fill("#account-credits", "1")
    owner.click("#new-account button")
    studio_row = owner.locator("#accounts tr", has_text="studio")
    expect(studio_row).to_contain_text("Active")
    owner.get_by_role("button", name="A sign-in link for studio").click()
    expect(owner.locator("#link-text")).to_have_value(re.compile(r"/#sign-in=si_"))
    link = owner.input_value("#link-text")

    colleague, heard = open_signed_in(browser, link, expected=("401", "402", "403"))
    expect(colleague.locator("#who")).to_have_text("studio · 1 credit")
    expect(colleague.locator("#installation-link")).to_be_hidden()  # not the owner's
    photos = [str(write_photo(tmp_path, name)) for name in ("coffee", "rocket")]
    colleague.set_input_files("#photos", photos)
    expect(colleague.locator(".download:visible")).to_have_count(1, timeout=WAIT_MS)
    refused = colleague.locator(".result .status.error")
    expect(refused).to_have_count(1, timeout=WAIT_MS)
    expect(refused).to_contain_text("Not enough credits: the balance is 0")
    expect(colleague.locator(".result .download:visible")).to_have_count(1)  # none for it
    expect(colleague.locator("#who")).to_have_text("studio · 0 credits")
    colleague.screenshot(path=shots / "web-credits-out.png")

    studio_row.get_by_role("spinbutton").fill("25")
    owner.get_by_role("button", name="Grant studio the credits").click()
    expect(studio_row.locator("td.number")).to_have_text("25")
    owner.screenshot(path=shots / "web-installation.png", full_page=True)
    colleague.reload()
    expect(colleague.locator("#who")).to_have_text("studio · 25 credits")
    colleague.get_by_role("link", name="Account").click()
    expect(colleague.locator("#ledger tr").first).to_contain_text("Granted: granted by owner")

    owner.get_by_role("button", name="Suspend studio").click()
    expect(studio_row).to_contain_text("Suspended")
    colleague.reload()
    expect(colleague.locator("#sign-in-error")).to_contain_text("suspended")
    expect(colleague.locator("#remove")).to_be_hidden()
    owner.get_by_role("button", name="Resume studio").click()
    expect(studio_row).to_contain_text("Active")
    assert watched.problems == [] and heard.problems == [], (watched.problems, heard.problems)
    colleague.context.close()
    owner.context.close()
