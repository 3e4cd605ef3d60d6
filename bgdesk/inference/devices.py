"""Where the models run: the CPU or an accelerator ONNX Runtime can drive, chosen by the
`device` setting. A device asked for by name runs there or not at all — never on the CPU
in silence; `auto` takes the best this ONNX Runtime offers and says why."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

import onnxruntime as ort

from bgdesk.errors import DeviceUnavailable

AUTO = "auto"


@dataclass(frozen=True)
class Device:
    """One place a model can run, as ONNX Runtime names it, and how a person gets it."""

    name: str  # the setting's value
    provider: str  # ONNX Runtime's execution provider
    label: str
    install: str
    index_option: str | None = None  # the provider option that picks one of several devices
    systems: tuple[str, ...] = ()  # the `sys.platform`s it exists on; none: every one

    def options(self, index: int) -> dict[str, str]:
        """The provider options for the device numbered `index` (0: the first)."""
        return {self.index_option: str(index)} if self.index_option else {}


DEVICES = {
    device.name: device
    for device in (
        Device(
            "cuda",
            "CUDAExecutionProvider",
            "NVIDIA GPU (CUDA)",
            "install bgdesk's cuda extra (`pip install 'bgdesk[cuda]'`, which brings "
            "onnxruntime-gpu; remove the plain onnxruntime package) and NVIDIA's CUDA 12 and "
            "cuDNN 9 libraries",
            "device_id",
            ("linux", "win32"),
        ),
        Device(
            "directml",
            "DmlExecutionProvider",
            "GPU through DirectML (Windows)",
            "install bgdesk's directml extra (`pip install 'bgdesk[directml]'`, which brings "
            "onnxruntime-directml; remove the plain onnxruntime package), on Windows 10 or later",
            "device_id",
            ("win32",),
        ),
        Device(
            "coreml",
            "CoreMLExecutionProvider",
            "Apple GPU and Neural Engine (Core ML)",
            "use bgdesk on macOS, whose onnxruntime package includes Core ML",
            systems=("darwin",),
        ),
        Device(
            "openvino",
            "OpenVINOExecutionProvider",
            "Intel CPU, GPU or NPU (OpenVINO)",
            "install bgdesk's openvino extra (`pip install 'bgdesk[openvino]'`, which brings "
            "onnxruntime-openvino; remove the plain onnxruntime package)",
            systems=("linux", "win32"),
        ),
        Device("cpu", "CPUExecutionProvider", "CPU", "nothing: every onnxruntime has it"),
    )
}
CPU = DEVICES["cpu"]


def devices_here() -> list[Device]:
    """The devices that exist on this kind of system, to offer in the window."""
    return [d for d in DEVICES.values() if not d.systems or sys.platform in d.systems]


AUTO_ORDER = ("cuda", "directml", "coreml", "openvino")  # the first one offered wins
CHOICES = (AUTO, *DEVICES)


@dataclass(frozen=True)
class DeviceChoice:
    """The device models run on, and why it is that one."""

    device: Device
    reason: str

    @property
    def text(self) -> str:
        return f"{self.device.label} ({self.reason})"


def offered() -> list[str]:
    """The execution providers the installed ONNX Runtime has."""
    return list(ort.get_available_providers())


def runtime_text(providers: Sequence[str]) -> str:
    return f"ONNX Runtime {ort.__version__} with {', '.join(providers) or 'no providers'}"


def choose(wanted: str, providers: Sequence[str]) -> DeviceChoice:
    """The device the setting `wanted` means here, where ONNX Runtime has `providers`."""
    if wanted == AUTO:
        for name in AUTO_ORDER:
            device = DEVICES[name]
            if device.provider in providers:
                return DeviceChoice(device, f"auto: the accelerator {runtime_text(providers)} has")
        return DeviceChoice(CPU, f"auto: no accelerator in {runtime_text(providers)}")
    named = DEVICES.get(wanted)
    if named is None:
        raise DeviceUnavailable(f"Unknown device {wanted!r}: use {', '.join(CHOICES)}.")
    if named.provider not in providers:
        raise DeviceUnavailable(
            f"The device {named.label} was asked for (device={named.name}), but "
            f"{runtime_text(providers)} has no {named.provider}. To use it, "
            f"{named.install}; or set device to auto or cpu."
        )
    return DeviceChoice(named, f"device={named.name} asked for")


def planned_text(wanted: str, providers: Sequence[str]) -> str:
    """Where models will run, and why, or why they cannot."""
    try:
        return choose(wanted, providers).text
    except DeviceUnavailable as exc:
        return f"unavailable: {exc.message}"


def not_loaded(choice: DeviceChoice, providers_used: Sequence[str]) -> str | None:
    """Why a session meant for `choice` is not running there (ONNX Runtime drops to the CPU
    when a provider's libraries fail to load), or None when it is."""
    if providers_used and providers_used[0] == choice.device.provider:
        return None
    return (
        f"{choice.device.provider} is installed but did not load (its libraries are missing "
        f"or do not match): to use the {choice.device.label}, {choice.device.install}"
    )
