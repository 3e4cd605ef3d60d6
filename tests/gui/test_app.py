"""Starting and stopping the window's application."""

from __future__ import annotations

import os
import signal

import pytest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from bgdesk.gui.app import quit_on_signals
from tests.gui.conftest import WAIT

pytestmark = pytest.mark.slow  # the real window


def test_a_signal_before_the_event_loop_runs_still_closes_the_window(qtbot: QtBot) -> None:
    previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    waker = quit_on_signals(app)
    try:
        os.kill(os.getpid(), signal.SIGTERM)  # as a logout would, while the window sets up
        assert window.isVisible(), "nothing is closed before the event loop runs"
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT)
    finally:
        waker.stop()
        for number, handler in previous.items():
            signal.signal(number, handler)
