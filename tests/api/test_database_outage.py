"""The PostgreSQL server stopped under a real API server: every request is answered — 503
database_unreachable with a Retry-After — on a connection kept open for the next, the log
says so in one line (not a traceback a request), and once the database is back the same
server answers as before."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.api.conftest import Served, ServeFactory
from tests.conftest import photo
from tests.postgres import PostgresServer

pytestmark = pytest.mark.slow  # a real server on a port; PostgreSQL

SMALL = photo("astronaut", (64, 64))
CLIENTS = 4  # at once, each sending its requests one after another on one connection
REQUESTS = 10  # of each kind, by each client

Ask = Callable[[httpx.Client, str], httpx.Response]
KINDS: dict[str, Ask] = {
    "account": lambda client, job: client.get("/api/v1/account"),
    "status": lambda client, job: client.get(f"/api/v1/jobs/{job}"),
    "held status": lambda client, job: client.get(f"/api/v1/jobs/{job}", params={"wait": 30}),
    "upload": lambda client, job: client.post(
        "/api/v1/remove-bg", files={"image_file": ("a.jpg", SMALL)}
    ),
}


@pytest.fixture
def served(postgres: PostgresServer, serve: ServeFactory) -> Iterator[Served]:
    """An API node on the PostgreSQL server that takes jobs in for other machines' workers
    (`serve --no-runner`), listening for their jobs' ends."""
    with postgres.schema() as url:
        node = serve(fake=True, run_jobs=False, database_url=url)
        node.core.start(run_jobs=False)
        yield node


Answer = tuple[httpx.Response | httpx.TransportError, int]


def ask_all(served: Served, ask: Ask, job: str) -> list[Answer]:
    """What each of CLIENTS clients got for REQUESTS requests — an answer, or the error of a
    request that got none — with the client's port of the connection it came on."""

    def one_client(_: int) -> list[Answer]:
        answers: list[Answer] = []
        with served.client() as client:
            for _ in range(REQUESTS):
                try:
                    answer = ask(client, job)
                except httpx.TransportError as exc:
                    answers.append((exc, 0))
                else:
                    answers.append((answer, _port(answer)))
        return answers

    with ThreadPoolExecutor(CLIENTS) as pool:
        return [answer for answers in pool.map(one_client, range(CLIENTS)) for answer in answers]


def _port(answer: httpx.Response) -> int:
    """The client's port of the connection `answer` came on; 0 when the server hung up."""
    try:
        port: int = answer.extensions["network_stream"].get_extra_info("client_addr")[1]
    except OSError:  # closed already
        return 0
    return port


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_every_request_is_answered_while_the_database_is_down(
    served: Served, postgres: PostgresServer, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    with served.client() as client:
        job = client.post("/api/v1/remove-bg", files={"image_file": ("a.jpg", SMALL)})
        assert job.status_code == 202, job.text
    job_id = job.json()["jobId"]
    caplog.set_level(logging.INFO)
    caplog.clear()
    with postgres.stopped(mode):
        for kind, ask in KINDS.items():
            answers = ask_all(served, ask, job_id)
            unanswered = [repr(a) for a, _ in answers if isinstance(a, Exception)]
            assert not unanswered, f"{kind}: {len(unanswered)} of {len(answers)} got no answer"
            refused = [a for a, _ in answers if isinstance(a, httpx.Response)]
            assert {(a.status_code, a.json()["error"]["code"]) for a in refused} == {
                (503, "database_unreachable")
            }, kind
            assert all(int(a.headers["Retry-After"]) > 0 for a in refused), kind
            if kind != "upload":  # an upload refused before its body is read is hung up on
                ports = {port for _, port in answers}
                assert len(ports) == CLIENTS, f"{kind}: connections closed after an answer"

    with served.client() as client:  # the same server, back at work
        assert client.get("/api/v1/account").status_code == 200
        status = client.get(f"/api/v1/jobs/{job_id}").json()
        assert status["status"] == "processing", status
        upload = client.post("/api/v1/remove-bg", files={"image_file": ("b.jpg", SMALL)})
        assert upload.status_code == 202, upload.text
    troubles = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(troubles) == 1, [r.getMessage() for r in troubles]
    assert troubles[0].getMessage().startswith(f"Lost the database {postgres.url()}")
    assert not troubles[0].exc_info
    ends = [r.getMessage() for r in caplog.records if " is back after " in r.getMessage()]
    assert len(ends) == 1, ends
