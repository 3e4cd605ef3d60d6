"""Workers on one PostgreSQL database: photos per second with 1, 2 and 4 `bgdesk worker`
processes behind one `bgdesk serve --no-runner`, and what the database costs a job.

    python bench/scale.py [--workers 1 2 4] [--photos 60]

A PostgreSQL server is started for the run (Debian's binaries, as the tests do; or give
--database-url). Clients (4) send the small photos of bench/corpus.py, each held until its
job ends (`?wait=60`) and downloaded. For each number of workers: photos per second, the
CPU seconds per job of the workers and of the database server (every PostgreSQL process,
exited ones included), the database's transactions per job and the connections the machines
hold open. The bare model's own rate
on this machine is the ceiling. Everything runs on this one machine, so more workers share
its cores: the figures say what a job costs each side, which is what sizing needs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.postgres starts the server
from corpus import build
from serve import bare_ceiling, bgdesk_request, load, wait_until_up

from bgdesk.core.accounts import AccountService
from bgdesk.core.credits import CreditLedger
from bgdesk.core.keys import ApiKeyService
from bgdesk.core.secrets import SecretStore
from bgdesk.paths import Paths
from bgdesk.storage.database import open_database
from tests.postgres import PostgresServer, binaries
from tests.processes import free_port

CLIENTS = 4
TICK = os.sysconf("SC_CLK_TCK")


class NoSecrets(SecretStore):
    def save(self, name: str, secret: str) -> bool:
        return False

    def load(self, name: str) -> str | None:
        return None

    def delete(self, name: str) -> None:
        return None


def cpu_seconds(pid: int, children_exited: bool = False) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    used = int(fields[11]) + int(fields[12])  # utime, stime
    if children_exited:
        used += int(fields[13]) + int(fields[14])  # cutime, cstime
    return used / TICK


def server_cpu(postmaster: int) -> float:
    """CPU seconds of the PostgreSQL server: the postmaster, its live children and the ones
    that ended."""
    children = subprocess.run(
        ["pgrep", "-P", str(postmaster)], capture_output=True, text=True, check=False
    ).stdout.split()
    total = cpu_seconds(postmaster, children_exited=True)
    for child in children:
        with suppress(OSError):  # it ended meanwhile (and is counted in cutime then)
            total += cpu_seconds(int(child))
    return total


def database_figures(url: str) -> tuple[int, int]:
    """(transactions so far, client connections open now, this one aside)."""
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT xact_commit + xact_rollback FROM pg_stat_database "
            "        WHERE datname = current_database()), "
            "       (SELECT count(*) FROM pg_stat_activity "
            "        WHERE backend_type = 'client backend' AND pid <> pg_backend_pid())"
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])


@contextmanager
def machines(url: str, workers: int, root: Path) -> Iterator[tuple[str, list[int]]]:
    """One API node and `workers` worker processes on `url`; (the API's URL, their pids)."""
    port = free_port()
    env = {
        **os.environ,
        "BGDESK_DATABASE_URL": url,
        "BGDESK_STORAGE_DIR": str(root / "shared"),
        "BGDESK_MODELS_DIR": str(Paths.from_env().models_dir),
    }

    def start(name: str, *args: str, **settings: object) -> subprocess.Popen[bytes]:
        home = root / name
        home.mkdir(parents=True, exist_ok=True)
        (home / "settings.json").write_text(json.dumps(settings))
        return subprocess.Popen(
            [sys.executable, "-m", "bgdesk", *args],
            env={**env, "BGDESK_HOME": str(home)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    processes = [start("api", "serve", "--no-runner", api_port=port)]
    processes += [start(f"worker-{n}", "worker") for n in range(workers)]
    try:
        wait_until_up(f"http://127.0.0.1:{port}", processes[0])
        yield f"http://127.0.0.1:{port}", [p.pid for p in processes[1:]]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(120)


def measure(url: str, workers: int, photos: int, postmaster: int) -> dict[str, float]:
    db = open_database(url)
    account = AccountService(CreditLedger()).create("bench", credits=10 * photos + 100)
    key = ApiKeyService(NoSecrets()).create(account).plaintext
    db.close()
    small, _ = build()
    samples = (small * (photos // len(small) + 1))[:photos]
    with tempfile.TemporaryDirectory() as tmp, machines(url, workers, Path(tmp)) as (base, pids):
        request = bgdesk_request(base, key, wait=True)
        load(samples[: 2 * workers + 2], CLIENTS, request)  # every worker loads its model
        before = (server_cpu(postmaster), sum(cpu_seconds(p) for p in pids))
        commits_before, _ = database_figures(url)
        result = load(samples, CLIENTS, request)
        after = (server_cpu(postmaster), sum(cpu_seconds(p) for p in pids))
        commits_after, connections = database_figures(url)
    database_cpu, workers_cpu = (b - a for a, b in zip(before, after, strict=True))
    commits = commits_after - commits_before
    return {
        "workers": workers,
        "images_per_s": result["images_per_s"],
        "p50_s": result["p50_s"],
        "database_cpu_ms_per_job": 1000 * database_cpu / photos,
        "workers_cpu_ms_per_job": 1000 * workers_cpu / photos,
        "transactions_per_job": commits / photos,
        "database_share": database_cpu / (database_cpu + workers_cpu),
        "connections": connections,  # the bench's own clients hold none
    }


def one_process(photos: int) -> dict[str, float]:
    """The same load on one `bgdesk serve` with its own SQLite file: what splitting costs."""
    small, _ = build()
    samples = (small * (photos // len(small) + 1))[:photos]
    with tempfile.TemporaryDirectory() as tmp:
        home, port = Path(tmp), free_port()
        db = open_database(home / "bgdesk.sqlite3")
        account = AccountService(CreditLedger()).create("bench", credits=10 * photos + 100)
        key = ApiKeyService(NoSecrets()).create(account).plaintext
        db.close()
        (home / "settings.json").write_text(json.dumps({"api_port": port}))
        env = {
            **os.environ,
            "BGDESK_HOME": str(home),
            "BGDESK_MODELS_DIR": str(Paths.from_env().models_dir),
        }
        env.pop("BGDESK_DATABASE_URL", None)
        server = subprocess.Popen(
            [sys.executable, "-m", "bgdesk", "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}", server)
            request = bgdesk_request(f"http://127.0.0.1:{port}", key, wait=True)
            load(samples[:4], CLIENTS, request)
            return load(samples, CLIENTS, request)
        finally:
            server.terminate()
            server.wait(120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--photos", type=int, default=60)
    args = parser.parse_args()
    folder = binaries()
    if folder is None:
        sys.exit("bench/scale.py: no PostgreSQL server binaries (apt-get install postgresql)")
    server = PostgresServer(folder)
    server.start()
    try:
        postmaster = int((server.data / "postmaster.pid").read_text().split()[0])
        rows = []
        for workers in args.workers:
            with server.schema() as url:
                rows.append(measure(url, workers, args.photos, postmaster))
            print(json.dumps(rows[-1]), flush=True)
    finally:
        server.stop()
    alone = one_process(args.photos)
    ceiling = bare_ceiling(3)
    print(f"\nbare model (u2netp, all cores): {ceiling:.2f} images/s")
    print(
        f"one `bgdesk serve` on its SQLite file: {alone['images_per_s']:.2f} images/s "
        f"({alone['images_per_s'] / ceiling:.2f} of the bare model), p50 {alone['p50_s']:.2f} s\n"
    )
    print("| workers | images/s | of the bare model | p50 s | DB CPU ms/job "
          "| workers CPU ms/job | DB share | transactions/job | connections |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['workers']} | {r['images_per_s']:.2f} | {r['images_per_s'] / ceiling:.2f} "
            f"| {r['p50_s']:.2f} | {r['database_cpu_ms_per_job']:.1f} "
            f"| {r['workers_cpu_ms_per_job']:.0f} | {100 * r['database_share']:.1f} % "
            f"| {r['transactions_per_job']:.1f} | {r['connections']} |"
        )


if __name__ == "__main__":
    main()
