"""Word between processes on one PostgreSQL database that a job has ended, so that an API node
holding a status request (`?wait=`) answers the moment a worker on another machine is done,
not at its next look at the database. PostgreSQL's NOTIFY carries it, delivered on commit to
every process that LISTENs; a process ignores its own. With SQLite there is no such channel
and nothing is sent; waiting requests look at the database once a second instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from peewee import Database

from bgdesk.background import Background
from bgdesk.errors import DatabaseUnreachable
from bgdesk.storage.database import SharedDatabase
from bgdesk.storage.failures import storage_error

log = logging.getLogger(__name__)
CHANNEL = "bgdesk_job_ended"
RETRY = 2.0  # seconds before listening again after the connection dropped

Heard = Callable[[str, str, int], None]  # kind, job's public id, account id


class EndNotices:
    """Sends word of this process's job endings; hears other processes' on a thread of its
    own with a connection of its own."""

    def __init__(self, db: Database, origin: str, heard: Heard) -> None:
        self.db = db if isinstance(db, SharedDatabase) else None
        self.origin = origin
        self.heard = heard
        self._background = Background("bgdesk-notices", self._listen)
        self._stopping = self._background.stopping

    def send(self, kind: str, public_id: str, account_id: int) -> None:
        if self.db is None:
            return
        payload = f"{self.origin} {kind} {public_id} {account_id}"
        try:
            self.db.execute_sql("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
        except Exception as exc:  # waiting requests still look at the database
            log.warning("Could not tell other processes that job %s ended: %s", public_id, exc)

    def start(self) -> None:
        if self.db is not None:
            self._background.start()

    def stop(self) -> None:
        self._background.stop()

    def _listen(self) -> None:
        assert self.db is not None
        while not self._stopping.is_set():
            try:
                with self.db.listening(CHANNEL) as conn:
                    while not self._stopping.is_set():
                        for notice in conn.notifies(timeout=0.5):
                            self._hear(notice.payload)
            except Exception as exc:  # the server went away: listen again once it is back
                if isinstance(storage_error(exc), DatabaseUnreachable):
                    self.db.outage.lost(exc)  # said once, with every other statement's
                else:
                    log.warning("Not hearing of jobs ended elsewhere (%s); retrying", exc)
                self._stopping.wait(RETRY)

    def _hear(self, payload: str) -> None:
        try:
            origin, kind, public_id, account_id = payload.split()
        except ValueError:
            return  # not ours
        if origin != self.origin:
            self.heard(kind, public_id, int(account_id))
