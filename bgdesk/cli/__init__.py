"""The `bgdesk` command line."""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bgdesk import __version__
from bgdesk.cli import admin, doctor, models, remove, watch, worker
from bgdesk.core.app import Core
from bgdesk.errors import BgdeskError
from bgdesk.inference.devices import CHOICES
from bgdesk.inference.models import ModelStore
from bgdesk.paths import Paths
from bgdesk.settings import Settings

CoreFactory = Callable[[Paths, Settings], Core]
ApiRunner = Callable[[Core, str, int, bool], int]
WindowRunner = Callable[[Core, list[str]], int]


def build_parser() -> tuple[argparse.ArgumentParser, set[str]]:
    """The parser, and the names of its commands."""
    parser = argparse.ArgumentParser(
        prog="bgdesk", description="Remove image backgrounds on this computer."
    )
    parser.add_argument("--version", action="version", version=f"bgdesk {__version__}")
    _add_global_options(parser, after_command=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    remove.add_parser(commands)
    watch.add_parser(commands)
    models.add_parser(commands)
    admin.add_parsers(commands)
    doctor.add_parser(commands)
    window = commands.add_parser(
        "open",
        help="open the window (what bare `bgdesk` does), with these photos or folders queued",
    )
    window.add_argument("paths", nargs="*", metavar="PATH")
    serve = commands.add_parser("serve", help="serve the REST API (without the window)")
    serve.add_argument("--host", help="address to bind (default: setting api_host, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: setting api_port, 7878)")
    serve.add_argument(
        "--no-runner",
        action="store_true",
        help="only take jobs in: `bgdesk worker` processes on the same database run them",
    )
    worker.add_parser(commands)
    _global_options_after_commands(parser)
    return parser, set(commands.choices)


UNTIL_STOPPED = frozenset({"watch", "serve", "worker", "open", None})  # None: the window


def runs_until_stopped(argv: list[str]) -> bool:
    """Whether the command `argv` asks for runs until it is stopped, so that a stop is how it
    ends well; a stop cuts any other command short."""
    parser, commands = build_parser()
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # the command itself tells of errors
            args, _ = parser.parse_known_args(with_command(argv, commands))
    except SystemExit:  # not a command line that runs anything
        return True
    return args.command in UNTIL_STOPPED


def with_command(argv: list[str], commands: set[str]) -> list[str]:
    """`argv` with its command named: paths alone (`bgdesk photo.jpg`, what file managers and
    "Open with" send) mean `bgdesk open photo.jpg`."""
    if argv and not argv[0].startswith("-") and argv[0] not in commands and Path(argv[0]).exists():
        return ["open", *argv]
    return argv


def _add_global_options(parser: argparse.ArgumentParser, *, after_command: bool) -> None:
    """The options every command takes, before or after its name. After it they default to
    leaving the value unset, so that an option given before the command is not undone."""
    unset: dict[str, Any] = {"default": argparse.SUPPRESS} if after_command else {}
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens", **unset)
    parser.add_argument(
        "--device",
        choices=CHOICES,
        help="where models run, for this run only (default: the setting device)",
        **unset,
    )


def _global_options_after_commands(parser: argparse.ArgumentParser) -> None:
    """Give each command and subcommand the global options too: `bgdesk remove x --device cpu`
    means `bgdesk --device cpu remove x`."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in dict.fromkeys(action.choices.values()):
                _add_global_options(command, after_command=True)
                _global_options_after_commands(command)


def run(
    argv: list[str],
    paths: Paths,
    build_core: CoreFactory,
    serve_api: ApiRunner,
    open_window: WindowRunner,
) -> int:
    """Parse `argv` and run the command; returns the exit status.

    Paths with no command mean `open` (`with_command`).
    """
    parser, commands = build_parser()
    args = parser.parse_args(with_command(argv, commands))
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        settings, problems = Settings.read(paths.settings_file)
        for problem in problems:
            print(f"bgdesk: {problem}", file=sys.stderr)
        if args.device:
            settings.device = args.device
        if args.command == "models":
            return models.run(args, ModelStore.of(paths), settings.device)
        core = build_core(paths, settings)
        try:
            return _run_on(core, args, settings, serve_api, open_window)
        finally:
            core.close()
    except BgdeskError as exc:
        print(f"bgdesk: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "\nbgdesk: interrupted; unfinished jobs run at the next start "
            "(or with `bgdesk jobs run`).",
            file=sys.stderr,
        )
        return 130


def _run_on(
    core: Core,
    args: argparse.Namespace,
    settings: Settings,
    serve_api: ApiRunner,
    open_window: WindowRunner,
) -> int:
    """Run a command that needs the core."""
    if args.command in (None, "open"):
        return open_window(core, getattr(args, "paths", []))
    if (args.command == "serve" and not args.no_runner) or args.command == "worker":
        core.check_device()  # a device that cannot run the model: refuse to start
    if args.command == "serve":
        return serve_api(
            core,
            args.host or settings.api_host,
            settings.api_port if args.port is None else args.port,
            not args.no_runner,
        )
    return _dispatch(args, core)


def _dispatch(args: argparse.Namespace, core: Core) -> int:
    handlers = {
        "remove": remove.run,
        "watch": watch.run,
        "accounts": admin.run_accounts,
        "keys": admin.run_keys,
        "credits": admin.run_credits,
        "jobs": admin.run_jobs,
        "doctor": doctor.run,
        "worker": worker.run,
    }
    return handlers[args.command](args, core)
