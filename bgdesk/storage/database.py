"""Opening the database: SQLite in WAL mode with foreign keys, migrated to the newest schema."""

from __future__ import annotations

from pathlib import Path

from peewee import SqliteDatabase

from bgdesk.storage.migrations import migrate
from bgdesk.storage.models import database

PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "busy_timeout": 30_000,
}


def open_database(path: Path) -> SqliteDatabase:
    """Open (creating if needed) the database at `path` and bind the models to it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = SqliteDatabase(str(path), pragmas=PRAGMAS, check_same_thread=False, timeout=30)
    database.initialize(db)
    db.connect(reuse_if_open=True)
    migrate(db)
    return db
