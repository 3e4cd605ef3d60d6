"""Where models run: `auto` picks the best execution provider there is and says why; a device
named runs there or not at all, with what is missing and how to get it — never on the CPU in
silence, even when ONNX Runtime itself would drop to it."""

from __future__ import annotations

from typing import Any

import onnxruntime as ort
import pytest

from bgdesk.core.app import Core
from bgdesk.errors import DeviceUnavailable
from bgdesk.inference.devices import AUTO_ORDER, DEVICES, choose
from bgdesk.inference.engine import Engine
from bgdesk.request.options import OutputOptions
from bgdesk.storage.models import Job, JobSource, JobState
from tests.conftest import photo

CPU_ONLY = ["AzureExecutionProvider", "CPUExecutionProvider"]
PRETEND_CUDA = ["CUDAExecutionProvider", "CPUExecutionProvider"]


def test_auto_takes_the_first_accelerator_offered_else_the_cpu_and_says_why() -> None:
    alone = choose("auto", CPU_ONLY)
    assert alone.device is DEVICES["cpu"] and "no accelerator" in alone.reason
    assert "CPUExecutionProvider" in alone.reason, "names what this ONNX Runtime has"
    both = choose("auto", ["DmlExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"])
    assert both.device is DEVICES[AUTO_ORDER[0]] and both.reason.startswith("auto")


@pytest.mark.parametrize("name", ["cuda", "directml", "coreml", "openvino"])
def test_a_device_named_but_missing_says_what_is_missing_and_how_to_get_it(name: str) -> None:
    with pytest.raises(DeviceUnavailable) as refused:
        choose(name, CPU_ONLY)
    message = refused.value.message
    assert DEVICES[name].provider in message and DEVICES[name].install in message
    assert refused.value.status == 503 and refused.value.code == "device_unavailable"


@pytest.mark.slow
def test_the_real_engine_runs_on_the_cpu_under_auto_and_says_so(core: Core) -> None:
    assert core.engine.device == "auto"
    core.engine.remove_background(photo("astronaut", (128, 128)), OutputOptions())
    used = core.engine.device_in_use()
    assert used.device is DEVICES["cpu"] and used.reason.startswith("auto: no accelerator")
    assert core.system().device == "CPU"


@pytest.mark.slow
def test_cuda_asked_for_here_refuses_jobs_and_charges_nothing(core: Core) -> None:
    core.settings.device = "cuda"
    core.apply_settings()
    owner = core.accounts.owner()
    with pytest.raises(DeviceUnavailable, match="bgdesk\\[cuda\\]"):
        core.intake.submit_upload(
            owner, photo("coffee", (64, 64)), "a.jpg", JobSource.API, OutputOptions()
        )
    assert core.ledger.balance(owner) == 100
    assert core.system().device is None and not core.system().healthy


@pytest.mark.slow
def test_a_job_queued_before_the_device_went_away_fails_and_is_refunded(core: Core) -> None:
    owner = core.accounts.owner()
    job = core.intake.submit_upload(
        owner, photo("coffee", (64, 64)), "a.jpg", JobSource.API, OutputOptions()
    )
    core.engine.device = "cuda"  # set while it waited
    core.runner.run_until_idle()
    ended = Job.get_by_id(job.id)
    assert ended.status == JobState.FAILED and ended.error_code == "device_unavailable"
    assert "CUDAExecutionProvider" in (ended.error_message or "")
    assert core.ledger.balance(owner) == 100


@pytest.mark.slow
def test_a_provider_that_fails_to_load_a_model_runs_it_on_the_cpu_only_under_auto(
    core: Core,
) -> None:
    engine = core.engine
    assert isinstance(engine, Engine)
    engine.providers = PRETEND_CUDA  # offered, as far as bgdesk can tell, but it will not load
    engine.device = "cuda"
    with pytest.raises(DeviceUnavailable, match="could not load model u2netp"):
        engine.remove_background(photo("coffee", (64, 64)), OutputOptions())
    engine.device = "auto"
    engine.remove_background(photo("coffee", (64, 64)), OutputOptions())
    used = engine.device_in_use()
    assert used.device is DEVICES["cpu"]
    assert "could not load" in used.reason and "on the CPU instead" in used.reason


