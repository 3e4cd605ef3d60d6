"""Opening the database, migrated to the newest schema: a SQLite file in WAL mode with foreign
keys (the desktop's own), or a PostgreSQL server many machines share (`postgresql://…`)."""

from __future__ import annotations

import os
import select
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from peewee import Database, DatabaseError, PostgresqlDatabase, SqliteDatabase

from bgdesk.errors import DatabaseUnreachable, SettingsError
from bgdesk.storage.failures import storage_error
from bgdesk.storage.migrations import migrate
from bgdesk.storage.models import database
from bgdesk.storage.outages import Outage

PRAGMAS = {"journal_mode": "wal", "foreign_keys": 1, "synchronous": "normal"}
BUSY_TIMEOUT = 30.0  # seconds a statement waits for another program's lock
POSTGRESQL_SCHEMES = ("postgresql", "postgres")
CONNECT_TIMEOUT = 10  # seconds to reach the PostgreSQL server


def is_server_url(location: str | Path) -> bool:
    return urlsplit(str(location)).scheme in POSTGRESQL_SCHEMES


def without_password(url: str) -> str:
    """`url` safe to print: its password replaced by stars."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def open_database(location: str | Path, busy_timeout: float = BUSY_TIMEOUT) -> Database:
    """Open (creating if needed) the database at `location` — a file path, or a PostgreSQL
    URL — bind the models to it and bring its schema up to date."""
    db: Database = (
        _server(str(location), busy_timeout)
        if is_server_url(location)
        else _file(Path(location), busy_timeout)
    )
    database.initialize(db)
    try:
        db.connect(reuse_if_open=True)
        migrate(db)
    except DatabaseError as exc:
        if not isinstance(db, SharedDatabase) or storage_error(exc) is None:
            raise
        reason = str(exc).strip().splitlines()[0]
        raise DatabaseUnreachable(
            f"Cannot reach the database {without_password(str(location))}: {reason}"
        ) from exc
    return db


def _file(path: Path, busy_timeout: float) -> SqliteDatabase:
    path.parent.mkdir(parents=True, exist_ok=True)
    pragmas = PRAGMAS | {"busy_timeout": int(busy_timeout * 1000)}
    path.touch()  # an empty file is a new database to SQLite
    if os.name == "posix":  # webhook secrets and key hashes: the owner's alone
        path.chmod(0o600)
    return SqliteDatabase(str(path), pragmas=pragmas, check_same_thread=False, timeout=busy_timeout)


def _server(url: str, busy_timeout: float) -> SharedDatabase:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise SettingsError(
            "A PostgreSQL database_url needs the PostgreSQL driver: install bgdesk[postgres]."
        ) from None
    return SharedDatabase(url, busy_timeout)


class SharedDatabase(PostgresqlDatabase):
    """PostgreSQL, a connection per thread as peewee keeps them. A connection the server or
    the network dropped is opened again at the next statement outside a transaction (one
    inside fails, and its caller retries as after any busy database), and a thread's
    connection is closed when the thread ends. `outage` tells the log once when the server
    goes out of reach and once when it is back."""

    def __init__(self, url: str, busy_timeout: float) -> None:
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        params = conninfo_to_dict(url)
        # Waiting for another machine's lock as long as SQLite would, not forever.
        wait = f"-c lock_timeout={int(busy_timeout * 1000)}"
        params["options"] = f"{params.get('options', '')} {wait}".strip()
        params.setdefault("connect_timeout", CONNECT_TIMEOUT)
        self._conninfo = make_conninfo("", **params)
        self._url = url
        self.outage = Outage(without_password(url))
        super().__init__(str(params.get("dbname", "postgres")), prefer_psycopg3=True)

    def _connect(self) -> Any:
        conn = self._open()
        _closer.held = _Closing(conn)
        return conn

    def _open(self) -> Any:
        import psycopg

        try:
            conn = psycopg.connect(self._conninfo, autocommit=True)
        except psycopg.OperationalError as exc:
            self.outage.lost(exc)
            raise
        self.outage.regained()
        return conn

    def cursor(self, named_cursor: Any = None) -> Any:
        state: Any = self._state  # type: ignore[attr-defined]
        if state.conn is not None and not state.transactions and _dropped(state.conn):
            state.conn.close()
            state.reset()  # connect again
        return super().cursor(named_cursor)  # type: ignore[no-untyped-call]

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        try:
            return super().execute_sql(sql, params)  # type: ignore[no-untyped-call]
        except DatabaseError as exc:
            if isinstance(storage_error(exc), DatabaseUnreachable):
                self.outage.lost(exc)  # dropped under a statement
            raise

    def listening(self, channel: str) -> Any:
        """A connection of its own that LISTENs on `channel` (a name of ours, not a user's)."""
        conn = self._open()
        conn.execute(f"LISTEN {channel}")
        return conn

    def __repr__(self) -> str:
        return f"SharedDatabase({without_password(self._url)})"


def _dropped(conn: Any) -> bool:
    """Whether the server has dropped `conn`, seen without a round trip: it is closed, or,
    idle between transactions, has something to read — the server's goodbye or the end of
    the stream (a server that stopped and started again while this thread was idle). A
    connection in a transaction is never replaced: its COMMIT must fail, not go elsewhere."""
    from psycopg.pq import TransactionStatus

    if conn.closed:
        return True
    if conn.info.transaction_status != TransactionStatus.IDLE:
        return False
    return _readable(conn.fileno())


def _readable(fd: int) -> bool:
    try:
        if hasattr(select, "poll"):  # select() cannot watch descriptors past 1023
            watch = select.poll()
            watch.register(fd, select.POLLIN)
            return bool(watch.poll(0))
        return bool(select.select([fd], [], [], 0)[0])
    except (OSError, ValueError):
        return True


class _Closing:
    """Closes a thread's connection when the thread is gone and this with it (a connection
    left to the garbage collector would warn of a leak)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def __del__(self) -> None:
        self.conn.close()


_closer = threading.local()
