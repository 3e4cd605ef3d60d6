"""scripts/quantize.py still makes an 8-bit u2netp whose mask stays close to the float one's
(the recipe measured on the dev set: MAE 0.0459 against 0.0451), with the installed ONNX
Runtime's quantiser."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import onnx
import pytest

from bgdesk.paths import Paths

pytestmark = pytest.mark.slow  # calibrates on the real model

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "quantize.py"


def test_the_recipe_keeps_the_mask_and_quantises_the_rest(
    home: Paths, models_dir: Path, tmp_path: Path
) -> None:
    """`home` points the script at the test's model store."""
    out = tmp_path / "u2netp.onnx"
    ran = subprocess.run(
        [sys.executable, str(SCRIPT), "try", str(out)], capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    levels_off = float(ran.stdout.split("mask ")[1].split(" levels")[0])
    assert levels_off < 5, ran.stdout
    model = onnx.load(str(out))
    kinds = {node.op_type for node in model.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= kinds
    weights = [i for i in model.graph.initializer if i.data_type == onnx.TensorProto.INT8]
    assert len(weights) > 100, "the convolutions' weights are 8-bit"
