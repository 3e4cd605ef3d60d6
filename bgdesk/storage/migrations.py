"""The schema, version by version. `PRAGMA user_version` records how far a database has come.

Migrations are frozen SQL: a model class may change later, what version 1 created may not.
The credit ledger's constraints make a second charge or a second refund of one job impossible.
"""

from __future__ import annotations

from peewee import SqliteDatabase

V1 = [
    """CREATE TABLE account (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
        is_owner INTEGER NOT NULL DEFAULT 0,
        webhook_secret TEXT NOT NULL,
        created_at DATETIME NOT NULL)""",
    """CREATE TABLE api_key (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES account (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE,
        created_at DATETIME NOT NULL,
        last_used_at DATETIME,
        revoked_at DATETIME)""",
    "CREATE INDEX api_key_prefix ON api_key (prefix)",
    """CREATE TABLE job (
        id INTEGER PRIMARY KEY,
        public_id TEXT NOT NULL UNIQUE,
        account_id INTEGER NOT NULL REFERENCES account (id) ON DELETE CASCADE,
        source TEXT NOT NULL CHECK (source IN ('desktop', 'api', 'cli')),
        status TEXT NOT NULL DEFAULT 'queued'
            CHECK (status IN ('queued', 'running', 'completed', 'failed')),
        input_path TEXT NOT NULL,
        input_name TEXT NOT NULL,
        owns_input INTEGER NOT NULL DEFAULT 0,
        output_path TEXT NOT NULL,
        output_token TEXT NOT NULL UNIQUE,
        options TEXT NOT NULL DEFAULT '{}',
        webhook_url TEXT,
        error_code TEXT,
        error_message TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        runner_id TEXT,
        runner_pid INTEGER,
        lease_expires_at DATETIME,
        width INTEGER,
        height INTEGER,
        created_at DATETIME NOT NULL,
        started_at DATETIME,
        completed_at DATETIME,
        output_deleted_at DATETIME)""",
    "CREATE INDEX job_status ON job (status, id)",
    "CREATE INDEX job_account ON job (account_id, id)",
    """CREATE TABLE credit_entry (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES account (id) ON DELETE CASCADE,
        job_id INTEGER REFERENCES job (id) ON DELETE RESTRICT,
        kind TEXT NOT NULL,
        amount INTEGER NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        created_at DATETIME NOT NULL,
        UNIQUE (job_id, kind),
        CHECK ((kind = 'grant' AND amount > 0 AND job_id IS NULL)
            OR (kind = 'charge' AND amount < 0 AND job_id IS NOT NULL)
            OR (kind = 'refund' AND amount > 0 AND job_id IS NOT NULL)))""",
    "CREATE INDEX credit_entry_account ON credit_entry (account_id)",
    """CREATE TABLE webhook_delivery (
        id INTEGER PRIMARY KEY,
        job_id INTEGER NOT NULL UNIQUE REFERENCES job (id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        event TEXT NOT NULL CHECK (event IN ('completed', 'failed')),
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at DATETIME NOT NULL,
        last_status_code INTEGER,
        last_error TEXT,
        created_at DATETIME NOT NULL,
        delivered_at DATETIME)""",
    "CREATE INDEX webhook_delivery_due ON webhook_delivery (status, next_attempt_at)",
    """CREATE TABLE webhook_attempt (
        id INTEGER PRIMARY KEY,
        delivery_id INTEGER NOT NULL REFERENCES webhook_delivery (id) ON DELETE CASCADE,
        attempted_at DATETIME NOT NULL,
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
    "ALTER TABLE job ADD COLUMN confidence REAL",
    "ALTER TABLE job ADD COLUMN model TEXT",
]

V4 = [
    # A job given by image_url is charged at once and waits for its photo to be fetched.
    "ALTER TABLE job ADD COLUMN input_url TEXT",
    "ALTER TABLE job ADD COLUMN input_ready INTEGER NOT NULL DEFAULT 1",
]

V5 = [
    # A person's fix of a finished cutout: brush strokes as JSON, and when it last changed.
    "ALTER TABLE job ADD COLUMN edits TEXT",
    "ALTER TABLE job ADD COLUMN edited_at DATETIME",
]

MIGRATIONS: list[list[str]] = [V1, V2, V3, V4, V5]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: SqliteDatabase) -> int:
    """Bring `db` to the newest schema; returns the version it was at before."""
    with db.atomic("IMMEDIATE"):
        current = int(db.execute_sql("PRAGMA user_version").fetchone()[0])
        if current > SCHEMA_VERSION:
            raise RuntimeError(
                f"The database is schema version {current}, newer than this bgdesk "
                f"({SCHEMA_VERSION}); update bgdesk."
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[version - 1]:
                db.execute_sql(statement)
            db.execute_sql(f"PRAGMA user_version = {version}")
    return current
