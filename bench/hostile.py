"""Normal and hostile traffic together against `bgdesk serve`, for minutes on end: the
server's memory, open files and threads sampled, every answer tallied, the ledger checked.

    python bench/hostile.py [--minutes 10]

Two clients cut out small photos (submit, wait, download) throughout, while others send
what once held or exhausted the server: keyless uploads that trickle (401 at once), one
account's uploads that trickle (408 after the grace, 429 beyond its share), connections that
never finish their headers, 100 KB headers (431), output options that asked for gigabytes
(a 30000 x 1 line on a square canvas, 10000 x 10000 shadowed AVIF canvases; a WEBP one over
the budget: 400), and webhooks to a receiver that drips its answer. Prints the tallies,
the 5xx answers other than the documented 503s, whether memory, descriptors and threads
held flat (the median of the last quarter within 10 % of the second quarter's), the peak
memory over idle, and whether every job was charged exactly once.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from footprint import drawn, white_line
from serve import model_file, wait_until_up
from soak import Sampler, flatness, free_port

from bgdesk.paths import Paths
from bgdesk.storage.database import open_database
from bgdesk.storage.models import CreditEntry, Job

PART = (
    b'--x\r\nContent-Disposition: form-data; name="image_file"; filename="a.jpg"\r\n'
    b"Content-Type: image/jpeg\r\n\r\n"
)


class Tally:
    """Answers by kind of traffic and status; answers that never came count as `none`."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()

    def add(self, kind: str, status: int | str) -> None:
        with self.lock:
            self.counts[kind, str(status)] += 1

    def unexpected(self) -> dict[str, int]:
        """5xx other than 503, and requests left without an answer."""
        return {
            f"{kind} {status}": n
            for (kind, status), n in self.counts.items()
            if status == "none" or (status.startswith("5") and status != "503")
        }


def first_status(connection: socket.socket, timeout: float) -> str:
    connection.settimeout(timeout)
    try:
        head = connection.recv(64)
    except (TimeoutError, ConnectionResetError):
        return "none"
    return head.split(b" ")[1].decode() if head.startswith(b"HTTP/1.1 ") else "none"


def upload_head(port: int, key: str | None) -> bytes:
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    return (
        f"POST /api/v1/remove-bg HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}"
        "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 5000000\r\n\r\n"
    ).encode() + PART


def trickling(port: int, key: str | None, count: int, tally: Tally, kind: str) -> None:
    """`count` uploads whose bodies stop after their first part's header, held open until
    the server answers them."""
    opened = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    try:
        for connection in opened:
            connection.sendall(upload_head(port, key))
        for connection in opened:
            tally.add(kind, first_status(connection, 40))
    finally:
        for connection in opened:
            connection.close()


