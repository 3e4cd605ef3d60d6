"""Accounts: the installation's owner, plus any the owner creates for scripts."""

from __future__ import annotations

import secrets

from peewee import IntegrityError

from bgdesk.core.credits import CreditLedger
from bgdesk.errors import Conflict, InvalidRequest, NotFound
from bgdesk.storage.dialects import writing
from bgdesk.storage.models import Account, AccountStatus

OWNER_NAME = "owner"
MAX_NAME = 64
WELCOME_CREDITS = 100


class AccountService:
    """Creates, finds, suspends and resumes accounts."""

    def __init__(self, ledger: CreditLedger) -> None:
        self.ledger = ledger

    def owner(self) -> Account:
        """The installation's own account, created with a welcome grant on first use (once,
        when several machines sharing a database start at the same moment)."""
        try:
            with writing():
                account = Account.get_or_none(Account.is_owner == True)  # noqa: E712
                if account is None:
                    account = self._create(OWNER_NAME, WELCOME_CREDITS, is_owner=True)
        except IntegrityError:  # another process created it meanwhile
            return Account.get(Account.is_owner == True)  # noqa: E712
        return account

    def create(self, name: str, credits: int = 0) -> Account:
        name = name.strip()
        if not name or len(name) > MAX_NAME:
            raise InvalidRequest(f"An account name needs 1 to {MAX_NAME} characters.")
        if name.isdigit():  # accounts are also found by number
            raise InvalidRequest("An account name cannot be a number alone.")
        try:
            with writing():
                return self._create(name, credits, is_owner=False)
        except IntegrityError:
            raise Conflict(f"An account named {name!r} exists already.") from None

    def _create(self, name: str, credits: int, is_owner: bool) -> Account:
        account = Account.create(
            name=name, is_owner=is_owner, webhook_secret="whsec_" + secrets.token_urlsafe(32)
        )
        if credits:
            self.ledger.grant(account, credits, note="welcome grant" if is_owner else "")
        return account

    def get(self, name_or_id: str | int) -> Account:
        query = (
            Account.id == int(name_or_id)
            if str(name_or_id).isdigit()
            else Account.name == str(name_or_id)
        )
        account = Account.get_or_none(query)
        if account is None:
            raise NotFound(f"No account {name_or_id!r}.")
        return account

    def list(self) -> list[Account]:
        return list(Account.select().order_by(Account.id))

    def set_status(self, name_or_id: str | int, status: str) -> Account:
        if status not in tuple(AccountStatus):
            raise InvalidRequest(f"Unknown account status {status!r}.")
        account = self.get(name_or_id)
        if account.is_owner and status != AccountStatus.ACTIVE:
            raise Conflict("The installation's owner cannot be suspended.")
        Account.update(status=status).where(Account.id == account.id).execute()
        account.status = status
        return account
