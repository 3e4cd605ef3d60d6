"""`bgdesk remove PATH...`: cut out files and folders through the job queue."""

from __future__ import annotations

import argparse
import queue
import time
from dataclasses import dataclass
from pathlib import Path

from bgdesk.cli.output import ProgressBar, escaped, print_json
from bgdesk.cli.output_options import add_output_arguments, background_picture, output_options
from bgdesk.core.app import Core
from bgdesk.core.events import ENDINGS, JobEvent
from bgdesk.core.naming import (
    colliding,
    cutout_target,
    distinct_targets,
    given_before,
    is_cutout,
    namesakes,
    too_long,
)
from bgdesk.errors import BgdeskError, InsufficientCredits
from bgdesk.inference.decode import images_in, input_names_text
from bgdesk.request.options import OutputOptions
from bgdesk.storage.files import temporaries_in, temporary_label
from bgdesk.storage.models import JobSource, JobState


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    remove = commands.add_parser("remove", help="remove the background of images and folders")
    remove.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help=f"image files ({input_names_text()}) or folders of them",
    )
    add_output_arguments(remove)
    remove.add_argument(
        "--overwrite",
        action="store_true",
        help="cut out again photos whose cutout is already there (default: skip them)",
    )
    remove.add_argument("--json", action="store_true", help="print one JSON record per input")


@dataclass
class Item:
    """One input of the run and what became of it."""

    source: Path
    target: Path | None = None
    job_id: str | None = None
    error: str | None = None
    skipped: bool = False  # its cutout was there already
    warning: str | None = None  # a cutout made, but with no clear subject
    confidence: float | None = None
    model: str | None = None


def collect(paths: list[Path], output: Path | None, extension: str) -> list[Item]:
    """Expand folders into their images and decide each output's path: one cutout of its
    own for each photo; a photo named twice (a folder and a file in it, a link to it) is
    taken once. A photo named alone is numbered among its namesakes, as in its folder's run."""
    items: list[Item] = []
    wanted: dict[Path, Path] = {}
    seen: set[Path] = set()
    alone: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = [
                (p, cutout_target(p, p.parent.relative_to(path), output, extension))
                for p in images_in(path)
                if not is_cutout(p)
            ]
        elif path.exists():
            found = [(path, cutout_target(path, Path(), output, extension))]
            alone.append(path)
        else:
            items.append(Item(path, error="no such file or folder"))
            continue
        for photo, target in found:
            if (key := photo.resolve()) not in seen:
                seen.add(key)
                wanted[photo] = target
                items.append(Item(photo))
    for photo in [p for others in namesakes(alone).values() for p in others]:
        if (key := photo.resolve()) not in seen:  # competes for a name, is not cut out
            seen.add(key)
            wanted[photo] = cutout_target(photo, Path(), output, extension)
    targets = distinct_targets(wanted, given_before(colliding(wanted)))
    for item in items:
        if item.source in targets:
            item.target = targets[item.source]
            item.error = too_long(item.target)
    return items


def run(args: argparse.Namespace, core: Core) -> int:
    options = output_options(args, core.settings)
    background = background_picture(args)
    core.engine.check_model(options)  # one clear message rather than one per file
    items = collect(args.paths, args.output, options.extension)
    finished: queue.Queue[JobEvent] = queue.Queue()
    unsubscribe = core.events.subscribe(
        lambda event: finished.put(event) if event.kind in ENDINGS else None
    )
    started = time.monotonic()
    try:
        _resume(core, items, args.overwrite)
        core.start()
        _submit_all(core, items, options, background)
        _wait(core, items, finished)
    finally:
        unsubscribe()
    _report(items, args.json, time.monotonic() - started)
    return 1 if any(item.error for item in items) else 0


def _resume(core: Core, items: list[Item], overwrite: bool) -> None:
    """Take up where an interrupted run stopped: a photo whose cutout is there is skipped
    (unless `overwrite`), one whose job is still waiting or running is waited for, not paid
    for again, and the temporary files a killed writer left beside the cutouts go."""
    core.running.recover()  # a killed run's jobs are queued again, to be run by this one
    unfinished = core.jobs.unfinished_by_output()
    leftovers: dict[Path, dict[str, list[Path]]] = {}
    for item in items:
        if item.error or item.target is None:
            continue
        target = item.target.resolve()
        job = unfinished.get(target)
        if job is not None and Path(job.input_path) == item.source.resolve():
            item.job_id = job.public_id
            if job.status == JobState.RUNNING:  # in another live process: its file
                continue
        elif target.exists() and not overwrite:
            item.skipped = True
        folder = leftovers.setdefault(target.parent, temporaries_in(target.parent))
        for path in folder.get(temporary_label(target.name), []):
            path.unlink(missing_ok=True)


def _submit_all(
    core: Core, items: list[Item], options: OutputOptions, background: bytes | None
) -> None:
    owner = core.accounts.owner()
    out_of_credits: str | None = None
    for item in items:
        if item.error or item.skipped or item.job_id:
            continue
        if out_of_credits:
            item.error = out_of_credits
            continue
        try:
            assert item.target is not None
            item.job_id = core.intake.submit_file(
                owner, item.source, JobSource.CLI, options, item.target, background
            ).public_id
        except InsufficientCredits as exc:
            item.error = out_of_credits = exc.message
        except BgdeskError as exc:
            item.error = exc.message


def _wait(core: Core, items: list[Item], finished: queue.Queue[JobEvent]) -> None:
    """Wait for every submitted job; events wake us, the database has the last word."""
    pending = {item.job_id for item in items if item.job_id}
    bar = ProgressBar(len(items))
    bar.update(len(items) - len(pending))
    while pending:
        try:
            event = finished.get(timeout=0.5)
            pending.discard(event.job_id)
        except queue.Empty:
            pending &= core.jobs.pending_ids(list(pending))
        bar.update(len(items) - len(pending))
    bar.close()
    by_id = core.jobs.get_many([item.job_id for item in items if item.job_id])
    for item in items:
        job = by_id.get(item.job_id or "")
        if job is not None and job.status == JobState.FAILED:
            item.error = job.error_message or "processing failed"
        elif job is not None:
            item.warning, item.confidence, item.model = job.warning, job.confidence, job.model


def _report(items: list[Item], as_json: bool, seconds: float) -> None:
    if as_json:
        print_json(
            [
                {
                    "input": str(i.source),
                    "output": None if i.error else str(i.target),
                    "jobId": i.job_id,
                    "status": "failed" if i.error else "skipped" if i.skipped else "completed",
                    "error": i.error,
                    "warning": i.warning,
                    "confidence": None if i.confidence is None else round(i.confidence, 3),
                    "model": i.model,
                }
                for i in items
            ]
        )
        return
    failures = [item for item in items if item.error]
    skipped = sum(item.skipped for item in items)
    done = len(items) - len(failures) - skipped
    print(f"{done} cutout{'s' if done != 1 else ''} written in {seconds:.1f} s.")
    if skipped:
        print(f"{skipped} already there, skipped (--overwrite makes them again).")
    for item in items:
        if not item.error and not item.skipped and len(items) <= 10:
            print(f"  {escaped(item.source)} -> {escaped(item.target)}")
    for item in items:
        if item.warning:
            print(f"  CHECK {escaped(item.target)}: {escaped(item.warning)}")
    for item in failures:
        print(f"  FAILED {escaped(item.source)}: {escaped(item.error)}")
