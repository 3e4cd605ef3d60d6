"""API keys: `sk_live_` + 43 random URL-safe characters; the database keeps only a hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from bgdesk.core.secrets import SecretStore
from bgdesk.errors import AccountSuspended, AuthenticationFailed, InvalidRequest, NotFound
from bgdesk.storage.models import Account, AccountStatus, ApiKey, utcnow

KEY_PREFIX = "sk_live_"
DISPLAY_CHARS = 12
MAX_NAME = 100
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def bearer_key(authorization: str | None) -> str | None:
    """The API key an `Authorization: Bearer …` header value carries, if it carries one of
    the form bgdesk makes (whether it is a real key takes the database to say)."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token.startswith(KEY_PREFIX) else None


@dataclass(frozen=True)
class NewKey:
    """A key just made: the only moment its plaintext exists outside the keyring."""

    key: ApiKey
    plaintext: str
    in_keyring: bool


class ApiKeyService:
    """Creates, lists, revokes and checks API keys."""

    def __init__(self, secrets_store: SecretStore) -> None:
        self.secrets = secrets_store

    def create(self, account: Account, name: str = "", remember: bool = True) -> NewKey:
        """A new key for `account`; its plaintext is also kept in this computer's keyring when
        `remember` (for the window's person, never for a browser's)."""
        if len(name) > MAX_NAME:
            raise InvalidRequest(f"A key's name has at most {MAX_NAME} characters.")
        plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey.create(
            account=account,
            name=name.strip() or "key",
            prefix=plaintext[:DISPLAY_CHARS],
            key_hash=hash_key(plaintext),
        )
        saved = remember and self.secrets.save(f"api-key-{key.id}", plaintext)
        return NewKey(key, plaintext, saved)

    def list(self, account: Account | None = None) -> list[ApiKey]:
        query = ApiKey.select(ApiKey, Account).join(Account)
        if account is not None:
            query = query.where(ApiKey.account == account)
        return list(query.order_by(ApiKey.id))

    def revoke(self, key_id: int, account: Account | None = None) -> ApiKey:
        """Revoke key `key_id`; of `account` when given (another's is as unknown as none)."""
        query = ApiKey.id == key_id
        if account is not None:
            query &= ApiKey.account == account
        key = ApiKey.get_or_none(query)
        if key is None:
            raise NotFound(f"No API key with id {key_id}.")
        if key.revoked_at is None:
            key.revoked_at = utcnow()
            key.save()
        self.secrets.delete(f"api-key-{key.id}")
        return key

    def authenticate(self, authorization: str | None) -> Account:
        """The account behind an `Authorization: Bearer …` header value, or 401/403."""
        token = bearer_key(authorization)
        if token is None:
            raise AuthenticationFailed()
        wanted = hash_key(token)
        candidates = (
            ApiKey.select(ApiKey, Account)
            .join(Account)
            .where(ApiKey.prefix == token[:DISPLAY_CHARS])
        )
        key = next((c for c in candidates if hmac.compare_digest(c.key_hash, wanted)), None)
        if key is None or key.revoked_at is not None:
            raise AuthenticationFailed()
        account: Account = key.account
        if account.status != AccountStatus.ACTIVE:
            raise AccountSuspended()
        self._touch(key)
        return account

    def _touch(self, key: ApiKey) -> None:
        now = utcnow()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.update(last_used_at=now).where(ApiKey.id == key.id).execute()
