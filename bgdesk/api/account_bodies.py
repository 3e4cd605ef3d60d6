"""The bodies of the account routes (accounts.py): API keys, the credit ledger, and the
accounts the installation's owner manages."""

from __future__ import annotations

from pydantic import BaseModel, Field

from bgdesk.core.accounts import MAX_NAME as MAX_ACCOUNT_NAME
from bgdesk.core.credits import MAX_GRANT
from bgdesk.core.keys import MAX_NAME as MAX_KEY_NAME
from bgdesk.storage.models import AccountStatus, CreditKind


class KeyInfo(BaseModel):
    """An API key as it is listed: never its plaintext."""

    id: int
    name: str
    prefix: str = Field(description="The key's first characters, to tell it apart.")
    createdAt: str
    lastUsedAt: str | None = None
    revokedAt: str | None = None


class KeyList(BaseModel):
    keys: list[KeyInfo]


class KeyRequest(BaseModel):
    name: str = Field("", max_length=MAX_KEY_NAME, description="What the key is for.")


class CreatedKey(KeyInfo):
    """A key just made: the only answer that carries its plaintext."""

    apiKey: str = Field(description="The key itself, `sk_live_…`; shown this once.")


class CreditEntryInfo(BaseModel):
    """A row of the credit ledger."""

    kind: CreditKind
    amount: int = Field(description="Credits added (a charge is negative).")
    note: str
    jobId: str | None = None
    photo: str | None = Field(None, description="The name of the photo a job's row pays for.")
    createdAt: str


class CreditPage(BaseModel):
    """One page of the account's ledger, newest first."""

    balance: int
    entries: list[CreditEntryInfo]
    total: int
    limit: int
    offset: int


class AccountSummary(BaseModel):
    """An account as the installation's owner sees it."""

    id: int
    name: str
    status: AccountStatus
    owner: bool
    credits: int
    createdAt: str


class AccountList(BaseModel):
    accounts: list[AccountSummary]


class NewAccount(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_ACCOUNT_NAME)
    credits: int = Field(0, ge=0, le=MAX_GRANT, description="A first grant.")


class AccountChange(BaseModel):
    status: AccountStatus


class Grant(BaseModel):
    amount: int = Field(ge=1, le=MAX_GRANT)
    note: str = Field("", max_length=200)


class SignInLinkInfo(BaseModel):
    """A one-time link that signs an account in to the web page."""

    url: str
    expiresAt: str
