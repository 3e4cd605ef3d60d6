"""The REST API served beside the window: started with it, restarted at once when its
switch, address or port change in Settings, and stopped when the window closes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from bgdesk.core.app import Core
from bgdesk.errors import BgdeskError, PortUnavailable


@dataclass(frozen=True)
class ApiStatus:
    """The API's address, or why it is not running: `problem` in full, `cause` in a few
    words for the toolbar, which a long message would widen past the screen, and the
    `setting` to change to mend it, if one would."""

    url: str | None
    problem: str = ""
    cause: str = "not running"
    setting: str = ""

    @property
    def text(self) -> str:
        return f"API on {self.url}" if self.url else f"API off — {self.cause}"

    @property
    def details(self) -> str:
        """The toolbar label's tooltip."""
        if self.url:
            return f"The REST API answers at {self.url}; Account → API Keys makes a key."
        return f"The REST API is off: {self.problem}"


ApiStarter = Callable[[Core], tuple[ApiStatus, Callable[[], None]]]
"""Starts the API for a core; returns the state to show and a function that stops it."""


class EmbeddedApi(QObject):
    """Keeps the API in step with the settings; `changed` brings each new state."""

    changed = Signal(object)  # ApiStatus

    def __init__(self, core: Core, starter: ApiStarter, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.core = core
        self.starter = starter
        self.status = ApiStatus(None, "not started yet", "not started")
        self._stop: Callable[[], None] = lambda: None
        self._serving: tuple[bool, str, int] | None = None

    def _wanted(self) -> tuple[bool, str, int]:
        settings = self.core.settings
        return settings.api_enabled, settings.api_host, settings.api_port

    def start(self) -> ApiStatus:
        self._serving = self._wanted()
        self._stop = lambda: None
        try:
            self.status, self._stop = self.starter(self.core)
        except PortUnavailable as exc:
            self.status = ApiStatus(None, exc.message, "port in use", "api_port")
        except BgdeskError as exc:
            self.status = ApiStatus(None, exc.message, "cannot start")
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
        self.status = ApiStatus(None, "stopped", "stopped")
