"""Holding a status request until its job ends: the answer comes the moment the runner is
done, not at a client's next poll, and a waiting client costs one request.

While held, a request costs no thread and no connection: the jobs of every held request are
looked at together, one statement a second, and all the database work is done on threads
that end, closing their connections, once idle (see storage/threads.py). So when hundreds
of holders leave, nothing they used stays behind."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable, Iterator

from anyio.lowlevel import RunVar

from bgdesk.api.deps import database_threads
from bgdesk.core.app import Core
from bgdesk.core.events import ENDINGS, JobEvent
from bgdesk.storage.models import UNFINISHED, Account, Job

# Seconds between looks at the database: a job ended by another process on a SQLite database
# sends no event (on PostgreSQL it does, see storage/notices.py).
RECHECK = 1.0
# Status requests an account may have held at once; more are answered at once, as without
# `wait`, so that one client cannot take every place among the requests the server serves.
MAX_HELD = 64


async def job_when_ended(core: Core, public_id: str, account: Account, seconds: float) -> Job:
    """The job `public_id` once it has ended, or as it is after `seconds`."""
    threads = database_threads(core)
    held = _held(core)
    if seconds <= 0 or held.count(account.id) >= MAX_HELD:
        return await threads.run(core.jobs.get, public_id, account)
    with held.holding(public_id, account.id) as ended:
        job = await threads.run(core.jobs.get, public_id, account)
        if job.status in UNFINISHED:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ended.wait(), seconds)
            job = await threads.run(core.jobs.get, public_id, account)
    return job


class HeldJobs:
    """The jobs that status requests on this event loop wait for, each request woken by its
    job's end: an event from this process or, once a second for all of them together, a
    look at the database. Listens and looks only while some request is held."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._waiting: dict[str, set[asyncio.Event]] = {}  # by job; on the loop only
        self._by_account: Counter[int] = Counter()  # requests held, by account id
        self._unsubscribe: Callable[[], None] | None = None
        self._looking: asyncio.Task[None] | None = None

    def count(self, account_id: int) -> int:
        """How many requests of the account are held."""
        return self._by_account[account_id]

    @contextlib.contextmanager
    def holding(self, public_id: str, account_id: int) -> Iterator[asyncio.Event]:
        """An event set once job `public_id` has ended (or a look at it failed)."""
        if not self._waiting:
            self._start()
        ended = asyncio.Event()
        self._waiting.setdefault(public_id, set()).add(ended)
        self._by_account[account_id] += 1
        try:
            yield ended
        finally:
            self._by_account[account_id] -= 1
            if not self._by_account[account_id]:
                del self._by_account[account_id]
            waiting = self._waiting[public_id]
            waiting.discard(ended)
            if not waiting:
                del self._waiting[public_id]
            if not self._waiting:
                self._stop()

    def _start(self) -> None:
        loop = asyncio.get_running_loop()

        def on_event(event: JobEvent) -> None:  # on the publishing thread
            if event.kind in ENDINGS:
                loop.call_soon_threadsafe(self._wake, [event.job_id])

        self._unsubscribe = self.core.events.subscribe(on_event)
        self._looking = loop.create_task(self._look())

    def _stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._looking is not None:
            self._looking.cancel()
        self._unsubscribe = self._looking = None

    def _wake(self, public_ids: list[str]) -> None:
        for public_id in public_ids:
            for ended in self._waiting.get(public_id, ()):
                ended.set()

    async def _look(self) -> None:
        threads = database_threads(self.core)
        while True:
            await asyncio.sleep(RECHECK)
            held = list(self._waiting)
            try:
                jobs = await threads.run(self.core.jobs.get_many, held)
            except Exception:  # each request's own look says what went wrong
                self._wake(held)
                continue
            self._wake([i for i in held if i not in jobs or jobs[i].status not in UNFINISHED])


_held_jobs: RunVar[dict[Core, HeldJobs]] = RunVar("bgdesk_held_jobs")


def _held(core: Core) -> HeldJobs:
    """`core`'s held requests on this event loop (uvicorn serves an app on one loop)."""
    try:
        per_core = _held_jobs.get()
    except LookupError:
        per_core = {}
        _held_jobs.set(per_core)
    if core not in per_core:
        per_core[core] = HeldJobs(core)
    return per_core[core]
