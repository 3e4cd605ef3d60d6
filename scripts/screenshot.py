#!/usr/bin/env python3
"""Take the README's pictures of the real window on a virtual screen, into docs/:

    first-start.png   an empty history: the drop target, Open and the sample photo
    batch.png         a batch of photos in progress
    screenshot.png    a finished before/after
    touch-up.png      the brush at work on a cutout
    clicks-before.png a cutout that kept too much, in click-and-box selection
    clicks-after.png  the same after two remove clicks on the helmet
    mask-overlay.png  touch-up's Overlay view: what the cutout leaves out tinted red
    mask-black-white.png  the mask itself, in black and white
    background.png    the cutout on another picture, before/after
    settings.png      the Settings dialog
    history-search.png  a long history searched from the filter
    refusals.png      photos that were not added, each with its reason

    .venv/bin/python scripts/screenshot.py          # all twelve
    .venv/bin/python scripts/screenshot.py --dark   # the same in a dark palette, in /tmp

Starts Xvfb unless a display is already set, cuts out scikit-image's photos with the real
default model, and saves what the screen shows. Debian packages it needs: xvfb and, for
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
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZE = (1200, 720)
BATCH = ("coffee", "chelsea", "rocket", "astronaut", "hubble_deep_field", "coffee")


def start_display() -> subprocess.Popen | None:
    if os.environ.get("DISPLAY"):
        return None
    if not shutil.which("Xvfb"):
        sys.exit("Xvfb is missing: apt-get install -y xvfb libxcb-cursor0")
    display = ":93"
    server = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.environ["DISPLAY"] = display
    time.sleep(1.5)
    return server


def dark_palette(app) -> None:  # type: ignore[no-untyped-def]
    """What a desktop in dark mode hands the app, to see nothing is hard-coded light."""
    from PySide6.QtGui import QColor, QPalette

    app.setStyle("Fusion")
    palette = QPalette(QColor(53, 53, 53), QColor(40, 40, 40))  # button, window
    for role, colour in (
        (QPalette.ColorRole.Base, (30, 30, 30)),
        (QPalette.ColorRole.Text, (230, 230, 230)),
        (QPalette.ColorRole.WindowText, (230, 230, 230)),
        (QPalette.ColorRole.ButtonText, (230, 230, 230)),
    ):
        palette.setColor(role, QColor(*colour))
    app.setPalette(palette)


def shoot_history(window, settle, shoot) -> None:  # type: ignore[no-untyped-def]
    """A season's history: 300 earlier jobs, and a search that reaches past the loaded page."""
    from bgdesk.core.job_records import new_job_id
    from bgdesk.storage.dialects import writing
    from bgdesk.storage.models import Job, JobSource, JobState

    made = window.selected_job()
    with writing():
        Job.insert_many(
            [
                {
                    "public_id": new_job_id(),
                    "account": made.account_id,
                    "source": JobSource.DESKTOP,
                    "status": JobState.COMPLETED,
                    "input_path": made.input_path,
                    "input_name": f"{'rocket' if n % 25 == 0 else 'product'}-{n:03d}.jpg",
                    "output_path": made.output_path,
                    "output_token": new_job_id(),
                    "created_at": made.created_at,
                    "completed_at": made.created_at,
                }
                for n in range(300)
            ]
        ).execute()
    window.history.reload()
    window.queue.filter.setText("rocket")
    queue = window.queue
    rows = [queue.list.item(row) for row in range(queue.list.count())]
    settle(
        lambda: (
            queue.note.text().endswith("found")
            and all(row.isHidden() or not row.icon().isNull() for row in rows)
        )
    )
    shoot("history-search.png")
    window.queue.filter.clear()


def shoot_refusals(window, settle, shoot, folder, photos) -> None:  # type: ignore[no-untyped-def]
    """Not added: two files that are not photos, and photos met by an empty balance."""
    from PySide6.QtCore import QUrl

    from bgdesk.storage.models import CreditEntry

    core = window.core
    owner = core.accounts.owner()
    CreditEntry.delete().where(CreditEntry.job.is_null()).execute()  # the grants, gone
    if (owed := -core.ledger.balance(owner)) > 0:
        core.ledger.grant(owner, owed, "to nought")
    refused = []
    for name in ("notes.jpg", "order-list-from-the-client.png"):
        (folder / name).write_text("not a photo")
        refused.append(QUrl.fromLocalFile(str(folder / name)))
    window.add_urls(refused + photos)
    settle(lambda: window.refusals.count == 2 + len(photos))
    if window.notices.current is not None:
        window.notices.current.close()
    settle()
    shoot("refusals.png")


