"""One window per bgdesk home: a second launch (a file manager's "Open with", `bgdesk
photo.jpg`) hands its files to the running window over a local socket, and exits.

The socket's name comes from the data folder, so two homes (two users, or BGDESK_HOME) keep
separate windows.
"""

from __future__ import annotations

import hashlib
import json

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from bgdesk.paths import Paths

WAIT_MS = 3000


def instance_name(paths: Paths) -> str:
    digest = hashlib.sha256(str(paths.data_dir.resolve()).encode()).hexdigest()[:16]
    return f"bgdesk-{digest}"


def hand_over(name: str, files: list[str]) -> bool:
    """Give `files` to the window already running under `name`; False when there is none."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(WAIT_MS):
        return False
    socket.write(json.dumps(files).encode() + b"\n")
    socket.waitForBytesWritten(WAIT_MS)
    answered = socket.waitForReadyRead(WAIT_MS) and bytes(socket.readAll().data()) == b"ok\n"
    socket.disconnectFromServer()
    return answered


class InstanceServer(QObject):
    """Listens for later launches; `opened` brings the files each one handed over."""

    opened = Signal(list)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.server = QLocalServer(self)
        self.server.newConnection.connect(self._accept)
        if not self.server.listen(name):
            # Nobody answered hand_over, so the name is left over from a crashed window.
            QLocalServer.removeServer(name)
            self.server.listen(name)
        self._buffers: dict[QLocalSocket, bytes] = {}

    @property
    def listening(self) -> bool:
        return self.server.isListening()

    def _accept(self) -> None:
        while (socket := self.server.nextPendingConnection()) is not None:
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))

    def _read(self, socket: QLocalSocket) -> None:
        self._buffers[socket] = self._buffers.get(socket, b"") + bytes(socket.readAll().data())
        if not self._buffers[socket].endswith(b"\n"):
            return
        try:
            files = json.loads(self._buffers[socket])
        except ValueError:
            files = None
        if isinstance(files, list) and all(isinstance(f, str) for f in files):
            socket.write(b"ok\n")
            socket.flush()
            self.opened.emit(files)
        socket.disconnectFromServer()

    def _forget(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()

    def close(self) -> None:
        self.server.close()
