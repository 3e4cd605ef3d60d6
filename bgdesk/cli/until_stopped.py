"""`Sigterm`: how the commands that run until stopped (watch, worker) hear SIGTERM.

A signal handler runs on the main thread between two of its steps, and those steps may be
inside a lock the thread holds: a `threading.Event`'s own, while it waits on that Event. A
handler that set the Event would then wait for itself for ever, and the process would go on
running after `kill` (a worker did, once in a few hundred stops). So the handler only sets a
flag, and the main thread looks at it.
"""

from __future__ import annotations

import signal
import time
from types import FrameType, TracebackType
from typing import Any

LOOK_EVERY = 0.2  # seconds between two looks at the flag


class Sigterm:
    """Within its `with` block, SIGTERM sets `heard` instead of ending the process."""

    def __init__(self) -> None:
        self.heard = False
        self._previous: Any = None

    def __enter__(self) -> Sigterm:
        self._previous = signal.signal(signal.SIGTERM, self._hear)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        signal.signal(signal.SIGTERM, self._previous)

    def _hear(self, number: int, frame: FrameType | None) -> None:
        self.heard = True

    def wait(self) -> None:
        """Return once SIGTERM has been heard; Ctrl+C raises KeyboardInterrupt, as ever."""
        while not self.heard:
            time.sleep(LOOK_EVERY)