def stalled_headers(port: int, count: int, tally: Tally) -> None:
    opened = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    for connection in opened:
        connection.sendall(b"GET /api/v1/account HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    for connection in opened:
        closed = first_status(connection, 30)  # the header timeout hangs up: no answer
        tally.add("stalled headers", "closed" if closed == "none" else closed)
        connection.close()


def dripping_receiver(stop: threading.Event) -> str:
    """A webhook receiver that answers a byte every second, for ever."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.5)

    def drip(connection: socket.socket) -> None:
        with connection:
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
                if stop.wait(1.0):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return

    def accept() -> None:
        while not stop.is_set():
            try:
                threading.Thread(target=drip, args=(listener.accept()[0],), daemon=True).start()
            except TimeoutError:
                continue
        listener.close()

    threading.Thread(target=accept, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/hook"


def repeat(until: float, pause: float, action: Callable[[], None]) -> threading.Thread:
    def loop() -> None:
        while time.monotonic() < until:
            action()
            time.sleep(pause)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def run(minutes: float) -> dict[str, object]:
    photos = [drawn(640, 480), drawn(800, 600), drawn(480, 640)]
    line = white_line()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "BGDESK_HOME": str(Path(tmp) / "bgdesk"),
            "BGDESK_MODELS_DIR": str(model_file().parent),
        }
        bgdesk = [sys.executable, "-m", "bgdesk"]

        def cli(*args: str) -> str:
            ran = subprocess.run([*bgdesk, *args], env=env, check=True, capture_output=True)
            return ran.stdout.decode()

        key = json.loads(cli("keys", "create", "--json"))["key"]
        cli("credits", "grant", "100000")
        cli("accounts", "create", "mallory", "--credits", "100000")
        mallory = json.loads(cli("keys", "create", "--account", "mallory", "--json"))["key"]
        cli("accounts", "create", "bomber", "--credits", "100000")
        bomber = json.loads(cli("keys", "create", "--account", "bomber", "--json"))["key"]
        port = free_port()
        server = subprocess.Popen(
            [*bgdesk, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        tally, stop = Tally(), threading.Event()
        dripper = dripping_receiver(stop)
        try:
            wait_until_up(f"{base}/openapi.json", server)
            idle = int(Path(f"/proc/{server.pid}/status").read_text().split("VmRSS:")[1].split()[0])
            until = time.monotonic() + minutes * 60

            def submit(client: httpx.Client, kind: str, image: bytes, **data: str) -> None:
                try:
                    answer = client.post(
                        "/api/v1/remove-bg", files={"image_file": ("p.png", image)}, data=data
                    )
                    tally.add(kind, answer.status_code)
                    if answer.status_code != 202:
                        return
                    job = answer.json()["jobId"]
                    while (state := client.get(f"/api/v1/jobs/{job}?wait=30").json())[
                        "status"
                    ] == "processing":
                        pass
                    tally.add(f"{kind} job", state["status"])
                    if state["status"] == "completed":
                        tally.add(f"{kind} download", client.get(state["outputUrl"]).status_code)
                except httpx.TransportError:
                    tally.add(kind, "none")

            def normal(n: int) -> Callable[[], None]:
                client = httpx.Client(
                    base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=300
                )
                counter = iter(range(10**9))
                return lambda: submit(client, "normal", photos[(n + next(counter)) % 3])

            bombs = httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {bomber}"}, timeout=600
            )
            shadowed = {"canvas": "10000x10000", "shadow": "true"}

            def bomb() -> None:
                submit(bombs, "square line", line, canvas="square")
                threads = [
                    threading.Thread(
                        target=submit,
                        args=(bombs, "avif canvas", photos[0]),
                        kwargs={**shadowed, "format": "avif"},
                    )
                    for _ in range(2)
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                submit(bombs, "webp canvas", photos[0], **shadowed, format="webp")
                submit(bombs, "dripping webhook", photos[1], webhook_url=dripper)

            def big_header() -> None:
                try:
                    answer = httpx.get(f"{base}/api/v1/account", headers={"X-Pad": "a" * 100_000})
                    tally.add("100 KB header", answer.status_code)
                except httpx.TransportError:
                    tally.add("100 KB header", "none")

            with Sampler(server.pid) as sampler:
                workers = [
                    repeat(until, 0.0, normal(0)),
                    repeat(until, 0.0, normal(1)),
                    repeat(until, 20.0, bomb),
                    repeat(
                        until, 1.0, lambda: trickling(port, None, 100, tally, "keyless trickle")
                    ),
                    repeat(
                        until, 1.0, lambda: trickling(port, mallory, 12, tally, "keyed trickle")
                    ),
                    repeat(until, 1.0, lambda: stalled_headers(port, 200, tally)),
                    repeat(until, 5.0, big_header),
                ]
                for worker in workers:
                    worker.join()
            peak = int(Path(f"/proc/{server.pid}/status").read_text().split("VmHWM:")[1].split()[0])
        finally:
            stop.set()
            server.terminate()
            _, log = server.communicate()
        db = open_database(Paths.under(Path(tmp) / "bgdesk").database)
        kinds = Counter(entry.kind for entry in CreditEntry.select(CreditEntry.kind))
        jobs, failed = Job.select().count(), Job.select().where(Job.status == "failed").count()
        db.close()
    log_text = log.decode(errors="replace")
    return {
        "minutes": minutes,
        "answers": {f"{kind}: {status}": n for (kind, status), n in sorted(tally.counts.items())},
        "unexpected": tally.unexpected(),
        "peak_over_idle_gib": round((peak - idle) / 2**20, 2),
        # Memory freed after a large cutout is not all handed back to the system: 10 %.
        "rss_mib": flatness(sampler.rss, 0.10),
        "fds": flatness([float(n) for n in sampler.fds], 0.10),
        "threads": flatness([float(n) for n in sampler.threads], 0.10),
        "jobs": jobs,
        "charges": kinds["charge"],
        "refunds": kinds["refund"],
        "failed_jobs": failed,
        "charged_once": kinds["charge"] == jobs and kinds["refund"] == failed,
        "log_bytes": len(log_text),
        "log_tracebacks": log_text.count("Traceback"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    print(json.dumps(run(parser.parse_args().minutes), indent=2))


if __name__ == "__main__":
    main()
