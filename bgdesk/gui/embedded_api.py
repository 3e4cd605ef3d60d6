"""The REST API served beside the window: started with it, restarted at once when its
switch, address or port change in Settings, and stopped when the window closes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from bgdesk.core.app import Core
from bgdesk.errors import BgdeskError


@dataclass(frozen=True)
class ApiStatus:
    """The API's address, or why it is not running."""

    url: str | None
    problem: str = ""

    @property
    def text(self) -> str:
        return f"API on {self.url}" if self.url else f"API off: {self.problem}"


ApiStarter = Callable[[Core], tuple[ApiStatus, Callable[[], None]]]
"""Starts the API for a core; returns the state to show and a function that stops it."""


class EmbeddedApi(QObject):
    """Keeps the API in step with the settings; `changed` brings each new state."""

    changed = Signal(object)  # ApiStatus

    def __init__(self, core: Core, starter: ApiStarter, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.core = core
        self.starter = starter
        self.status = ApiStatus(None, "not started")
        self._stop: Callable[[], None] = lambda: None
        self._serving: tuple[bool, str, int] | None = None

    def _wanted(self) -> tuple[bool, str, int]:
        settings = self.core.settings
        return settings.api_enabled, settings.api_host, settings.api_port

    def start(self) -> ApiStatus:
        self._serving = self._wanted()
        try:
            self.status, self._stop = self.starter(self.core)
        except BgdeskError as exc:
            self.status, self._stop = ApiStatus(None, exc.message), lambda: None
        self.changed.emit(self.status)
        return self.status

    def apply_settings(self) -> bool:
        """Restart when the switch, host or port changed; True when it did."""
        if self._wanted() == self._serving:
            return False
        self.stop()
        self.start()
        return True

    def stop(self) -> None:
        stop, self._stop = self._stop, lambda: None
        stop()
        self.status = ApiStatus(None, "stopped")
