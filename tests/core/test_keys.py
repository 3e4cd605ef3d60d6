"""API keys: hashed at rest, plaintext only to the keyring, 401 and 403 for their causes."""

from __future__ import annotations

import pytest
from peewee import SqliteDatabase

from bgdesk.core.app import Core
from bgdesk.errors import AccountSuspended, AuthenticationFailed
from bgdesk.storage.models import ApiKey
from tests.conftest import MemoryKeyring


def test_key_is_hashed_at_rest_and_kept_in_the_keyring(
    fake_core: Core, memory_keyring: MemoryKeyring
) -> None:
    new = fake_core.keys.create(fake_core.accounts.owner(), "laptop script")
    assert new.plaintext.startswith("sk_live_") and len(new.plaintext) >= 8 + 32
    assert new.in_keyring and new.plaintext in memory_keyring.passwords.values()
    if isinstance(fake_core.db, SqliteDatabase):  # the whole file, as a thief would read it
        fake_core.db.execute_sql("PRAGMA wal_checkpoint(FULL)")
        stored = fake_core.paths.database.read_bytes()
    else:
        stored = str(fake_core.db.execute_sql("SELECT * FROM api_key").fetchall()).encode()
    assert new.plaintext.encode() not in stored and new.key.key_hash.encode() in stored
    assert ApiKey.get_by_id(new.key.id).prefix == new.plaintext[:12]


def test_authenticate(fake_core: Core) -> None:
    owner = fake_core.accounts.owner()
    new = fake_core.keys.create(owner)
    assert fake_core.keys.authenticate(f"Bearer {new.plaintext}").id == owner.id
    assert ApiKey.get_by_id(new.key.id).last_used_at is not None
    for header in [
        None,
        "",
        "Basic abc",
        "Bearer",
        "Bearer sk_live_unknown" + "x" * 40,
        new.plaintext,
        f"Bearer {new.plaintext}x",
    ]:
        with pytest.raises(AuthenticationFailed):
            fake_core.keys.authenticate(header)


def test_revoked_key_is_refused(fake_core: Core, memory_keyring: MemoryKeyring) -> None:
    new = fake_core.keys.create(fake_core.accounts.owner())
    fake_core.keys.revoke(new.key.id)
    with pytest.raises(AuthenticationFailed):
        fake_core.keys.authenticate(f"Bearer {new.plaintext}")
    assert new.plaintext not in memory_keyring.passwords.values()


def test_suspended_account_key_is_forbidden(fake_core: Core) -> None:
    account = fake_core.accounts.create("script")
    new = fake_core.keys.create(account)
    fake_core.accounts.set_status("script", "suspended")
    with pytest.raises(AccountSuspended):
        fake_core.keys.authenticate(f"Bearer {new.plaintext}")
    fake_core.accounts.set_status("script", "active")
    assert fake_core.keys.authenticate(f"Bearer {new.plaintext}").id == account.id
