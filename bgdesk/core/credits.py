"""The credit ledger: every change of a balance is a row, so a balance can always be explained.

Charges and refunds are written inside the caller's transaction, next to the job change they
pay for. The table's UNIQUE (job_id, kind) makes a second charge or refund of a job impossible.
"""

from __future__ import annotations

from peewee import JOIN, IntegrityError, fn

from bgdesk.errors import InvalidRequest
from bgdesk.storage.models import Account, CreditEntry, CreditKind, Job

JOB_COST = 1
MAX_GRANT = 1_000_000  # credits in one grant


class CreditLedger:
    """Grants, charges and refunds of credits."""

    def balance(self, account: Account | int) -> int:
        total = (
            CreditEntry.select(fn.COALESCE(fn.SUM(CreditEntry.amount), 0))
            .where(CreditEntry.account == account)
            .scalar()
        )
        return int(total)

    def grant(self, account: Account, amount: int, note: str = "") -> CreditEntry:
        if amount <= 0:
            raise InvalidRequest("A grant must be a positive number of credits.")
        return CreditEntry.create(account=account, kind=CreditKind.GRANT, amount=amount, note=note)

    def charge(self, job: Job) -> None:
        """Debit one job's cost. Call inside the transaction that creates the job."""
        CreditEntry.create(
            account=job.account_id,
            job=job,
            kind=CreditKind.CHARGE,
            amount=-JOB_COST,
            note=f"job {job.public_id}",
        )

    def refund(self, job: Job) -> bool:
        """Give a failed job's cost back, once; returns False when it was already refunded."""
        if (
            not CreditEntry.select()
            .where(CreditEntry.job == job, CreditEntry.kind == CreditKind.CHARGE)
            .exists()
        ):
            return False
        try:
            with CreditEntry._meta.database.atomic():
                CreditEntry.create(
                    account=job.account_id,
                    job=job,
                    kind=CreditKind.REFUND,
                    amount=JOB_COST,
                    note=f"job {job.public_id} failed",
                )
        except IntegrityError:
            return False
        return True

    def entries(self, account: Account, limit: int = 100, offset: int = 0) -> list[CreditEntry]:
        """The account's ledger rows, newest first, with the job each one pays for."""
        return list(
            CreditEntry.select(CreditEntry, Job)
            .join(Job, JOIN.LEFT_OUTER)
            .where(CreditEntry.account == account)
            .order_by(CreditEntry.id.desc())
            .limit(limit)
            .offset(offset)
        )

    def count(self, account: Account) -> int:
        """How many ledger rows the account has."""
        return int(CreditEntry.select().where(CreditEntry.account == account).count())
