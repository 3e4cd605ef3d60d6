"""Threads of their own for the database work of requests served on an event loop: a few at
most, and each closes its connection and ends once idle. A shared thread pool (anyio's,
under Starlette) keeps up to 40 idle threads, each with its connection, until its next call:
after a burst of held status requests they stayed for as long as the server got no other
request."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from peewee import Database

T = TypeVar("T")
THREADS = 8  # at most, at once
IDLE = 5.0  # seconds a thread waits for more work before it closes its connection and ends


class DatabaseThreads:
    """Runs database work on at most `most` threads named `name`, started as work comes and
    ended (their connections to `db` closed) after `idle` seconds without any."""

    def __init__(
        self, db: Database, most: int = THREADS, idle: float = IDLE, name: str = "bgdesk-db"
    ) -> None:
        self.db = db
        self.most = most
        self.idle = idle
        self.name = name
        self._ready = threading.Condition()
        self._work: deque[tuple[Future[Any], Callable[[], Any]]] = deque()
        self._threads = 0
        self._free = 0  # threads waiting for work

    @property
    def threads(self) -> int:
        """Threads running now."""
        return self._threads

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """`work(*args)` on one of these threads: what it returns, or raises."""
        return await asyncio.wrap_future(self.submit(work, *args))

    def submit(self, work: Callable[..., T], *args: Any) -> Future[T]:
        done: Future[T] = Future()
        with self._ready:
            self._work.append((done, functools.partial(work, *args)))
            if len(self._work) > self._free and self._threads < self.most:
                self._threads += 1
                name = f"{self.name}-{self._threads}"
                threading.Thread(target=self._serve, name=name, daemon=True).start()
            else:
                self._ready.notify()
        return done

    def _serve(self) -> None:
        try:
            while (item := self._next()) is not None:
                done, work = item
                if not done.set_running_or_notify_cancel():
                    continue  # its request is gone
                try:
                    done.set_result(work())
                except BaseException as exc:
                    done.set_exception(exc)
        finally:
            self.db.close()  # this thread's connection, if it opened one

    def _next(self) -> tuple[Future[Any], Callable[[], Any]] | None:
        """The next work, or None when none came for `idle` seconds (the thread ends)."""
        with self._ready:
            self._free += 1
            found = self._ready.wait_for(lambda: bool(self._work), self.idle)
            self._free -= 1
            if not found:
                self._threads -= 1
                return None
            return self._work.popleft()
