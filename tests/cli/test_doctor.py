"""The device and the installation from the command line: `doctor`, `models list`, and a
server that will not start on a device it cannot use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bgdesk.paths import Paths
from tests.cli.test_cli import bgdesk
from tests.processes import free_port

pytestmark = pytest.mark.slow  # real processes over the real model


def test_doctor_says_where_models_run_and_why(home: Paths, models_dir: Path) -> None:
    ran = bgdesk("doctor", "--json")
    assert ran.returncode == 0, ran.stderr
    found = json.loads(ran.stdout)
    assert found["device"] == "CPU" and found["device_reason"].startswith("auto: no accelerator")
    assert found["device_setting"] == "auto" and "u2netp" in found["installed_models"]
    text = bgdesk("doctor").stdout
    assert "Device            CPU" in text and "ONNX Runtime" in text
    assert "Device: CPU (auto: no accelerator" in bgdesk("models", "list").stdout


def test_a_device_named_but_missing_fails_loudly(home: Paths, models_dir: Path) -> None:
    ran = bgdesk("--device", "cuda", "doctor")
    assert ran.returncode == 1 and "NOT AVAILABLE" in ran.stdout and "bgdesk[cuda]" in ran.stdout
    served = bgdesk("--device", "cuda", "serve", "--port", str(free_port()))
    assert served.returncode == 1, "the server refuses to start"
    assert "CUDAExecutionProvider" in served.stderr and "bgdesk API on" not in served.stdout
    assert "unavailable: " in bgdesk("--device", "openvino", "models", "list").stdout
