"""Between batches the window gives back the memory cutouts took: the runner calls it once the
queue has rested, the engine closes its sessions and shrinks their arena, and the next cutout
is made as before. Without a window, models stay loaded."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bgdesk.core.app import Core
from bgdesk.request.options import OutputOptions
from bgdesk.storage.models import JobSource
from tests.conftest import decode, photo


def run_one(core: Core, folder: Path, name: str) -> bytes:
    source = folder / f"{name}.jpg"
    source.write_bytes(photo("rocket", (640, 480)))
    job = core.intake.submit_file(core.accounts.owner(), source, JobSource.DESKTOP, OutputOptions())
    core.runner.run_until_idle()
    return Path(core.jobs.get(job.public_id).output_path).read_bytes()


@pytest.mark.slow
def test_the_engine_gives_its_memory_back_and_cuts_out_the_same_after(
    core: Core, tmp_path: Path
) -> None:
    before = run_one(core, tmp_path, "first")
    engine = core.engine
    assert engine._sessions, "a model was loaded"  # type: ignore[attr-defined]
    engine.release_memory()
    assert not engine._sessions, "closed"  # type: ignore[attr-defined]
    after = run_one(core, tmp_path, "second")
    assert decode(after).tobytes() == decode(before).tobytes(), "the same cutout again"


def test_the_runner_rests_after_work(fake_core: Core, tmp_path: Path) -> None:
    rested = threading.Event()
    assert fake_core.runner.idle is None, "a server keeps its models loaded"
    fake_core.start()
    fake_core.runner.idle = rested.set
    fake_core.runner.rest_after = 0.0
    source = tmp_path / "rocket.jpg"
    source.write_bytes(photo("rocket", (64, 64)))
    fake_core.intake.submit_file(
        fake_core.accounts.owner(), source, JobSource.DESKTOP, OutputOptions()
    )
    assert rested.wait(30), "called once the queue was empty after the job"
    fake_core.runner.stop()  # its thread done with the call
    assert fake_core.runner.rested_at == fake_core.runner.executions == 1
