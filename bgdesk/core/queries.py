"""`JobQueries`: jobs as every face reads them — one, many, the recent ones, the history a page
at a time and searched, what changed, what has not ended, and how long a queued one will
take."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from peewee import Expression, ModelSelect

from bgdesk.core.job_records import CANCELLED
from bgdesk.errors import NotFound
from bgdesk.storage.models import UNFINISHED, Account, Job, JobState

DEFAULT_PACE = 2.0  # seconds a cutout is guessed to take before any was timed
MANY_AT_ONCE = 500  # jobs asked for in one query


@dataclass(frozen=True)
class HistorySearch:
    """What the history is narrowed to: jobs whose name, source or error holds `text`, or
    that are in one of `states`, or (each when asked) doubtful, edited, cancelled or from a
    watched folder. Nothing asked: every job."""

    text: str = ""
    states: Collection[str] = field(default_factory=tuple)
    flagged: bool = False
    edited: bool = False
    cancelled: bool = False
    watched: bool = False  # photos that arrived in a watched folder

    def condition(self) -> Expression | None:
        if not self.text:
            return None
        condition = (
            Job.input_name.contains(self.text)
            | Job.source.contains(self.text)
            | Job.error_message.contains(self.text)
        )
        if self.states:
            condition |= Job.status.in_(list(self.states))
        if self.flagged:
            condition |= Job.warning.is_null(False) & (Job.status == JobState.COMPLETED)
        if self.edited:
            condition |= Job.edits.is_null(False)
        if self.cancelled:
            condition |= Job.error_code == CANCELLED
        if self.watched:
            condition |= Job.watched_from.is_null(False)
        return condition


class JobQueries:
    """Reads jobs from the database, whichever process queued or ran them."""

    def __init__(self, side_by_side: int = 1) -> None:
        self.side_by_side = side_by_side  # jobs the runners make at once

    def get(self, public_id: str, account: Account | None = None) -> Job:
        """The job `public_id`; another account's job is as unknown as a missing one."""
        query = Job.public_id == public_id
        if account is not None:
            query &= Job.account == account
        job = Job.get_or_none(query)
        if job is None:
            raise NotFound(f"No job {public_id!r}.")
        return job

    def by_output_token(self, token: str) -> Job:
        """The job whose cutout the unguessable download address `token` names."""
        job = Job.get_or_none(Job.output_token == token)
        if job is None or not job.has_output:
            raise NotFound("No output at this address.")
        return job

    def get_many(self, public_ids: list[str]) -> dict[str, Job]:
        """The jobs of `public_ids` that exist, by id; asked a batch at a time (an old
        SQLite takes at most 999 parameters in a query)."""
        found: dict[str, Job] = {}
        for start in range(0, len(public_ids), MANY_AT_ONCE):
            batch = public_ids[start : start + MANY_AT_ONCE]
            found |= {job.public_id: job for job in Job.select().where(Job.public_id.in_(batch))}
        return found

    def recent(
        self,
        account: Account | None = None,
        limit: int = 50,
        offset: int = 0,
        status: str | None = None,
        search: str = "",
    ) -> list[Job]:
        """The newest jobs, of `account` when given, in `status` when given, whose photo's
        name or error holds `search` when given."""
        query = self._of(account, search)
        if status:
            query = query.where(Job.status == status)
        return list(query.order_by(Job.id.desc()).limit(limit).offset(offset))

    def history(
        self, search: HistorySearch, before: int | None = None, limit: int = 200
    ) -> list[Job]:
        """Up to `limit` jobs `search` finds, newest first, older than the job numbered
        `before` when given (the next page); deleted ones left out."""
        query = self._history(search)
        if before is not None:
            query = query.where(Job.id < before)
        return list(query.order_by(Job.id.desc()).limit(limit))

    def history_count(self, search: HistorySearch) -> int:
        """How many jobs `search` finds in the whole history."""
        return int(self._history(search).count())

    def _history(self, search: HistorySearch) -> ModelSelect[Job]:
        query = Job.select().where(Job.output_deleted_at.is_null())
        condition = search.condition()
        return query if condition is None else query.where(condition)

    def count(self, account: Account | None = None, search: str = "") -> int:
        return int(self._of(account, search).count())

    @staticmethod
    def _of(account: Account | None, search: str) -> ModelSelect[Job]:
        query = Job.select()
        if account is not None:
            query = query.where(Job.account == account)
        if search:
            query = query.where(
                Job.input_name.contains(search) | Job.error_message.contains(search)
            )
        return query

    def changed_since(self, moment: datetime) -> list[Job]:
        """Jobs created, started, finished or deleted at or after `moment`, by any process."""
        return list(
            Job.select()
            .where(
                (Job.created_at >= moment)
                | (Job.started_at >= moment)
                | (Job.completed_at >= moment)
                | (Job.output_deleted_at >= moment)
                | (Job.edited_at >= moment)
            )
            .order_by(Job.id)
        )

    def unfinished_by_output(self) -> dict[Path, Job]:
        """The jobs that have not ended yet, by the path their cutout goes to: a rerun after
        a crash waits for these rather than paying for the same cutout twice."""
        return {
            Path(job.output_path): job
            for job in Job.select().where(Job.status.in_(UNFINISHED)).order_by(Job.id)
        }

    def unfinished(self) -> tuple[int, int]:
        """How many jobs, of every account and process, are (running, waiting)."""
        return (
            Job.select().where(Job.status == JobState.RUNNING).count(),
            Job.select().where(Job.status == JobState.QUEUED).count(),
        )

    @staticmethod
    def pending_ids(public_ids: list[str]) -> set[str]:
        """Which of `public_ids` have not ended yet."""
        rows = Job.select(Job.public_id).where(
            Job.public_id.in_(public_ids), Job.status.in_(UNFINISHED)
        )
        return {row.public_id for row in rows}

    def estimate_seconds(self, job: Job) -> float:
        """Time until `job` is done: the jobs ahead of it and itself, at the recent pace, as
        many at a time as the runners make side by side."""
        ahead = Job.select().where(Job.status.in_(UNFINISHED), Job.id < job.id).count()
        recent = (
            Job.select(Job.started_at, Job.completed_at)
            .where(Job.status == JobState.COMPLETED, Job.started_at.is_null(False))
            .order_by(Job.id.desc())
            .limit(20)
        )
        durations = [
            (j.completed_at - j.started_at).total_seconds()
            for j in recent
            if j.completed_at and j.started_at
        ]
        pace = sum(durations) / len(durations) if durations else DEFAULT_PACE
        return math.ceil((ahead + 1) / self.side_by_side) * pace
