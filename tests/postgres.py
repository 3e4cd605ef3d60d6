"""A real PostgreSQL server for the tests: Debian's binaries, a cluster made in a temporary
folder (`initdb`), started on a free port (`pg_ctl`) and stopped with the session. Each test
gets a schema of its own; its URL selects it, so bgdesk sees an empty database.

Root may not run a server: as root the cluster belongs to the `postgres` user (or `nobody`).
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from tests.processes import free_port

USER = "postgres"


def binaries() -> Path | None:
    """The folder with initdb and pg_ctl, newest version first; None when none is installed."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    folders = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
    return next((Path(f) for f in folders if (Path(f) / "initdb").exists()), None)


def _version(folder: str) -> float:
    try:
        return float(Path(folder).parent.name)
    except ValueError:
        return 0.0


class PostgresServer:
    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="bgdesk-pg-"))
        self.data = self.root / "data"
        self.runs_as = _server_user()

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", self.runs_as, "--"] if self.runs_as else []
        return subprocess.run(
            [*prefix, *command], check=True, capture_output=True, text=True, timeout=120
        )

    def start(self) -> None:
        if self.runs_as:
            user = pwd.getpwnam(self.runs_as)
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self._run(
            str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", USER, "-A", "trust",
            "--no-sync", "-E", "UTF8",
        )  # fmt: skip
        self._launch()

    def _launch(self) -> None:
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.root}",
                "-c max_connections=300",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
            ]
        )
        self._run(
            str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.root / "server.log"), "-w", "-t", "60", "start",
        )  # fmt: skip

    def _halt(self, mode: str) -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    @contextmanager
    def stopped(self, mode: str = "fast") -> Iterator[None]:
        """The server stopped for the block — `fast`: as an operator stops it, telling
        clients; `immediate`: as a crash, without a word — then started again, its data
        and port as before."""
        if mode == "immediate":  # commits here do not wait for the disk: write them first
            self.sql("CHECKPOINT")
        self._halt(mode)
        try:
            yield
        finally:
            self._launch()

    def stop(self) -> None:
        try:
            self._halt("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, schema: str | None = None) -> str:
        """The server's URL, selecting `schema`."""
        base = f"postgresql://{USER}@127.0.0.1:{self.port}/postgres"
        if schema is None:
            return base
        return f"{base}?options={quote(f'-csearch_path={schema}')}"

    def sql(self, statement: str) -> list[tuple[object, ...]]:
        """Run `statement` as the superuser; the rows it returned."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            cursor = conn.execute(statement)
            return cursor.fetchall() if cursor.description else []

    def clients(self) -> int:
        """Client connections to the server now, other than the one asking."""
        rows = self.sql(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        return int(str(rows[0][0]))

    @contextmanager
    def schema(self) -> Iterator[str]:
        """A new empty schema, dropped afterwards with what was made in it; its URL."""
        name = "t_" + secrets.token_hex(6)
        self.sql(f"CREATE SCHEMA {name}")
        try:
            yield self.url(name)
        finally:
            self.sql(f"DROP SCHEMA {name} CASCADE")


def _server_user() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in (USER, "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root with no user to run PostgreSQL as")
