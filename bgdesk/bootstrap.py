"""The composition root: settings, paths and the core, handed to the face that was asked for."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from bgdesk.core.app import Core
from bgdesk.core.secrets import KeyringSecretStore
from bgdesk.inference.engine import Engine
from bgdesk.inference.models import ModelStore
from bgdesk.paths import Paths
from bgdesk.settings import Settings

if TYPE_CHECKING:
    from bgdesk.gui.embedded_api import ApiStatus


def build_core(paths: Paths, settings: Settings) -> Core:
    """A core over the real engine and the OS keyring."""
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
        return ApiStatus(None, "turned off in Settings"), lambda: None
    server = ApiServer(core, core.settings.api_host, core.settings.api_port)
    server.start()
    return ApiStatus(server.url), server.stop


def open_window(core: Core, paths: list[str]) -> int:
    """Bare `bgdesk`: the desktop window, with the API inside the same process."""
    from bgdesk.gui.app import run_window

    return run_window(core, start_embedded_api, paths)


def main(argv: list[str] | None = None) -> int:
    from bgdesk.cli import run

    return run(
        sys.argv[1:] if argv is None else argv, Paths.from_env(), build_core, serve_api, open_window
    )
