"""The database: a SQLite file in WAL mode with foreign keys, or a PostgreSQL schema; either
with a versioned schema and its constraints."""

from __future__ import annotations

from pathlib import Path

import pytest
from peewee import IntegrityError

from bgdesk.core.app import Core
from bgdesk.errors import DatabaseUnreachable
from bgdesk.request.options import OutputOptions
from bgdesk.storage.database import open_database, without_password
from bgdesk.storage.migrations import SCHEMA_VERSION
from bgdesk.storage.models import Account, CreditEntry, Job, JobSource, JobState, database
from tests.conftest import photo
from tests.processes import free_port


@pytest.mark.sqlite_only
def test_fresh_database_is_wal_versioned_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    db = open_database(path)
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    Account.create(name="a", webhook_secret="s")
    db.close()
    again = open_database(path)
    assert Account.select().count() == 1
    again.close()


def test_a_newer_schema_is_refused(tmp_path: Path, database_url: str) -> None:
    location = database_url or tmp_path / "db.sqlite3"
    db = open_database(location)
    if database_url:
        db.execute_sql("UPDATE schema_version SET version = %s", (SCHEMA_VERSION + 1,))
    else:
        db.execute_sql(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(RuntimeError, match="update bgdesk"):
        open_database(location)


def test_ledger_rows_must_make_sense(tmp_path: Path, database_url: str) -> None:
    db = open_database(database_url or tmp_path / "db.sqlite3")
    account = Account.create(name="a", webhook_secret="s")
    for kind, amount in [("grant", -5), ("charge", 1), ("refund", -1), ("gift", 3)]:
        with pytest.raises(IntegrityError), db.atomic():
            CreditEntry.create(account=account, kind=kind, amount=amount)
    with pytest.raises(IntegrityError), db.atomic():
        Account.create(name="a", webhook_secret="t")
    with pytest.raises(IntegrityError), db.atomic():
        Account.create(name="b", webhook_secret="t", status="deleted")
    db.close()


def test_job_states_are_stored_as_their_plain_names(fake_core: Core) -> None:
    job = fake_core.intake.submit_upload(
        fake_core.accounts.owner(),
        photo("coffee", (64, 48)),
        "c.jpg",
        JobSource.API,
        OutputOptions(),
    )
    query = f"SELECT status FROM job WHERE id = {database.param}"
    stored = database.execute_sql(query, (job.id,)).fetchone()
    assert stored == ("queued",) and Job.get_by_id(job.id).status == JobState.QUEUED


def test_a_database_password_is_never_shown() -> None:
    url = "postgresql://bgdesk:s3cret@db.example:5432/bgdesk"
    assert without_password(url) == "postgresql://bgdesk:***@db.example:5432/bgdesk"
    assert without_password("postgresql://db.example/bgdesk") == "postgresql://db.example/bgdesk"


def test_a_database_server_out_of_reach_is_said_so_without_the_password() -> None:
    url = f"postgresql://bgdesk:s3cret@127.0.0.1:{free_port()}/bgdesk"  # nobody listens
    with pytest.raises(DatabaseUnreachable) as refused:
        open_database(url)
    assert "postgresql://bgdesk:***@127.0.0.1" in refused.value.message
    assert "s3cret" not in refused.value.message and "refused" in refused.value.message
