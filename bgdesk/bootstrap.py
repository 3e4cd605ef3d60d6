"""The composition root: settings, paths and the core, handed to the face that was asked for.

This module imports only the standard library at the top: `main` must be able to hear a stop
before the heavy imports (the model runtime, Qt, the web framework) take their second.
"""

from __future__ import annotations

import contextlib
import faulthandler
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bgdesk.core.app import Core
    from bgdesk.gui.embedded_api import ApiStatus
    from bgdesk.paths import Paths
    from bgdesk.settings import Settings


class StopRequested(BaseException):
    """SIGTERM (a session ending, a service manager, `kill`) arrived before the command took
    it over. A BaseException, like KeyboardInterrupt, so that no `except Exception` on the
    way swallows it; every `finally` on the way still runs, and a second SIGTERM cuts that
    clean-up short as a second Ctrl+C would."""


_stop_asked = threading.Event()


def _stop(number: int, frame: FrameType | None) -> None:
    _stop_asked.set()
    raise StopRequested


@contextmanager
def stops_heard() -> Iterator[None]:
    """From here on SIGTERM ends the process as a stop, not as a kill: a clean exit, with
    what was opened closed. Commands that run until stopped (watch, worker, serve, the
    window) put their own handler in place once they are ready, and put this one back."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; a caller there owns the signals
        return
    _stop_asked.clear()
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def build_core(paths: Paths, settings: Settings) -> Core:
    """A core over the real engine and the OS keyring."""
    from bgdesk.core.app import Core
    from bgdesk.core.secrets import KeyringSecretStore
    from bgdesk.inference.engine import Engine
    from bgdesk.inference.models import ModelStore

    engine = Engine(
        ModelStore.of(paths),
        settings.input_limits,
        settings.default_model,
        settings.inference_threads,
        settings.decontaminate,
        settings.device,
        settings.device_index,
    )
    return Core(paths, settings, engine, KeyringSecretStore())


def serve_api(core: Core, host: str, port: int, run_jobs: bool = True) -> int:
    """`bgdesk serve`: the API, and the job runner unless `run_jobs` is False (then
    `bgdesk worker` processes on the same database run them), in this process until Ctrl+C."""
    from bgdesk.api.server import ApiServer, is_loopback

    server = ApiServer(core, host, port)
    if not is_loopback(host):
        print(
            f"WARNING: the API listens on {host}, reachable from other machines. Anyone who "
            "can reach this address can try keys against it.",
            file=sys.stderr,
        )
    core.start(serving=True, run_jobs=run_jobs)
    runs = "" if run_jobs else "; jobs are run by `bgdesk worker` processes"
    print(f"bgdesk API on {server.url}  (docs: {server.url}/docs{runs}; Ctrl+C stops)")
    server.serve()
    return 0


def start_embedded_api(core: Core) -> tuple[ApiStatus, Callable[[], None]]:
    """The API beside the window, when the settings want it; (state to show, stopper)."""
    from bgdesk.api.server import ApiServer
    from bgdesk.gui.embedded_api import ApiStatus

    if not core.settings.api_enabled:
        return ApiStatus(None, "turned off in Settings", "turned off"), lambda: None
    server = ApiServer(core, core.settings.api_host, core.settings.api_port)
    server.start()
    return ApiStatus(server.url), server.stop


def open_window(core: Core, paths: list[str]) -> int:
    """Bare `bgdesk`: the desktop window, with the API inside the same process."""
    from bgdesk.gui.app import run_window

    return run_window(core, start_embedded_api, paths)


def _core_unless_stopped(paths: Paths, settings: Settings) -> Core:
    """`build_core`, unless a stop came during the imports and was lost there: an extension
    module being imported may turn it into an ImportError, which its importer may catch."""
    if _stop_asked.is_set():
        raise StopRequested
    return build_core(paths, settings)


def stacks_on_crash() -> None:
    """A crash (a fault in native code, an abort) writes what each thread was doing to
    stderr (a service's journal) before the process ends: `kill -ABRT` on a process that
    seems stuck shows where it was."""
    if sys.stderr is None:  # a windowed app with nowhere to write
        return
    with contextlib.suppress(ValueError, OSError, AttributeError):  # stderr with no file
        faulthandler.enable(file=sys.stderr, all_threads=True)


def main(argv: list[str] | None = None) -> int:
    """The `bgdesk` command. A stop (SIGTERM) that comes before the command has taken it over
    ends it without a traceback, as one that comes later does (see `_stopped_status`); Ctrl+C
    before the command could take it ends it with 130, also without a traceback."""
    arguments = sys.argv[1:] if argv is None else argv
    stacks_on_crash()
    try:  # outside the `with`: a stop may come while its handler is being put in place
        with stops_heard():
            from bgdesk.cli import run
            from bgdesk.paths import Paths

            return run(arguments, Paths.from_env(), _core_unless_stopped, serve_api, open_window)
    except KeyboardInterrupt:
        return 130
    except BaseException:
        # The stop itself, or what an extension module being imported made of it (pybind11
        # and others turn any exception raised while they load into an ImportError).
        if _stop_asked.is_set():
            return _stopped_status(arguments)
        raise


def _stopped_status(arguments: list[str]) -> int:
    """0 for a command that runs until stopped (watch, serve, worker, the window): a stop is
    how it ends. Any other command was cut short, and says so as a process the signal ended
    does (128 + SIGTERM), so that no script takes an interrupted `remove` for a success."""
    try:
        from bgdesk.cli import runs_until_stopped

        until_stopped = runs_until_stopped(arguments)
    except BaseException:  # stopped before the command line could be read: nothing began
        return 0
    return 0 if until_stopped else 128 + signal.SIGTERM
