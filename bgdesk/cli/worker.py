"""`bgdesk worker`: run the queue's jobs and send their webhooks, with no API, until stopped.
Started on each machine that shares one database (`database_url`) and one `storage_dir`."""

from __future__ import annotations

import argparse
import sys

from bgdesk.cli.until_stopped import Sigterm
from bgdesk.core.app import Core
from bgdesk.core.leases import HOST


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    commands.add_parser(
        "worker",
        help="run queued jobs (no API) until stopped: one of several machines on one database",
    )


def run(args: argparse.Namespace, core: Core) -> int:
    if not core.settings.public_url:
        print(
            "bgdesk: public_url is not set: webhooks sent from here name download URLs on "
            f"{core.public_url}, which clients may not reach.",
            file=sys.stderr,
        )
    with Sigterm() as stop:
        try:
            core.start(serving=True)
            print(
                f"bgdesk worker on {HOST}: running jobs from {core.database_shown}, "
                f"{core.settings.parallel_jobs} at a time (Ctrl+C stops).",
                flush=True,
            )
            stop.wait()
        except KeyboardInterrupt:
            pass
    print("Stopping: finishing the jobs in hand.", flush=True)
    return 0
