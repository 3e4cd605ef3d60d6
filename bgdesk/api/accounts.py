"""The account routes: the caller's API keys and credit ledger, and, for the installation's
owner, every account — created, suspended and resumed, granted credits, handed a sign-in
link. The web page's Account and Installation views speak these."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from bgdesk.api.account_bodies import (
    AccountChange,
    AccountList,
    AccountSummary,
    CreatedKey,
    CreditEntryInfo,
    CreditPage,
    Grant,
    KeyInfo,
    KeyList,
    KeyRequest,
    NewAccount,
    SignInLinkInfo,
)
from bgdesk.api.deps import AccountDep, CoreDep, PageLimit, PageOffset
from bgdesk.api.errors import error_responses
from bgdesk.core.app import Core
from bgdesk.core.job_records import as_utc_text
from bgdesk.core.sign_in import LINK_LIFETIME, sign_in_url
from bgdesk.errors import KeysNeedAPerson, OwnerOnly
from bgdesk.storage.models import (
    Account,
    AccountStatus,
    ApiKey,
    CreditEntry,
    CreditKind,
    utcnow,
)

accounts = APIRouter(prefix="/api/v1", tags=["account"])
MAX_ID = 2**31 - 1  # the database's integer ids
KeyId = Annotated[int, Path(ge=1, le=MAX_ID)]
AccountId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _owner(account: AccountDep) -> Account:
    if not account.is_owner:
        raise OwnerOnly()
    return account


OwnerDep = Annotated[Account, Depends(_owner)]


def _person(request: Request, account: AccountDep) -> Account:
    """The account of a signed-in browser, not of a key: a leaked key must not make its
    successor or revoke the keys that replace it."""
    if request.headers.get("authorization"):
        raise KeysNeedAPerson()
    return account


PersonDep = Annotated[Account, Depends(_person)]


def _key(key: ApiKey) -> KeyInfo:
    return KeyInfo(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        createdAt=as_utc_text(key.created_at) or "",
        lastUsedAt=as_utc_text(key.last_used_at),
        revokedAt=as_utc_text(key.revoked_at),
    )


def _summary(core: Core, account: Account) -> AccountSummary:
    return AccountSummary(
        id=account.id,
        name=account.name,
        status=AccountStatus(account.status),
        owner=bool(account.is_owner),
        credits=core.ledger.balance(account),
        createdAt=as_utc_text(account.created_at) or "",
    )


def _entry(entry: CreditEntry) -> CreditEntryInfo:
    job = entry.job
    return CreditEntryInfo(
        kind=CreditKind(entry.kind),
        amount=entry.amount,
        note=entry.note,
        jobId=job.public_id if job else None,
        photo=job.input_name if job else None,
        createdAt=as_utc_text(entry.created_at) or "",
    )


@accounts.get(
    "/keys",
    response_model=KeyList,
    response_model_exclude_none=True,
    responses=error_responses(401, 403),
)
def list_keys(core: CoreDep, account: AccountDep) -> KeyList:
    """The account's API keys, oldest first, revoked ones included."""
    return KeyList(keys=[_key(key) for key in core.keys.list(account)])


@accounts.post(
    "/keys",
    status_code=201,
    response_model=CreatedKey,
    response_model_exclude_none=True,
    responses=error_responses(400, 401, 403),
)
def create_key(request: KeyRequest, core: CoreDep, account: PersonDep) -> CreatedKey:
    """A new API key for the signed-in account; the answer is the only one that carries its
    plaintext, and the server keeps only its hash. Not with a key: 403."""
    made = core.keys.create(account, request.name, remember=False)
    return CreatedKey(**_key(made.key).model_dump(), apiKey=made.plaintext)


@accounts.delete(
    "/keys/{key_id}",
    response_model=KeyInfo,
    response_model_exclude_none=True,
    responses=error_responses(400, 401, 403, 404),
)
def revoke_key(key_id: KeyId, core: CoreDep, account: PersonDep) -> KeyInfo:
    """Revoke one of the signed-in account's keys: requests with it get 401 from now on."""
    return _key(core.keys.revoke(key_id, account))


@accounts.get(
    "/account/credits",
    response_model=CreditPage,
    response_model_exclude_none=True,
    responses=error_responses(401, 403),
)
def list_credits(
    core: CoreDep,
    account: AccountDep,
    limit: PageLimit = 50,
    offset: PageOffset = 0,
) -> CreditPage:
    """The account's credit ledger, newest first: grants, charges and refunds."""
    return CreditPage(
        balance=core.ledger.balance(account),
        entries=[_entry(entry) for entry in core.ledger.entries(account, limit, offset)],
        total=core.ledger.count(account),
        limit=limit,
        offset=offset,
    )


@accounts.get("/accounts", response_model=AccountList, responses=error_responses(401, 403))
def list_accounts(core: CoreDep, owner: OwnerDep) -> AccountList:
    """Every account of the installation (its owner only)."""
    return AccountList(accounts=[_summary(core, account) for account in core.accounts.list()])


@accounts.post(
    "/accounts",
    status_code=201,
    response_model=AccountSummary,
    responses=error_responses(400, 401, 403, 409),
)
def create_account(request: NewAccount, core: CoreDep, owner: OwnerDep) -> AccountSummary:
    """A new account, with a first grant of credits (its owner only)."""
    return _summary(core, core.accounts.create(request.name, request.credits))


@accounts.patch(
    "/accounts/{account_id}",
    response_model=AccountSummary,
    responses=error_responses(400, 401, 403, 404, 409),
)
def change_account(
    account_id: AccountId, request: AccountChange, core: CoreDep, owner: OwnerDep
) -> AccountSummary:
    """Suspend an account (its keys and sessions stop working at once) or resume it."""
    return _summary(core, core.accounts.set_status(account_id, request.status))


@accounts.post(
    "/accounts/{account_id}/credits",
    response_model=AccountSummary,
    responses=error_responses(400, 401, 403, 404),
)
def grant_credits(
    account_id: AccountId, grant: Grant, core: CoreDep, owner: OwnerDep
) -> AccountSummary:
    """Grant an account credits; the ledger keeps the grant and its note."""
    account = core.accounts.get(account_id)
    core.ledger.grant(account, grant.amount, grant.note or f"granted by {owner.name}")
    return _summary(core, account)


@accounts.post(
    "/accounts/{account_id}/sign-in-link",
    status_code=201,
    response_model=SignInLinkInfo,
    responses=error_responses(400, 401, 403, 404, 409),
)
def make_sign_in_link(account_id: AccountId, core: CoreDep, owner: OwnerDep) -> SignInLinkInfo:
    """A one-time link that signs the account in to the web page, for 15 minutes: to hand
    to its person as a password would be."""
    token = core.sign_ins.link(core.accounts.get(account_id))
    return SignInLinkInfo(
        url=sign_in_url(core.public_url, token),
        expiresAt=as_utc_text(utcnow() + LINK_LIFETIME) or "",
    )