def main(dark: bool) -> int:
    server = start_display()
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    home = Path(tempfile.mkdtemp(prefix="bgdesk-shot-"))
    from bgdesk.paths import Paths

    os.environ.setdefault("BGDESK_MODELS_DIR", str(Paths.from_env().models_dir))
    os.environ["BGDESK_HOME"] = str(home)
    from PIL import Image
    from PySide6.QtCore import QPointF, QUrl
    from PySide6.QtGui import QGuiApplication, QIcon
    from PySide6.QtWidgets import QApplication
    from skimage import data

    from bgdesk.bootstrap import build_core, start_embedded_api
    from bgdesk.gui.embedded_api import EmbeddedApi
    from bgdesk.gui.main_window import MainWindow
    from bgdesk.gui.mask_views import MaskView
    from bgdesk.gui.preview import Brush
    from bgdesk.gui.settings_dialog import SettingsDialog
    from bgdesk.inference.selection import Click
    from bgdesk.paths import resource
    from bgdesk.settings import Settings

    app = QApplication(["bgdesk"])
    if dark:
        dark_palette(app)
    folder = Path(tempfile.gettempdir()) / "bgdesk-dark" if dark else ROOT / "docs"
    folder.mkdir(exist_ok=True)
    app.setWindowIcon(QIcon(str(resource("bgdesk.svg"))))
    core = build_core(Paths.from_env(), Settings())
    api = EmbeddedApi(core, start_embedded_api)
    api.start()
    core.start()
    window = MainWindow(core, api)
    window.resize(*SIZE)
    window.move(0, 0)
    window.show()

    def settle(until: Callable[[], bool] = lambda: True, rounds: int = 20) -> None:
        deadline = time.monotonic() + 300
        while not until() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.05)
        for _ in range(rounds):  # thumbnails and pictures read off-thread, then a paint
            app.processEvents()
            time.sleep(0.05)

    def shoot(name: str) -> None:
        QGuiApplication.primaryScreen().grabWindow(window.winId()).save(str(folder / name))
        print(f"Saved {folder / name}")

    settle()
    shoot("first-start.png")

    photos = []
    for n, name in enumerate(BATCH):
        path = home / "photos" / f"{name}{'-2' if n == len(BATCH) - 1 else ''}.jpg"
        path.parent.mkdir(exist_ok=True)
        picture = Image.fromarray(getattr(data, name)()).convert("RGB")
        picture.resize((picture.width * 4, picture.height * 4)).save(path, quality=90)
        photos.append(QUrl.fromLocalFile(str(path)))
    window.add_urls(photos)
    settle(lambda: 2 <= window.batch.finished < len(BATCH) - 1, rounds=4)
    shoot("batch.png")

    settle(lambda: not window.batch.waiting and window.batch.total == len(BATCH))
    window.queue.select_only(len(BATCH) - 4)  # the astronaut
    window.preview.divider = 0.45
    settle(lambda: window.preview.after is not None)
    shoot("screenshot.png")

    job = window.selected_job()
    assert job is not None
    window.toggle_touch_up()
    settle(lambda: window.preview.touching_up)
    painting = window.preview.painting
    assert painting is not None
    width, height = painting.mask.shape[1], painting.mask.shape[0]
    # Erase the ghost of the flag the model kept at the left edge, the brush at its end
    window.preview.set_brush(Brush(restore=False, size=width / 14, hardness=0.7))
    spots = [(0.05 + 0.002 * i, 0.30 + 0.03 * i) for i in range(12)]
    window.preview.show_change(
        painting.begin((spots[0][0] * width, spots[0][1] * height), False, width / 14, 0.7)
    )
    for x, y in spots[1:]:
        window.preview.show_change(painting.extend((x * width, y * height)))
    painting.end()
    window.preview.stroke_ended.emit()
    rect, scale = window.preview.image_rect(), window.preview.scale()
    window.preview._move_cursor(
        QPointF(
            rect.left() + spots[-1][0] * width * scale, rect.top() + spots[-1][1] * height * scale
        )
    )
    window.touch_bar.refresh()
    settle()
    shoot("touch-up.png")

    # The model kept the helmet beside her: a click on its visor and one on its rim.
    window.touch_up.reset()
    window.touch_up.use_selection()
    window.preview._move_cursor(None)
    settle()
    shoot("clicks-before.png")
    for x, y in ((0.86, 0.86), (0.93, 0.76)):
        laid = len(painting.marks)
        window.touch_up.select(Click(x * width, y * height, False))
        settle(lambda laid=laid: len(painting.marks) > laid and not window.touch_up.busy)
    settle()
    shoot("clicks-after.png")
    for view, name in (
        (MaskView.OVERLAY, "mask-overlay.png"),
        (MaskView.MASK, "mask-black-white.png"),
    ):
        window.touch_up.show_as(view)
        settle()
        shoot(name)
    window.touch_up.show_as(MaskView.CUTOUT)
    window.touch_up.stop()

    wall = home / "photos" / "wall.jpg"
    Image.fromarray(data.hubble_deep_field()).convert("RGB").save(wall, quality=90)
    window.backgrounds.use_picture(wall)
    settle(lambda: '"bg_image"' in (core.jobs.get(job.public_id).edits or ""))
    window.preview.divider = 0.35
    settle(lambda: window.preview.after is not None, rounds=30)
    shoot("background.png")

    dialog = SettingsDialog(core, window)
    dialog.show()
    settle(lambda: "a photo here" in dialog.models.model_info.text())
    dialog.grab().save(str(folder / "settings.png"))
    print(f"Saved {folder / 'settings.png'}")
    dialog.close()

    shoot_history(window, settle, shoot)
    shoot_refusals(window, settle, shoot, home / "photos", photos[:3])
    window.close()
    api.stop()
    core.close()
    if server is not None:
        server.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main(dark="--dark" in sys.argv[1:]))
