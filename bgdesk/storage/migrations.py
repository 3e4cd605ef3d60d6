"""The schema, version by version, for SQLite (the desktop's file) and PostgreSQL (a database
many machines share), from one text: each statement names its column types by role —
`{key}`, `{time}`, `{flag}` (with `{yes}`/`{no}`), `{real}` — and a dialect fills them in.

Migrations are frozen SQL: a model class may change later, what version 1 created may not.
The credit ledger's constraints make a second charge or a second refund of one job impossible.
SQLite records how far a database has come in `PRAGMA user_version`, PostgreSQL in the
`schema_version` table; several machines starting at once migrate one after another.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from peewee import Database

from bgdesk.storage.dialects import SQLITE, dialect_of

MIGRATION_LOCK = 7_787_800  # the PostgreSQL advisory lock a migration holds

V1 = [
    """CREATE TABLE account (
        id {key},
        name TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
        is_owner {flag} NOT NULL DEFAULT {no},
        webhook_secret TEXT NOT NULL,
        created_at {time} NOT NULL)""",
    """CREATE TABLE api_key (
        id {key},
        account_id INTEGER NOT NULL REFERENCES account (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE,
        created_at {time} NOT NULL,
        last_used_at {time},
        revoked_at {time})""",
    "CREATE INDEX api_key_prefix ON api_key (prefix)",
    """CREATE TABLE job (
        id {key},
        public_id TEXT NOT NULL UNIQUE,
        account_id INTEGER NOT NULL REFERENCES account (id) ON DELETE CASCADE,
        source TEXT NOT NULL CHECK (source IN ('desktop', 'api', 'cli')),
        status TEXT NOT NULL DEFAULT 'queued'
            CHECK (status IN ('queued', 'running', 'completed', 'failed')),
        input_path TEXT NOT NULL,
        input_name TEXT NOT NULL,
        owns_input {flag} NOT NULL DEFAULT {no},
        output_path TEXT NOT NULL,
        output_token TEXT NOT NULL UNIQUE,
        options TEXT NOT NULL DEFAULT '{{}}',
        webhook_url TEXT,
        error_code TEXT,
        error_message TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        runner_id TEXT,
        runner_pid INTEGER,
        lease_expires_at {time},
        width INTEGER,
        height INTEGER,
        created_at {time} NOT NULL,
        started_at {time},
        completed_at {time},
        output_deleted_at {time})""",
    "CREATE INDEX job_status ON job (status, id)",
    "CREATE INDEX job_account ON job (account_id, id)",
    """CREATE TABLE credit_entry (
        id {key},
        account_id INTEGER NOT NULL REFERENCES account (id) ON DELETE CASCADE,
        job_id INTEGER REFERENCES job (id) ON DELETE RESTRICT,
        kind TEXT NOT NULL,
        amount INTEGER NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        created_at {time} NOT NULL,
        UNIQUE (job_id, kind),
        CHECK ((kind = 'grant' AND amount > 0 AND job_id IS NULL)
            OR (kind = 'charge' AND amount < 0 AND job_id IS NOT NULL)
            OR (kind = 'refund' AND amount > 0 AND job_id IS NOT NULL)))""",
    "CREATE INDEX credit_entry_account ON credit_entry (account_id)",
    """CREATE TABLE webhook_delivery (
        id {key},
        job_id INTEGER NOT NULL UNIQUE REFERENCES job (id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        event TEXT NOT NULL CHECK (event IN ('completed', 'failed')),
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at {time} NOT NULL,
        last_status_code INTEGER,
        last_error TEXT,
        created_at {time} NOT NULL,
        delivered_at {time})""",
    "CREATE INDEX webhook_delivery_due ON webhook_delivery (status, next_attempt_at)",
    """CREATE TABLE webhook_attempt (
        id {key},
        delivery_id INTEGER NOT NULL REFERENCES webhook_delivery (id) ON DELETE CASCADE,
        attempted_at {time} NOT NULL,
        status_code INTEGER,
        error TEXT,
        duration_ms INTEGER NOT NULL DEFAULT 0)""",
]

V2 = [
    # Set when a cutout came out without a clear subject (empty, or mostly half-transparent).
    "ALTER TABLE job ADD COLUMN warning TEXT",
]

V3 = [
    # How sure the model was of a finished cutout (0..1), and which model made it.
    "ALTER TABLE job ADD COLUMN confidence {real}",
    "ALTER TABLE job ADD COLUMN model TEXT",
]

V4 = [
    # A job given by image_url is charged at once and waits for its photo to be fetched.
    "ALTER TABLE job ADD COLUMN input_url TEXT",
    "ALTER TABLE job ADD COLUMN input_ready {flag} NOT NULL DEFAULT {yes}",
]

V5 = [
    # A person's fix of a finished cutout: brush strokes as JSON, and when it last changed.
    "ALTER TABLE job ADD COLUMN edits TEXT",
    "ALTER TABLE job ADD COLUMN edited_at {time}",
]

V6 = [
    # The machine a running job's runner is on: its process id means something only there.
    "ALTER TABLE job ADD COLUMN runner_host TEXT",
]

V7 = [
    # The watched folder a photo arrived in, when it did: the window says so on its row.
    "ALTER TABLE job ADD COLUMN watched_from TEXT",
]

V8 = [
    # The web page's sign-in: one-time links an owner hands out, and the sessions they open.
    # Only hashes of their tokens are kept.
    """CREATE TABLE sign_in_link (
        id {key},
        account_id INTEGER NOT NULL REFERENCES account (id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        created_at {time} NOT NULL,
        expires_at {time} NOT NULL,
        used_at {time})""",
    """CREATE TABLE web_session (
        id {key},
        account_id INTEGER NOT NULL REFERENCES account (id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        csrf_token TEXT NOT NULL,
        created_at {time} NOT NULL,
        expires_at {time} NOT NULL,
        last_seen_at {time},
        revoked_at {time})""",
    "CREATE INDEX web_session_account ON web_session (account_id)",
]

MIGRATIONS: list[list[str]] = [V1, V2, V3, V4, V5, V6, V7, V8]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: Database) -> int:
    """Bring `db` to the newest schema; returns the version it was at before."""
    dialect = dialect_of(db)
    with _migrating(db):
        current = _version(db)
        if current > SCHEMA_VERSION:
            raise RuntimeError(
                f"The database is schema version {current}, newer than this bgdesk "
                f"({SCHEMA_VERSION}); update bgdesk."
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[version - 1]:
                db.execute_sql(dialect.render(statement))
            _set_version(db, version)
    return current


@contextmanager
def _migrating(db: Database) -> Iterator[None]:
    """A transaction no other migration runs beside."""
    if dialect_of(db) is SQLITE:
        with db.atomic("IMMEDIATE"):
            yield
        return
    with db.atomic():
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        yield


def _version(db: Database) -> int:
    if dialect_of(db) is SQLITE:
        return int(db.execute_sql("PRAGMA user_version").fetchone()[0])
    db.execute_sql("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = db.execute_sql("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def _set_version(db: Database, version: int) -> None:
    if dialect_of(db) is SQLITE:
        db.execute_sql(f"PRAGMA user_version = {version}")
    else:
        db.execute_sql("DELETE FROM schema_version")
        db.execute_sql("INSERT INTO schema_version (version) VALUES (%s)", (version,))
