"""A database server out of reach, said once: while it is down every request and every
background pass fails the same way, and a line for each would bury the one fact (and when it
ended) under thousands. The first failure says so as a warning, the first connection after it
says it is over."""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)


class Outage:
    """Whether the database at `where` (shown without password) is out of reach, told to the
    log once when it goes and once when it is back, whichever thread notices. A database
    never reached is not lost: opening it says why it cannot be reached."""

    def __init__(self, where: str) -> None:
        self.where = where
        self._lock = threading.Lock()
        self._since: float | None = None  # monotonic time of the first failure
        self._failures = 0
        self._reached = False

    @property
    def down(self) -> bool:
        return self._since is not None

    def lost(self, reason: BaseException | str) -> None:
        """A statement or a connection failed because the server is out of reach."""
        with self._lock:
            self._failures += 1
            if self._since is not None or not self._reached:
                return
            self._since = time.monotonic()
        first_line = (str(reason).strip().splitlines() or ["no reason given"])[0]
        log.warning(
            "Lost the database %s (%s); requests that need it are answered 503 "
            "database_unreachable until it is back",
            self.where,
            first_line,
        )

    def regained(self) -> None:
        """A connection was made: if the server was out of reach, it is back."""
        self._reached = True
        if self._since is None:  # the usual case, without taking the lock
            return
        with self._lock:
            if self._since is None:
                return
            lasted, failures = time.monotonic() - self._since, self._failures
            self._since, self._failures = None, 0
        log.info(
            "The database %s is back after %.1f s (%d statements or connections failed meanwhile)",
            self.where,
            lasted,
            failures,
        )
