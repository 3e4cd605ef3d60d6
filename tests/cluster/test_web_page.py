"""The web page on a scaled-out installation, as real processes on PostgreSQL: two API nodes
that run no jobs and a worker that does. A browser signed in on one node drops photos there;
each card follows its job to the end though another machine ran it (the end notices wake the
node holding the status request), every cutout downloads from the other node too, and the
same session opens the History on the other node."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, expect

from bgdesk.core.sign_in import SignIns, sign_in_url
from bgdesk.storage.models import Account, Job, JobState
from tests.cluster.conftest import Cluster
from tests.web.conftest import WAIT_MS, Watched, browser  # noqa: F401 (the fixture)
from tests.web.test_page import write_photo

pytestmark = pytest.mark.slow  # PostgreSQL, three processes, the real model and a browser


def test_any_node_serves_the_page_follows_every_job_and_downloads_every_cutout(
    cluster: Cluster,
    browser: Browser,  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> None:
    token = SignIns().link(Account.get(Account.name == "studio"))
    with (
        cluster.api("api-a") as node_a,
        cluster.api("api-b") as node_b,
        cluster.worker("worker") as worker,
    ):
        page = browser.new_page()
        watched = Watched(page)
        page.goto(sign_in_url(node_a, token))
        expect(page.locator("#who")).to_have_text("studio · 500 credits", timeout=WAIT_MS)
        photos = [write_photo(tmp_path, name) for name in ("coffee", "rocket", "astronaut")]
        page.set_input_files("#photos", [str(path) for path in photos])
        expect(page.locator(".download:visible")).to_have_count(3, timeout=WAIT_MS)
        expect(page.locator("#who")).to_have_text("studio · 497 credits")

        jobs = list(Job.select())
        assert len(jobs) == 3 and {job.status for job in jobs} == {JobState.COMPLETED}
        assert {job.runner_pid for job in jobs} == {worker.pid}, "the worker made them"
        for href in page.locator(".download").evaluate_all("links => links.map(a => a.href)"):
            path = urlsplit(href).path
            here, there = httpx.get(node_a + path, timeout=60), httpx.get(node_b + path, timeout=60)
            assert here.status_code == there.status_code == 200
            assert here.content == there.content, "the shared folder serves both nodes"
            assert Image.open(io.BytesIO(there.content)).mode == "RGBA"

        page.goto(f"{node_b}/#history")  # the cookie is the host's, the session the database's
        expect(page.locator("#who")).to_have_text("studio · 497 credits", timeout=WAIT_MS)
        expect(page.locator(".job .download:visible")).to_have_count(3)
        assert watched.problems == [], watched.problems
