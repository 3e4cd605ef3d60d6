"""What this installation is and where its models run, for `bgdesk doctor`, the API and the
window: one report, made in one place."""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass

from bgdesk import __version__
from bgdesk.errors import BgdeskError
from bgdesk.inference.devices import offered, runtime_text
from bgdesk.inference.engine import CutoutEngine
from bgdesk.inference.models import ModelStore
from bgdesk.request.options import OutputOptions


@dataclass(frozen=True)
class SystemReport:
    version: str
    python: str
    platform: str
    runtime: str  # ONNX Runtime's version and execution providers
    device_setting: str
    device: str | None  # where models run; None when the device asked for cannot be used
    device_reason: str  # why there, or why it cannot be used
    default_model: str | None  # the model a request naming none gets, when installed
    installed_models: list[str]

    @property
    def healthy(self) -> bool:
        return self.device is not None and self.default_model is not None


def report(engine: CutoutEngine, store: ModelStore, load: bool) -> SystemReport:
    """The report; `load`: try the default model on the device (slower, but certain)."""
    try:
        choice = engine.check_device() if load else engine.device_in_use()
        device, reason = choice.device.label, choice.reason
    except BgdeskError as exc:
        device, reason = None, exc.message
    installed = store.installed()
    try:
        model: str | None = engine.plan_for(OutputOptions()).model
    except BgdeskError:
        model = None
    return SystemReport(
        __version__,
        sys.version.split()[0],
        platform.platform(),
        runtime_text(offered()),
        engine.device,
        device,
        reason,
        model if model in installed else None,
        installed,
    )
