"""Tiny ONNX models with a real model's input and output shapes, built in a test: each
passes on the normalised red channel through a ReLU, and for a family whose model ends in
logits scales that to a ramp of logits."""

from __future__ import annotations

from pathlib import Path

import onnx
from onnx import TensorProto, helper

from bgdesk.inference.catalog import CATALOG, DEFAULT_MODEL, ModelSpec

LOGIT_SCALE, LOGIT_SHIFT = 8.0, 4.0


def tiny_model(spec: ModelSpec) -> bytes:
    side = spec.input_size
    nodes = [
        helper.make_node("Slice", ["input", "start", "end", "axis"], ["red"]),
        helper.make_node("Relu", ["red"], ["kept"]),
    ]
    constants = [
        helper.make_tensor("start", TensorProto.INT64, [1], [0]),
        helper.make_tensor("end", TensorProto.INT64, [1], [1]),
        helper.make_tensor("axis", TensorProto.INT64, [1], [1]),
    ]
    if spec.sigmoid:
        nodes += [
            helper.make_node("Mul", ["kept", "scale"], ["scaled"]),
            helper.make_node("Sub", ["scaled", "shift"], ["output"]),
        ]
        constants += [
            helper.make_tensor("scale", TensorProto.FLOAT, [], [LOGIT_SCALE]),
            helper.make_tensor("shift", TensorProto.FLOAT, [], [LOGIT_SHIFT]),
        ]
    else:
        nodes.append(helper.make_node("Identity", ["kept"], ["output"]))
    graph = helper.make_graph(
        nodes,
        spec.name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, side, side])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, side, side])],
        constants,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    serialized: bytes = model.SerializeToString()
    return serialized


def store_with_stand_in(folder: Path, models_dir: Path, stand_in: str = "u2net") -> Path:
    """`folder` made a model store holding the real default model (linked from
    `models_dir`) and a tiny model in place of `stand_in`, so a test can have a second
    model installed without downloading it."""
    folder.mkdir(parents=True, exist_ok=True)
    shipped = CATALOG[DEFAULT_MODEL].file
    (folder / shipped).symlink_to(models_dir / shipped)
    (folder / CATALOG[stand_in].file).write_bytes(tiny_model(CATALOG[stand_in]))
    return folder
