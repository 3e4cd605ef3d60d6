"""How long each installed model takes for one photo on this machine: measured once, on the
model alone, and remembered beside bgdesk's other data."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from bgdesk.inference.models import ModelStore
from bgdesk.storage.files import write_atomic

RUNS = 3


class ModelSpeeds:
    """Seconds per photo for each measured model, kept in one JSON file."""

    def __init__(self, file: Path) -> None:
        self.file = file

    def _all(self) -> dict[str, float]:
        try:
            loaded = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): float(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}

    def get(self, model: str) -> float | None:
        return self._all().get(model)

    def measure(self, store: ModelStore, model: str) -> float:
        """Run `model` on a blank input a few times; remember and return the median."""
        spec = store.spec(model)
        options = ort.SessionOptions()
        options.log_severity_level = 3
        session = ort.InferenceSession(
            str(store.require(model)), options, providers=["CPUExecutionProvider"]
        )
        feed = {
            session.get_inputs()[0].name: np.zeros(
                (1, 3, spec.input_size, spec.input_size), dtype=np.float32
            )
        }
        session.run(None, feed)  # the first run sets up; it is not what a photo costs
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            session.run(None, feed)
            times.append(time.perf_counter() - started)
        seconds = statistics.median(times)
        write_atomic(self.file, json.dumps(self._all() | {model: seconds}, indent=2).encode())
        return seconds


def speed_text(seconds: float | None) -> str:
    if seconds is None:
        return "speed measured once installed"
    if seconds < 1:
        return f"about {seconds * 1000:.0f} ms a photo here"
    return f"about {seconds:.1f} s a photo here"
