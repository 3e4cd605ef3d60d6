"""`bgdesk watch DIR...`: cut out every photo that appears in the folders, until stopped."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from bgdesk.cli.output import escaped
from bgdesk.cli.output_options import add_output_arguments, background_picture, output_options
from bgdesk.cli.until_stopped import Sigterm
from bgdesk.core.app import Core
from bgdesk.core.events import ENDINGS
from bgdesk.core.watch import FolderWatcher, Watched
from bgdesk.errors import InvalidRequest
from bgdesk.storage.models import UNFINISHED, JobState


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    watch = commands.add_parser(
        "watch", help="cut out photos as they appear in folders, until stopped (Ctrl+C)"
    )
    watch.add_argument("folders", nargs="+", type=Path, metavar="DIR", help="folders to watch")
    add_output_arguments(watch)
    watch.add_argument(
        "--interval", type=float, default=1.0, metavar="S", help="seconds between looks"
    )


def run(args: argparse.Namespace, core: Core) -> int:
    missing = [escaped(folder) for folder in args.folders if not folder.is_dir()]
    if missing:
        raise InvalidRequest(f"Not a folder: {', '.join(missing)}.")
    options = output_options(args, core.settings)
    core.engine.check_model(options)
    report = _Report(core)
    with Sigterm() as stop:
        unsubscribe = core.events.subscribe(
            lambda event: report.ended(event.job_id) if event.kind in ENDINGS else None
        )
        watcher = FolderWatcher(
            core.intake,
            core.jobs,
            core.accounts.owner,
            args.folders,
            args.output,
            lambda: options,
            interval=args.interval,
            on_found=report.found,
            background=background_picture(args),
            follow_links=core.settings.watch_follow_links,
        )
        watching = ", ".join(escaped(folder) for folder in args.folders)
        print(f"Watching {watching} (Ctrl+C stops).", flush=True)
        try:
            core.start()
            watcher.start()
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            watcher.stop()
            unsubscribe()
    print("Stopped watching.", flush=True)
    return 0


class _Report:
    """Prints each photo the watcher took once its job has ended, and each it skipped."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._taken: dict[str, Watched] = {}  # by job id, until the job ends
        self._lock = threading.Lock()

    def found(self, watched: Watched) -> None:
        if watched.job is None:
            print(f"  SKIPPED {escaped(watched.photo)}: {escaped(watched.error)}", flush=True)
            return
        with self._lock:
            self._taken[watched.job.public_id] = watched
        if self.core.jobs.get(watched.job.public_id).status not in UNFINISHED:
            self.ended(watched.job.public_id)  # it ended before its look told of it

    def ended(self, job_id: str) -> None:
        with self._lock:
            watched = self._taken.pop(job_id, None)
        if watched is None:
            return
        job = self.core.jobs.get(job_id)
        if job.status == JobState.COMPLETED:
            print(f"  {escaped(watched.photo)} -> {escaped(watched.target)}", flush=True)
        else:
            print(f"  FAILED {escaped(watched.photo)}: {escaped(job.error_message)}", flush=True)
