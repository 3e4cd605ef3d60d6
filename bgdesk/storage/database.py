"""Opening the database: SQLite in WAL mode with foreign keys, migrated to the newest schema."""

from __future__ import annotations

import os
from pathlib import Path

from peewee import SqliteDatabase

from bgdesk.storage.migrations import migrate
from bgdesk.storage.models import database

PRAGMAS = {"journal_mode": "wal", "foreign_keys": 1, "synchronous": "normal"}
BUSY_TIMEOUT = 30.0  # seconds a statement waits for another program's lock


def open_database(path: Path, busy_timeout: float = BUSY_TIMEOUT) -> SqliteDatabase:
    """Open (creating if needed) the database at `path` and bind the models to it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pragmas = PRAGMAS | {"busy_timeout": int(busy_timeout * 1000)}
    db = SqliteDatabase(str(path), pragmas=pragmas, check_same_thread=False, timeout=busy_timeout)
    database.initialize(db)
    db.connect(reuse_if_open=True)
    if os.name == "posix":  # webhook secrets and key hashes: the owner's alone
        path.chmod(0o600)
    migrate(db)
    return db
