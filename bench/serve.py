"""`bgdesk serve` against rembg's own server (`rembg s`) over HTTP, same model, same photos.

    python bench/serve.py

rembg's server needs rembg's `cli` extra, whose pins clash with bgdesk's, so it runs from its
own virtualenv (bench/.rembg-venv, made on first use). Both servers run side by side, both
asked for u2netp alone, and take turns, BENCH_ROUNDS times (3); clients send the photos
concurrently and time submit-to-result-in-hand (for bgdesk: submit, one status request held
until the job ends — or, as `bgdesk-poll`, one every POLL seconds — then download
outputUrl). Prints images per second, p50/p95 latency and the server's peak resident memory
(VmHWM); the round with the median throughput is reported.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import Sample, build

from bgdesk.inference.models import ModelStore
from bgdesk.paths import Paths

HERE = Path(__file__).resolve().parent
REMBG_VENV = HERE / ".rembg-venv"
RESULTS = HERE / "results"
BGDESK_PORT, REMBG_PORT = 17878, 17879
POLL = float(os.environ.get("BENCH_POLL", "0.1"))


def model_file() -> Path:
    return ModelStore(Paths.from_env().models_dir).require("u2netp")


def ensure_rembg_venv() -> Path:
    rembg = REMBG_VENV / "bin" / "rembg"
    if not rembg.exists():
        subprocess.run([sys.executable, "-m", "venv", str(REMBG_VENV)], check=True)
        subprocess.run(
            [str(REMBG_VENV / "bin" / "pip"), "install", "-q", "rembg[cli]", "onnxruntime"],
            check=True,
        )
    return rembg


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server at {url} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server at {url} did not come up")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load(samples: list[Sample], clients: int, request: Callable[[bytes], bytes]) -> dict:
    latencies: list[float] = []

    def one(sample: Sample) -> None:
        start = time.perf_counter()
        result = request(sample.jpeg)
        assert result[:4] == b"\x89PNG", result[:200]
        latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, samples))
    wall = time.perf_counter() - start
    latencies.sort()
    return {
        "images_per_s": len(samples) / wall,
        "p50_s": statistics.median(latencies),
        "p95_s": latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))],
    }


def bgdesk_request(base: str, key: str, wait: bool) -> Callable[[bytes], bytes]:
    """Submit, then hold one status request until the job ends (`wait`) or poll every POLL
    seconds, then download."""
    client = httpx.Client(
        base_url=base,
        headers={"Authorization": f"Bearer {key}"},
        timeout=300,
        limits=httpx.Limits(max_connections=8),
    )

    def request(jpeg: bytes) -> bytes:
        job = client.post(
            "/api/v1/remove-bg", files={"image_file": ("p.jpg", jpeg)}, data={"model": "u2netp"}
        ).json()
        status = f"/api/v1/jobs/{job['jobId']}" + ("?wait=60" if wait else "")
        while (state := client.get(status).json())["status"] == "processing":
            if not wait:
                time.sleep(POLL)
        return client.get(state["outputUrl"]).content

    return request


def rembg_request(base: str) -> Callable[[bytes], bytes]:
    client = httpx.Client(base_url=base, timeout=300, limits=httpx.Limits(max_connections=8))

    def request(jpeg: bytes) -> bytes:
        return client.post(
            "/api/remove", files={"file": ("p.jpg", jpeg)}, data={"model": "u2netp"}
        ).content

    return request


@contextmanager
def bgdesk_server(tmp: Path) -> Iterator[tuple[str, str, int]]:
    env = {
        **os.environ,
        "BGDESK_HOME": str(tmp / "bgdesk"),
        "BGDESK_MODELS_DIR": str(model_file().parent),
    }
    bgdesk = [sys.executable, "-m", "bgdesk"]
    key = json.loads(
        subprocess.run(
            [*bgdesk, "keys", "create", "--json"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )["key"]
    subprocess.run([*bgdesk, "credits", "grant", "1000"], env=env, check=True, capture_output=True)
    server = subprocess.Popen(
        [*bgdesk, "serve", "--port", str(BGDESK_PORT)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{BGDESK_PORT}"
    try:
        wait_until_up(f"{base}/openapi.json", server)
        yield base, key, server.pid
    finally:
        server.terminate()
        server.wait()


@contextmanager
def rembg_server(tmp: Path) -> Iterator[tuple[Callable[[bytes], bytes], int]]:
    home = tmp / "rembg-home"
    home.mkdir()
    (home / "u2netp.onnx").symlink_to(model_file())
    server = subprocess.Popen(
        [
            str(ensure_rembg_venv()),
            "s",
            "--host",
            "127.0.0.1",
            "--port",
            str(REMBG_PORT),
            "--no-ui",
            "--log_level",
            "warning",
        ],
        env={**os.environ, "U2NET_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{REMBG_PORT}"
    try:
        wait_until_up(f"{base}/openapi.json", server)
        yield rembg_request(base), server.pid
    finally:
        server.terminate()
        server.wait()


def bare_ceiling(rounds: int) -> float:
    """Images per second of the bare model alone (one InferenceSession.run per image): no
    server of this model can go faster on this machine."""
    import numpy as np
    import onnxruntime as ort

    session = ort.InferenceSession(str(model_file()), providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: np.random.rand(1, 3, 320, 320).astype(np.float32)}
    session.run(None, feed)
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(20):
            session.run(None, feed)
        rates.append(20 / (time.perf_counter() - start))
    return statistics.median(rates)


def median_run(runs: list[dict]) -> dict:
    middle = sorted(runs, key=lambda r: r["images_per_s"])[len(runs) // 2]
    return middle | {"all_images_per_s": [round(r["images_per_s"], 2) for r in runs]}


def main() -> None:
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    small, large = build()
    workloads = {"small_20_4_clients": (small, 4), "large_5_2_clients": (large, 2)}
    report: dict = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        bgdesk_server(Path(tmp)) as (base, key, pid),
        rembg_server(Path(tmp)) as theirs,
    ):
        servers = {
            "bgdesk": (bgdesk_request(base, key, wait=True), pid),
            "bgdesk-poll": (bgdesk_request(base, key, wait=False), pid),
            "rembg": theirs,
        }
        for request, _ in servers.values():
            request(small[0].jpeg)  # loads the model
        runs: dict = {(name, w): [] for name in servers for w in workloads}
        for _ in range(rounds):  # the servers take turns; the idle one costs nothing
            for workload, (samples, clients) in workloads.items():
                for name, (request, _) in servers.items():
                    runs[(name, workload)].append(load(samples, clients, request))
        for name, (_, pid) in servers.items():
            report[name] = {w: median_run(runs[(name, w)]) for w in workloads}
            report[name]["peak_rss_mib"] = peak_rss_mib(pid)
    report["bare_model_images_per_s"] = bare_ceiling(rounds)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "serve.json").write_text(json.dumps(report, indent=2))
    print_report(report, workloads)


def print_report(report: dict, workloads: dict) -> None:
    theirs = report["rembg"]
    ceiling = report["bare_model_images_per_s"]
    print(
        f"bare model alone: {ceiling:.2f} images/s, the ceiling for any server of it here "
        f"({ceiling / theirs['small_20_4_clients']['images_per_s']:.2f}x rembg s on the "
        "small photos)"
    )
    print(
        "workload              client        images/s   p50 s   p95 s   x rembg"
        "   (images/s of each round)"
    )
    for workload in workloads:
        for name in ("bgdesk", "bgdesk-poll", "rembg"):
            r = report[name][workload]
            ratio = r["images_per_s"] / theirs[workload]["images_per_s"]
            print(
                f"{workload:21} {name:12} {r['images_per_s']:9.2f} {r['p50_s']:7.2f} "
                f"{r['p95_s']:7.2f} {ratio:8.2f}   {r['all_images_per_s']}"
            )
    print("bgdesk waits for each job with ?wait=60; bgdesk-poll asks every", POLL, "s")
    ours = report["bgdesk"]["peak_rss_mib"]
    print(
        f"peak RSS: bgdesk {ours:.0f} MiB, rembg {theirs['peak_rss_mib']:.0f} MiB, "
        f"ratio {ours / theirs['peak_rss_mib']:.2f}"
    )


if __name__ == "__main__":
    main()
