"""A disk or database that cannot take a write, said as what it is: passing trouble that the
caller may retry, never an internal error."""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import peewee

from bgdesk.errors import DatabaseBusy, StorageFull, TemporarilyUnavailable

_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


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


def _meaning(exc: BaseException) -> TemporarilyUnavailable | None:
    if isinstance(exc, OSError) and exc.errno in _FULL:
        return StorageFull()
    if isinstance(exc, peewee.OperationalError | sqlite3.OperationalError):
        text = str(exc).lower()
        if "full" in text:
            return StorageFull()
        if "locked" in text or "busy" in text:
            return DatabaseBusy()
        if "disk i/o error" in text:
            return TemporarilyUnavailable("bgdesk could not write its data (a disk I/O error).")
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
