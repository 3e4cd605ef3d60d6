"""Opening the window: the Qt application, the API served beside it, and the job runner."""

from __future__ import annotations

import os
import signal
import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from bgdesk.core.app import Core
from bgdesk.gui.embedded_api import ApiStarter, EmbeddedApi
from bgdesk.gui.main_window import MainWindow
from bgdesk.gui.single_instance import InstanceServer, hand_over, instance_name
from bgdesk.paths import resource


def has_display() -> bool:
    """False on a Linux machine with no screen, where Qt would abort instead of opening."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_window(core: Core, start_api: ApiStarter, paths: list[str] | None = None) -> int:
    """Show the main window, with `paths` queued, until it is closed; returns the status."""
    if not has_display():
        print(
            "bgdesk: no display to open the window on. Use `bgdesk serve` for the API or "
            "`bgdesk remove PATH...` for files.",
            file=sys.stderr,
        )
        return 1
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("bgdesk")
    app.setOrganizationName("bgdesk")
    app.setWindowIcon(QIcon(str(resource("bgdesk.svg"))))
    quit_on_signals(app)
    files = [os.path.abspath(path) for path in paths or []]
    name = instance_name(core.paths)
    if hand_over(name, files):
        print("bgdesk: handed over to the window already open.", file=sys.stderr)
        return 0
    instance = InstanceServer(name)
    api = EmbeddedApi(core, start_api)
    api.start()
    core.start()
    window = MainWindow(core, api)
    window.show()
    instance.opened.connect(window.open_handed_over)
    window.open_handed_over(files)
    try:
        return app.exec()
    finally:
        instance.close()
        api.stop()


def quit_on_signals(app: QApplication) -> QTimer:
    """Ctrl+C in a terminal, or a session's SIGTERM, closes the window as its Quit would.

    The closing is queued for the event loop, so a signal that arrives while the window is
    still being set up closes it as soon as the loop runs, rather than before the loop starts
    (which would leave a loop with no window to end it). Python runs signal handlers only
    between bytecodes, so a timer wakes the interpreter while Qt's event loop waits.
    """
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: QTimer.singleShot(0, app.closeAllWindows))
    waker = QTimer(app, interval=250)
    waker.timeout.connect(lambda: None)
    waker.start()
    return waker
