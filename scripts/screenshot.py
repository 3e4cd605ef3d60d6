#!/usr/bin/env python3
"""Take docs/screenshot.png: the real window with a finished before/after, on a virtual screen.

    .venv/bin/python scripts/screenshot.py          # docs/screenshot.png
    .venv/bin/python scripts/screenshot.py --dark   # /tmp/bgdesk-dark.png: the dark palette

Starts Xvfb unless a display is already set, cuts out two of scikit-image's photos with the
real default model, and saves what the screen shows. Debian packages it needs: xvfb and, for
Qt's xcb plugin, libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "screenshot.png"
SIZE = (1200, 720)


def start_display() -> subprocess.Popen | None:
    if os.environ.get("DISPLAY"):
        return None
    if not shutil.which("Xvfb"):
        sys.exit("Xvfb is missing: apt-get install -y xvfb libxcb-cursor0")
    display = ":93"
    server = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten",
                               "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.environ["DISPLAY"] = display
    time.sleep(1.5)
    return server


def main(dark: bool) -> int:
    server = start_display()
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    home = Path(tempfile.mkdtemp(prefix="bgdesk-shot-"))
    from bgdesk.paths import Paths

    os.environ.setdefault("BGDESK_MODELS_DIR", str(Paths.from_env().models_dir))
    os.environ["BGDESK_HOME"] = str(home)
    from PIL import Image
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QGuiApplication, QIcon
    from PySide6.QtWidgets import QApplication
    from skimage import data

    from bgdesk.bootstrap import build_core, start_embedded_api
    from bgdesk.gui.embedded_api import EmbeddedApi
    from bgdesk.gui.main_window import MainWindow
    from bgdesk.paths import resource
    from bgdesk.settings import Settings

    app = QApplication(["bgdesk"])
    if dark:  # what a desktop in dark mode hands the app, to see nothing is hard-coded light
        from PySide6.QtGui import QColor, QPalette

        app.setStyle("Fusion")
        palette = QPalette(QColor(53, 53, 53), QColor(40, 40, 40))  # button, window
        for role, colour in ((QPalette.ColorRole.Base, (30, 30, 30)),
                             (QPalette.ColorRole.Text, (230, 230, 230)),
                             (QPalette.ColorRole.WindowText, (230, 230, 230)),
                             (QPalette.ColorRole.ButtonText, (230, 230, 230))):
            palette.setColor(role, QColor(*colour))
        app.setPalette(palette)
    target = Path(tempfile.gettempdir()) / "bgdesk-dark.png" if dark else TARGET
    app.setWindowIcon(QIcon(str(resource("bgdesk.svg"))))
    core = build_core(Paths.from_env(), Settings())
    core.start()
    api = EmbeddedApi(core, start_embedded_api)
    api.start()
    window = MainWindow(core, api)
    window.resize(*SIZE)
    window.move(0, 0)
    window.show()
    photos = []
    for name in ("coffee", "astronaut"):
        path = home / f"{name}.jpg"
        Image.fromarray(getattr(data, name)()).save(path, quality=92)
        photos.append(QUrl.fromLocalFile(str(path)))
    window.add_urls(photos)
    deadline = time.monotonic() + 120
    while (time.monotonic() < deadline and core.jobs.pending_ids(
            [job.public_id for job in core.jobs.recent()])) or len(core.jobs.recent()) < 2:
        app.processEvents()
        time.sleep(0.05)
    window.queue.list.setCurrentRow(0)
    window.preview.divider = 0.45
    while window.preview.after is None and time.monotonic() < deadline:  # read off-thread
        app.processEvents()
        time.sleep(0.05)
    for _ in range(20):  # thumbnails, then one more paint
        app.processEvents()
        time.sleep(0.05)
    target.parent.mkdir(exist_ok=True)
    QGuiApplication.primaryScreen().grabWindow(window.winId()).save(str(target))
    print(f"Saved {target}")
    window.close()
    core.close()
    if server is not None:
        server.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main(dark="--dark" in sys.argv[1:]))
