"""Holding a status request until its job ends: the answer comes the moment the runner is
done, not at a client's next poll, and a waiting client costs one request."""

from __future__ import annotations

import asyncio
import contextlib
import time

from starlette.concurrency import run_in_threadpool

from bgdesk.core.app import Core
from bgdesk.core.events import ENDINGS, JobEvent
from bgdesk.storage.models import UNFINISHED, Account, Job

# Seconds between looks at the database: a job ended by another process on a SQLite database
# sends no event (on PostgreSQL it does, see storage/notices.py).
RECHECK = 1.0


async def job_when_ended(core: Core, public_id: str, account: Account, seconds: float) -> Job:
    """The job `public_id` once it has ended, or as it is after `seconds`."""
    loop = asyncio.get_running_loop()
    ended = asyncio.Event()

    def on_event(event: JobEvent) -> None:  # on the publishing thread
        if event.job_id == public_id and event.kind in ENDINGS:
            loop.call_soon_threadsafe(ended.set)

    unsubscribe = core.events.subscribe(on_event)
    try:
        deadline = time.monotonic() + seconds
        while True:
            job = await run_in_threadpool(core.jobs.get, public_id, account)
            left = deadline - time.monotonic()
            if job.status not in UNFINISHED or left <= 0:
                return job
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ended.wait(), min(left, RECHECK))
    finally:
        unsubscribe()
