"""A disk or database that cannot take a write, said as what it is: passing trouble that the
caller may retry, never an internal error. For PostgreSQL that is a lock another machine
holds past the wait allowed, a conflict it resolves by cancelling one side, and a server or
network that dropped the connection."""

from __future__ import annotations

import errno
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import peewee

from bgdesk.errors import DatabaseBusy, DatabaseUnreachable, StorageFull, TemporarilyUnavailable

_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
_POSTGRESQL_BUSY = frozenset(
    {
        "40001",  # serialization failure
        "40P01",  # deadlock detected
        "55P03",  # lock not available (lock_timeout)
        "57014",  # query cancelled
    }
)
_POSTGRESQL_FULL = "53100"  # disk full
# What a disk or database failure arrives as; psycopg's errors come wrapped by peewee's.
FAILURES: tuple[type[Exception], ...] = (OSError, peewee.PeeweeException, sqlite3.Error)


def storage_error(exc: BaseException) -> TemporarilyUnavailable | None:
    """What `exc` means to a person when it is (or was raised while handling) a full disk or
    a database held by another program; None for every other failure. SQLite rolls back by
    itself on a full disk, so the rollback that follows fails and hides the first error."""
    seen: BaseException | None = exc
    while seen is not None:
        meaning = _meaning(seen)
        if meaning is not None:
            return meaning
        seen = seen.__cause__ or seen.__context__
    return None


def told_once(exc: BaseException) -> bool:
    """Whether `exc` is the database server being out of reach, which the database tells
    the log once per outage (storage/outages.py): a background loop need not repeat it."""
    return isinstance(storage_error(exc), DatabaseUnreachable)


class LoopFailures:
    """What a background loop that retries tells the log: each failure once, not again while
    the next passes fail the same way (out of files, say, a pass a second), and nothing the
    database tells once itself (`told_once`)."""

    def __init__(self) -> None:
        self._last: tuple[type[BaseException], int | None] | None = None

    def first(self, exc: BaseException) -> bool:
        """Whether `exc` should be told: it is not the failure the last pass ended in."""
        kind = (type(exc), getattr(exc, "errno", None))
        new = kind != self._last
        self._last = kind
        return new and not told_once(exc)

    def passed(self) -> None:
        """A pass went through: the next failure is news again."""
        self._last = None


def _meaning(exc: BaseException) -> TemporarilyUnavailable | None:
    if isinstance(exc, OSError) and exc.errno in _FULL:
        return StorageFull()
    psycopg = sys.modules.get("psycopg")  # loaded only for a PostgreSQL database_url
    if psycopg is not None and isinstance(exc, psycopg.Error):
        return _server_meaning(exc, psycopg)
    if isinstance(exc, peewee.OperationalError | sqlite3.OperationalError):
        text = str(exc).lower()
        if "full" in text:
            return StorageFull()
        if "locked" in text or "busy" in text:
            return DatabaseBusy()
        if "disk i/o error" in text:
            return TemporarilyUnavailable("bgdesk could not write its data (a disk I/O error).")
    return None


def _server_meaning(exc: BaseException, psycopg: object) -> TemporarilyUnavailable | None:
    state = getattr(exc, "sqlstate", None)
    if state in _POSTGRESQL_BUSY:
        return DatabaseBusy()
    if state == _POSTGRESQL_FULL:
        return StorageFull()
    if state is None and isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):  # type: ignore[attr-defined]
        return DatabaseUnreachable()  # no answer from the server at all
    if state is not None and state.startswith(("08", "57P")):  # connection lost, shut down
        return DatabaseUnreachable()
    return None


@contextmanager
def passing_trouble() -> Iterator[None]:
    """Raise a full disk or a busy database inside as StorageFull or DatabaseBusy."""
    try:
        yield
    except (OSError, peewee.DatabaseError, sqlite3.DatabaseError) as exc:
        error = storage_error(exc)
        if error is None:
            raise
        raise error from exc
