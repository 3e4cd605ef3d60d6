"""The window at rest over a history of a thousand finished jobs, in a process of its own:
prints its resident memory once a cutout is shown and every loaded row has its thumbnail.

    python -m tests.gui.resting FOLDER   (BGDESK_HOME and BGDESK_MODELS_DIR set)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication
from skimage import data

from bgdesk.bootstrap import build_core, start_embedded_api
from bgdesk.core.app import Core
from bgdesk.core.job_records import new_job_id
from bgdesk.gui.embedded_api import EmbeddedApi
from bgdesk.gui.main_window import MainWindow
from bgdesk.paths import Paths
from bgdesk.settings import Settings
from bgdesk.storage.dialects import writing
from bgdesk.storage.models import Job, JobSource, JobState, utcnow
from tests.gui.test_soak import resident_mib
from tests.processes import free_port

HISTORY = 1_000
SAMPLES = ("astronaut", "chelsea", "coffee", "rocket")
DEADLINE = 120  # seconds to reach rest


def fill(core: Core, folder: Path) -> None:
    """HISTORY finished jobs over the sample photos and their (whole) cutouts."""
    pictures = []
    for name in SAMPLES:
        picture = Image.fromarray(getattr(data, name)()).convert("RGB")
        picture.save(folder / f"{name}.jpg", quality=90)
        picture.convert("RGBA").save(folder / f"{name}-nobg.png")
        pictures.append((folder / f"{name}.jpg", folder / f"{name}-nobg.png"))
    owner = core.accounts.owner()
    rows = [
        {
            "public_id": new_job_id(),
            "account": owner.id,
            "source": JobSource.DESKTOP,
            "status": JobState.COMPLETED,
            "input_path": str(pictures[n % len(pictures)][0]),
            "input_name": f"shot-{n}.jpg",
            "output_path": str(pictures[n % len(pictures)][1]),
            "output_token": new_job_id(),
            "completed_at": utcnow(),
        }
        for n in range(HISTORY)
    ]
    with writing():
        for start in range(0, HISTORY, 500):
            Job.insert_many(rows[start : start + 500]).execute()


def at_rest(window: MainWindow) -> bool:
    items = [window.queue.list.item(row) for row in range(window.queue.list.count())]
    shown = window.preview.after is not None
    return shown and all(not item.icon().isNull() for item in items)


def main(folder: Path) -> int:
    app = QApplication([])
    core = build_core(Paths.from_env(), Settings(api_port=free_port()))
    fill(core, folder)
    api = EmbeddedApi(core, start_embedded_api)
    api.start()
    core.start()
    window = MainWindow(core, api)
    window.show()
    window.queue.select_only(0)
    deadline = time.monotonic() + DEADLINE
    while not at_rest(window):
        if time.monotonic() > deadline:
            print("the window never came to rest", file=sys.stderr)
            return 1
        # Until the loaders' threads send what they read (the window's refresh timer wakes
        # this every two seconds too, so the deadline is seen).
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    print(f"{resident_mib():.1f}")
    window.close()
    api.stop()
    core.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
