"""A long run against `bgdesk serve`: every job submitted, polled and downloaded, while the
server's memory and open files are sampled.

    python bench/soak.py [--clients 4] [--jobs 500]

Each of CLIENTS clients sends JOBS small photos one after another. Prints the p50/p95 time of a
whole job (submit to cutout in hand) and of a single poll, the server's resident memory and
open file descriptors over the run, and whether they held flat (the median of the last
quarter within 5 % of the second quarter's, the first quarter being warm-up), and checks
the ledger: exactly one charge per job, no refund, the balance to the credit.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import build
from serve import model_file, wait_until_up

from bgdesk.paths import Paths
from bgdesk.storage.database import open_database
from bgdesk.storage.models import CreditEntry

FLAT = 0.05
POLL = 0.05


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Sampler:
    """Reads a process's resident memory (MiB), open descriptors and threads twice a
    second."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.rss: list[float] = []
        self.fds: list[int] = []
        self.threads: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            status = Path(f"/proc/{self.pid}/status").read_text()
            rss = next(line for line in status.splitlines() if line.startswith("VmRSS"))
            self.rss.append(int(rss.split()[1]) / 1024)
            threads = next(line for line in status.splitlines() if line.startswith("Threads"))
            self.threads.append(int(threads.split()[1]))
            self.fds.append(len(os.listdir(f"/proc/{self.pid}/fd")))


def flatness(samples: list[float], tolerance: float = FLAT) -> dict[str, float | bool]:
    quarter = len(samples) // 4
    early = statistics.median(samples[quarter : 2 * quarter])
    late = statistics.median(samples[3 * quarter :])
    return {
        "second_quarter": round(early, 1),
        "last_quarter": round(late, 1),
        "max": round(max(samples), 1),
        "flat": abs(late - early) <= tolerance * early,
    }


def run(clients: int, jobs: int) -> dict[str, object]:
    photos = [sample.jpeg for sample in build()[0] if sample.megapixels <= 0.35]
    total = clients * jobs
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "BGDESK_HOME": str(Path(tmp) / "bgdesk"),
            "BGDESK_MODELS_DIR": str(model_file().parent),
        }
        bgdesk = [sys.executable, "-m", "bgdesk"]

        def cli(*args: str) -> str:
            return subprocess.run(
                [*bgdesk, *args], env=env, check=True, capture_output=True, text=True
            ).stdout

        key = json.loads(cli("keys", "create", "--json"))["key"]
        cli("credits", "grant", str(total))
        start_balance = json.loads(cli("credits", "show", "--json"))["balance"]
        port = free_port()
        server = subprocess.Popen(
            [*bgdesk, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        job_times: list[float] = []
        poll_times: list[float] = []
        lock = threading.Lock()

        def client_run(n: int) -> None:
            with httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120
            ) as client:
                for i in range(jobs):
                    started = time.perf_counter()
                    photo = photos[(n + i) % len(photos)]
                    answer = client.post(
                        "/api/v1/remove-bg",
                        files={"image_file": ("p.jpg", photo)},
                        data={"quality": "fast"},
                    )
                    answer.raise_for_status()
                    while True:
                        polled = time.perf_counter()
                        state = client.get(f"/api/v1/jobs/{answer.json()['jobId']}").json()
                        with lock:
                            poll_times.append(time.perf_counter() - polled)
                        if state["status"] != "processing":
                            break
                        time.sleep(POLL)
                    assert state["status"] == "completed", state
                    cutout = client.get(state["outputUrl"]).content
                    assert cutout[:4] == b"\x89PNG"
                    with lock:
                        job_times.append(time.perf_counter() - started)

        try:
            wait_until_up(f"{base}/openapi.json", server)
            with Sampler(server.pid) as sampler, ThreadPoolExecutor(clients) as pool:
                wall = time.perf_counter()
                list(pool.map(client_run, range(clients)))
                wall = time.perf_counter() - wall
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as c:
                balance = c.get("/api/v1/account").json()["credits"]
                listed = c.get("/api/v1/jobs", params={"limit": 1}).json()["total"]
        finally:
            server.terminate()
            server.wait()
        db = open_database(Paths.under(Path(tmp) / "bgdesk").database)
        kinds = [entry.kind for entry in CreditEntry.select(CreditEntry.kind)]
        db.close()
    return {
        "jobs": total,
        "clients": clients,
        "seconds": round(wall, 1),
        "jobs_per_s": round(total / wall, 2),
        "job_p50_s": round(statistics.median(job_times), 3),
        "job_p95_s": round(percentile(job_times, 0.95), 3),
        "poll_p50_ms": round(statistics.median(poll_times) * 1000, 1),
        "poll_p95_ms": round(percentile(poll_times, 0.95) * 1000, 1),
        "polls": len(poll_times),
        "rss_mib": flatness(sampler.rss),
        "open_fds": flatness([float(n) for n in sampler.fds]),
        "charges": kinds.count("charge"),
        "refunds": kinds.count("refund"),
        "ledger_exact": balance == start_balance - total
        and listed == total
        and kinds.count("charge") == total
        and kinds.count("refund") == 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=500, help="jobs per client")
    args = parser.parse_args()
    print(json.dumps(run(args.clients, args.jobs), indent=2))


if __name__ == "__main__":
    main()
