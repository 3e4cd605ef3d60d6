"""A loop on a thread of its own that can be stopped, and started again after."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Background:
    """Runs `loop` on a daemon thread called `name` from `start` until it returns; `stop`
    sets `stopping` (which `loop` watches) and waits for it."""

    def __init__(self, name: str, loop: Callable[[], None]) -> None:
        self.name = name
        self.loop = loop
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self.stopping.clear()
            self._thread = threading.Thread(target=self.loop, name=self.name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