@pytest.mark.slow
def test_a_session_that_fell_to_the_cpu_by_itself_is_caught(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ONNX Runtime whose provider is built in but whose libraries (CUDA, cuDNN) are missing
    makes the session on the CPU and only logs it: bgdesk looks at what the session got."""
    engine = core.engine
    assert isinstance(engine, Engine)
    real = ort.InferenceSession
    monkeypatch.setattr(
        ort,
        "InferenceSession",
        lambda path, options, **_: real(path, options, providers=["CPUExecutionProvider"]),
    )
    engine.providers = PRETEND_CUDA
    engine.device = "cuda"
    with pytest.raises(DeviceUnavailable, match="installed but did not load"):
        engine.remove_background(photo("coffee", (64, 64)), OutputOptions())
    engine.device = "auto"
    engine.remove_background(photo("coffee", (64, 64)), OutputOptions())
    assert "did not load" in engine.device_in_use().reason


@pytest.mark.slow
def test_provider_options_reach_the_session(core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = core.engine
    assert isinstance(engine, Engine)
    asked: list[dict[str, Any]] = []
    real = ort.InferenceSession

    def recording(path: str, options: ort.SessionOptions, **kwargs: Any) -> ort.InferenceSession:
        asked.append(kwargs)
        return real(path, options, providers=["CPUExecutionProvider"])

    monkeypatch.setattr(ort, "InferenceSession", recording)
    engine.providers = PRETEND_CUDA
    engine.device_index = 1
    engine.device = "auto"  # cuda is "offered": auto takes it
    engine.remove_background(photo("coffee", (64, 64)), OutputOptions())
    assert asked[0] == {
        "providers": ["CUDAExecutionProvider", "CPUExecutionProvider"],
        "provider_options": [{"device_id": "1"}, {}],
    }


class FailingOnTheGpu:
    """A session that loaded on a (pretend) GPU and fails when run, as a driver can."""

    def __init__(self, real: ort.InferenceSession) -> None:
        self.real = real

    def get_providers(self) -> list[str]:
        return PRETEND_CUDA

    def get_inputs(self) -> Any:
        return self.real.get_inputs()

    def get_outputs(self) -> Any:
        return self.real.get_outputs()

    def run(self, *args: Any) -> Any:
        raise RuntimeError("CUDA failure 700: an illegal memory access was encountered")


@pytest.mark.slow
@pytest.mark.parametrize("device", ["auto", "cuda"])
def test_a_provider_that_fails_running_a_model_falls_back_only_under_auto(
    core: Core, monkeypatch: pytest.MonkeyPatch, device: str
) -> None:
    engine = core.engine
    assert isinstance(engine, Engine)
    real = ort.InferenceSession

    def session(path: str, options: ort.SessionOptions, **kwargs: Any) -> Any:
        made = real(path, options, providers=["CPUExecutionProvider"])
        return FailingOnTheGpu(made) if "CUDAExecutionProvider" in kwargs["providers"] else made

    monkeypatch.setattr(ort, "InferenceSession", session)
    engine.providers = PRETEND_CUDA
    engine.device = device
    if device == "cuda":
        with pytest.raises(DeviceUnavailable, match="failed running model u2netp"):
            engine.remove_background(photo("coffee", (64, 64)), OutputOptions())
        return
    engine.remove_background(photo("coffee", (64, 64)), OutputOptions())
    used = engine.device_in_use()
    assert used.device is DEVICES["cpu"] and "illegal memory access" in used.reason
    engine.remove_background(photo("coffee", (64, 64)), OutputOptions())  # on the CPU now
