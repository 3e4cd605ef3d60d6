"""Machines of a scaled-out installation as real processes: API nodes and workers, each with
its own home, on one PostgreSQL database and one shared folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from bgdesk.core.accounts import AccountService
from bgdesk.core.credits import CreditLedger
from bgdesk.core.keys import ApiKeyService
from bgdesk.core.secrets import KeyringSecretStore
from bgdesk.storage.database import open_database
from tests.postgres import PostgresServer
from tests.processes import free_port, serving


@dataclass
class Cluster:
    url: str  # the database's
    storage: Path
    models: Path
    root: Path
    key: str = ""
    said: dict[int, Said] = field(default_factory=dict)  # what each worker logs, by pid

    def environment(
        self, name: str, database_url: str | None = None, **settings: Any
    ) -> dict[str, str]:
        """A machine's environment: its own home (settings, data folder), the shared
        database (or `database_url`, through a proxy) and the shared folder."""
        home = self.root / name
        home.mkdir(parents=True, exist_ok=True)
        (home / "settings.json").write_text(json.dumps(settings))
        return {
            **os.environ,
            "BGDESK_HOME": str(home),
            "BGDESK_MODELS_DIR": str(self.models),
            "BGDESK_DATABASE_URL": database_url or self.url,
            "BGDESK_STORAGE_DIR": str(self.storage),
        }

    @contextmanager
    def api(self, name: str, settings: dict[str, Any] | None = None) -> Iterator[str]:
        """An API node that runs no jobs; its base URL."""
        port = free_port()
        command = [sys.executable, "-m", "bgdesk", "serve", "--no-runner", "--port", str(port)]
        with serving(command, self.environment(name, api_port=port, **(settings or {})), port):
            yield f"http://127.0.0.1:{port}"

    @contextmanager
    def worker(
        self, name: str, database_url: str | None = None, settings: dict[str, Any] | None = None
    ) -> Iterator[subprocess.Popen[str]]:
        """A worker process; what it logs is kept in `said[its pid]` as it is written."""
        command = [sys.executable, "-m", "bgdesk", "worker"]
        process = subprocess.Popen(
            command,
            env=self.environment(name, database_url, **(settings or {})),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        said = self.said[process.pid] = Said()
        assert process.stderr is not None
        reader = threading.Thread(target=said.keep, args=(process.stderr,), daemon=True)
        reader.start()
        try:
            yield process
        finally:
            stopped = process.poll() is None
            if stopped:
                process.send_signal(signal.SIGTERM)  # finishes the jobs in hand, then exits
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise
            finally:
                reader.join(timeout=60)
                process.stderr.close()
            errors = "".join(said.lines)
            if stopped:
                assert process.returncode == 0 and "Traceback" not in errors, errors

    def wait_to_hear(self, process: subprocess.Popen[str], words: str, timeout: float) -> None:
        """Wait until worker `process` has logged a line with `words` in it."""
        assert self.said[process.pid].wait_for(words, timeout), f"never said {words!r}"

    def client(self, base: str) -> httpx.Client:
        return httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {self.key}"}, timeout=60
        )


@pytest.fixture
def cluster(postgres: PostgresServer, models_dir: Path, tmp_path: Path) -> Iterator[Cluster]:
    """An empty database schema and shared folder, with an account of 500 credits and its key."""
    with postgres.schema() as url:
        db = open_database(url)
        try:
            ledger = CreditLedger()
            account = AccountService(ledger).create("studio", credits=500)
            key = ApiKeyService(KeyringSecretStore()).create(account, "cluster").plaintext
            storage = tmp_path / "shared"
            yield Cluster(url, storage, models_dir, tmp_path / "machines", key)
        finally:
            db.close()


class Said:
    """What a process logs, kept line by line as it is written, to be waited on."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._grown = threading.Condition()

    def keep(self, stream: IO[str]) -> None:
        for line in stream:
            with self._grown:
                self.lines.append(line)
                self._grown.notify_all()

    def wait_for(self, words: str, timeout: float) -> bool:
        """Whether a line with `words` in it came within `timeout` seconds."""
        with self._grown:
            return self._grown.wait_for(lambda: any(words in x for x in self.lines), timeout)
