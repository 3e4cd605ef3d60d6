"""The web page of a real `bgdesk serve` with the real model, in a real browser: sign in
with a link from `bgdesk accounts link`, drop three photos, watch them finish, compare and
zoom, download one and the ZIP (real PNGs with alpha), find them in the History, delete one,
sign out; a spent link is refused in words; the page runs under a CSP with no inline script,
fits a phone's width and is used from the keyboard."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, FilePayload, Page, expect

from bgdesk.api.page import FILES
from tests.conftest import photo
from tests.web.conftest import WAIT_MS, Watched, bgdesk, sign_in_link

pytestmark = pytest.mark.slow  # a real server, model and browser

PHOTOS = ("coffee", "rocket", "astronaut")


def assert_cutout(data: bytes) -> None:
    cutout = Image.open(io.BytesIO(data))
    assert cutout.format == "PNG" and cutout.mode == "RGBA"
    assert cutout.getchannel("A").getextrema() == (0, 255), "a real cutout"


def drop_photos(page: Page, folder: Path, names: tuple[str, ...] = PHOTOS) -> None:
    """Drop photos on the page's drop zone, as a file manager's drag does."""
    files = []
    for name in names:
        data = photo(name, (240, 180))
        files.append({"name": f"{name}.jpg", "mimeType": "image/jpeg", "buffer": data})
        (folder / f"{name}.jpg").write_bytes(data)
    transfer = page.evaluate_handle("() => new DataTransfer()")
    for file in files:
        page.evaluate(
            """([transfer, file]) => transfer.items.add(
                new File([new Uint8Array(file.buffer)], file.name, {type: file.mimeType}))""",
            [transfer, {**file, "buffer": list(file["buffer"])}],
        )
    page.dispatch_event("#drop", "drop", {"dataTransfer": transfer})


def find_and_delete_in_the_history(page: Page) -> None:
    """The three cutouts in the History: searched, one deleted (its row stays, saying so)."""
    page.get_by_role("link", name="History").click()
    expect(page.locator(".job")).to_have_count(3)
    expect(page.locator("#history-count")).to_have_text("1\u20133 of 3")
    page.fill("#search", "rocket")
    page.press("#search", "Enter")
    expect(page.locator(".job")).to_have_count(1)
    expect(page.locator(".job .name")).to_have_text("rocket.jpg")
    expect(page.locator("#history-count")).to_have_text(
        "1\u20131 of 1 found for \u201crocket\u201d"
    )
    page.get_by_role("button", name="Delete rocket.jpg").click()
    expect(page.locator(".job .status")).to_have_text("Cutout deleted")
    expect(page.locator(".job button:visible, .job a:visible")).to_have_count(0)
    page.fill("#search", "")
    page.press("#search", "Enter")
    expect(page.locator(".job .download:visible")).to_have_count(2)
    expect(page.locator(".job .delete:visible")).to_have_count(2)


def another_person_in_the_same_tab_sees_nothing_of_it(page: Page) -> None:
    bgdesk("accounts", "create", "studio", "--credits", "5")
    page.goto(sign_in_link("studio"))  # another person, in the same tab: nothing carried over
    expect(page.locator("#who")).to_have_text("studio · 5 credits", timeout=WAIT_MS)
    page.get_by_role("link", name="Remove").click()
    expect(page.locator(".result")).to_have_count(0)
    expect(page.locator("#download-all a")).to_have_count(0)
    page.get_by_role("link", name="History").click()
    expect(page.locator("#history-count")).to_contain_text("No photos yet")
    expect(page.locator("#search")).to_have_value("")


def test_sign_in_drop_three_photos_compare_download_find_delete_and_sign_out(
    server: str, browser: Browser, tmp_path: Path, shots: Path
) -> None:
    link = sign_in_link()
    assert re.fullmatch(rf"{re.escape(server)}/#sign-in=si_[\w-]{{43}}", link), link
    context = browser.new_context(accept_downloads=True, viewport={"width": 1100, "height": 820})
    page = context.new_page()
    watched = Watched(page)

    page.goto(link)
    expect(page.locator("#remove")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#who")).to_contain_text("100 credits")
    assert page.url == f"{server}/", "the spent token is taken out of the address"

    drop_photos(page, tmp_path)
    expect(page.locator(".download:visible")).to_have_count(3, timeout=WAIT_MS)
    expect(page.locator("#who")).to_contain_text("97 credits")
    expect(page.locator("#batch-count")).to_have_text("3 cutouts done of 3")
    names = page.locator(".result .name").all_text_contents()
    assert sorted(names) == ["astronaut.jpg", "coffee.jpg", "rocket.jpg"]

    page.screenshot(path=shots / "web-remove.png")
    first = page.locator(".result").first
    first.locator(".divider").fill("20")
    split = first.locator(".compare").evaluate("node => node.style.getPropertyValue('--split')")
    assert split == "20%", "the divider moves the split"
    width = first.locator(".compare").bounding_box()["width"]  # type: ignore[index]
    first.get_by_role("button", name="Zoom in").click()
    first.get_by_role("button", name="Zoom in").click()
    expect(first.locator(".zoom-level")).to_have_text("200%")
    zoomed = first.locator(".compare").bounding_box()["width"]  # type: ignore[index]
    assert zoomed == pytest.approx(2 * width, rel=0.02), "zoomed twice as wide, to scroll"

    with page.expect_download() as one:
        first.locator(".download").click()
    assert_cutout(Path(one.value.path()).read_bytes())
    with page.expect_download() as everything:
        page.click("#download-all a")
    assert everything.value.suggested_filename == "cutouts.zip"
    archive = zipfile.ZipFile(Path(everything.value.path()))
    assert sorted(archive.namelist()) == [f"{n}-nobg.png" for n in sorted(PHOTOS)]
    for name in archive.namelist():
        assert_cutout(archive.read(name))

    find_and_delete_in_the_history(page)
    page.screenshot(path=shots / "web-history.png")

    another_person_in_the_same_tab_sees_nothing_of_it(page)

    page.click("#sign-out")
    expect(page.locator("#signed-out")).to_be_visible()
    page.reload()
    expect(page.locator("#signed-out")).to_be_visible()
    expect(page.locator(".result")).to_have_count(0)
    assert watched.problems == [], watched.problems

    page.goto(link)  # the same link again: spent
    expect(page.locator("#sign-in-error")).to_contain_text("not valid")
    context.close()


def test_a_linked_photo_and_the_options_make_a_white_square_jpeg(
    server: str, browser: Browser, tmp_path: Path
) -> None:
    """A photo's link is fetched by the server (this one's own cutout, on loopback, which a
    server refuses unless allowed: said in words), and options chosen once are kept."""
    page = browser.new_page()
    watched = Watched(page, expected=("401", "400"))
    # by another name than the server's own address: the page asks its own origin
    page.goto(sign_in_link().replace("127.0.0.1", "localhost"))
    expect(page.locator("#remove")).to_be_visible(timeout=WAIT_MS)
    page.click("#options summary")
    page.fill("[name=bg_color]", "#ff0000")
    expect(page.locator("[name=background][value=colour]")).to_be_checked()
    page.check("[name=background][value=transparent]")
    page.select_option("[name=format]", "jpg")
    page.select_option("[name=canvas]", "square-1000")
    page.reload()
    page.click("#options summary")
    expect(page.locator("[name=canvas]")).to_have_value("square-1000")  # kept
    named = "<img src=x onerror=alert(1)>.jpg"  # a name is shown as text, never as HTML
    payload = FilePayload(name=named, mimeType="image/jpeg", buffer=photo("coffee"))
    page.set_input_files("#photos", [payload])
    expect(page.locator(".download:visible")).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator(".result .name")).to_have_text(named)
    expect(page.locator("img[src=x]")).to_have_count(0)
    expect(page.locator(".result .before")).to_have_count(0)  # a canvas does not lie over it
    href = page.locator(".download").get_attribute("href")
    assert str(href).startswith("/outputs/"), href
    shown = page.locator(".result .after").evaluate("image => image.naturalWidth")
    assert shown == 1000, "the cutout loads from this origin"
    made = Image.open(io.BytesIO(httpx.get(f"{server}{href}", timeout=60).content))
    assert made.format == "JPEG" and made.size == (1000, 1000)

    page.fill("#link", f"{server}/web/%ZZbgdesk.svg")
    page.click("#by-link button")
    expect(page.locator(".result .status.error")).to_contain_text("private", timeout=WAIT_MS)
    expect(page.locator(".result .name").first).to_have_text("%ZZbgdesk.svg")
    page.fill("#link", "not a link")
    page.click("#by-link button")
    expect(page.locator("#link:invalid")).to_have_count(1)  # the browser says so first
    assert watched.problems == [], watched.problems


def write_photo(folder: Path, name: str) -> Path:
    path = folder / f"{name}.jpg"
    path.write_bytes(photo(name, (240, 180)))
    return path


def test_the_page_fits_a_phone_and_is_used_from_the_keyboard(
    server: str, browser: Browser, tmp_path: Path, shots: Path
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(sign_in_link())
    expect(page.locator("#remove")).to_be_visible(timeout=WAIT_MS)
    for view in ("remove", "history", "account", "installation"):
        page.goto(f"{server}/#{view}")
        expect(page.locator(f"body[data-shown={view}]")).to_have_count(1)  # its rows drawn too
        expect(page.locator(f"#{view}")).to_be_visible()
        scroll = page.evaluate("document.scrollingElement.scrollWidth")
        assert scroll <= 390, f"{view} is {scroll} px wide on a 390 px phone"
        unnamed = page.evaluate(
            """view => [...document.querySelectorAll(`#${view} input, #${view} select,
               #${view} button`)].filter(e => !e.closest('[hidden]') && !(e.labels?.length
               || e.getAttribute('aria-label') || e.textContent.trim())).map(e => e.outerHTML)""",
            view,
        )
        assert unnamed == [], f"controls without a name for a screen reader: {unnamed}"
    page.goto(f"{server}/#remove")
    page.set_input_files("#photos", [str(write_photo(tmp_path, "astronaut"))])
    expect(page.locator(".download:visible")).to_have_count(1, timeout=WAIT_MS)
    page.screenshot(path=shots / "web-phone.png", full_page=True)

    page.reload()
    expect(page.locator("#remove")).to_be_visible()
    reached = []
    for _ in range(8):  # from the page's start: the skip link, the views, sign out, the drop
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.textContent.trim()"))
    assert reached[:6] == [
        "Skip to the page",
        "Remove",
        "History",
        "Account",
        "Installation",
        "Sign out",
    ], reached
    page.get_by_role("link", name="History").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#history")).to_be_visible()
    expect(page.locator("#history-title")).to_be_focused()
    context.close()


def test_the_page_allows_only_its_own_scripts(server: str) -> None:
    answer = httpx.get(f"{server}/", timeout=60)
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert answer.headers["x-content-type-options"] == "nosniff"
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", answer.text, re.S)
    assert scripts and all(not body.strip() for body in scripts), "no inline script"
    assert " on" not in re.sub(r"\s+", " ", answer.text).split("<body>")[1].split("=")[0]
    for name, (_, media_type) in FILES.items():
        served = httpx.get(f"{server}/web/{name}", timeout=60)
        assert served.status_code == 200 and served.headers["content-type"] == media_type
        assert served.headers["content-security-policy"] == policy
        imported = set(re.findall(r'from "\./(\w+\.js)"', served.text))
        assert imported <= set(FILES), f"{name} imports a module the server does not serve"
    assert httpx.get(f"{server}/web/../settings.json", timeout=60).status_code == 404
    assert httpx.get(f"{server}/web/nothing.js", timeout=60).status_code == 404
