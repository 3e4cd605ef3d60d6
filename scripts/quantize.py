#!/usr/bin/env python3
"""Make an 8-bit copy of a float model (static QDQ quantisation, per-channel weights) and time
it against the float one in the same run:

    .venv/bin/python scripts/quantize.py OUT.onnx [--model u2netp]
        [--calibration minmax|entropy|percentile] [--keep-float first,sides,outconv]

The calibration photos are scikit-image's bundled ones (never the evaluation set), seen as
the engine sees them. `--keep-float` leaves the layers most likely to suffer from 8 bits in
float: the first convolution (raw pixels), the six side outputs and the fusing convolution
(the mask itself). Its quality is then measured like any model, with the quantised file in
a models folder of its own:

    BGDESK_MODELS_DIR=DIR .venv/bin/python bench/quality.py ../shared/eval-dev \
        --model u2netp --no-rembg
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process
from PIL import Image
from skimage import data

from bgdesk.inference.decode import Decoded
from bgdesk.inference.engine import model_input, view_of
from bgdesk.inference.models import ModelStore
from bgdesk.paths import Paths

PHOTOS = (  # scikit-image's bundled photos that need no download
    "astronaut",
    "coffee",
    "chelsea",
    "rocket",
    "hubble_deep_field",
    "camera",
    "cat",
    "immunohistochemistry",
    "retina",
    "coins",
    "colorwheel",
    "moon",
    "brick",
    "grass",
)
# u2netp's recipe: 1.65-1.75x the float model's speed here (AVX-512 VNNI), MAE 0.0459 against
# 0.0451 and 18.5 % failed against 18.7 % on the 509 dev pairs. Quantising Concat breaks it
# (the mask ~109 levels off), as does quantising Conv_787, a decoder convolution (~33 levels).
KEEP_FLOAT = "first,sides,outconv,Conv_787"
OPS = "Conv,MaxPool,Add,Resize,Relu"
METHODS = {
    "minmax": CalibrationMethod.MinMax,
    "entropy": CalibrationMethod.Entropy,
    "percentile": CalibrationMethod.Percentile,
}


class Photos(CalibrationDataReader):
    """scikit-image's photos, and their mirror images, as the model's input."""

    def __init__(self, model: str, input_name: str) -> None:
        spec = ModelStore.of(Paths.from_env()).spec(model)
        tensors = []
        for name in PHOTOS:
            picture = Image.fromarray(np.asarray(getattr(data, name)())).convert("RGB")
            for shown in (picture, picture.transpose(Image.Transpose.FLIP_LEFT_RIGHT)):
                view = view_of(Decoded(shown, None, None), spec.input_size)
                tensors.append({input_name: model_input(view, spec)})
        self._feeds = iter(tensors)

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._feeds, None)


def kept_in_float(model: onnx.ModelProto, parts: set[str]) -> list[str]:
    """The names of the nodes `parts` names: `first` convolution, `outconv` (the one making
    the mask from the side outputs) and `sides` (the six side outputs' convolutions, the
    Resizes after them and the Concat joining them), found by following the graph back from
    the mask; any other part is a node's own name."""
    made_by = {output: node for node in model.graph.node for output in node.output}

    def conv_behind(tensor: str, passed: list[str] | None = None) -> onnx.NodeProto:
        node = made_by[tensor]
        while node.op_type != "Conv":  # through Sigmoid, Resize and the like
            if passed is not None:
                passed.append(node.name)
            node = made_by[node.input[0]]
        return node

    outconv = conv_behind(model.graph.output[0].name)
    convs = [node for node in model.graph.node if node.op_type == "Conv"]
    chosen = []
    if "first" in parts:
        chosen.append(convs[0].name)
    if "sides" in parts:  # with the Concat fusing them and the Resizes on the way to it
        fused = made_by[outconv.input[0]]
        chosen.append(fused.name)
        chosen += [conv_behind(tensor, chosen).name for tensor in fused.input]
    if "outconv" in parts:
        chosen.append(outconv.name)
    return chosen + sorted(parts - {"first", "sides", "outconv"})  # nodes by name


def seconds_per_run(path: Path, feed: dict[str, np.ndarray], rounds: int = 30) -> float:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    output = session.get_outputs()[0].name
    for _ in range(3):
        session.run([output], feed)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        session.run([output], feed)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def mask_difference(float_path: Path, int8_path: Path, feeds: list[dict[str, np.ndarray]]) -> float:
    """How far the 8-bit model's mask is from the float one's, in levels of 255, on `feeds`."""
    options = ort.SessionOptions()
    options.log_severity_level = 3
    masks = []
    for path in (float_path, int8_path):
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        output = session.get_outputs()[0].name
        masks.append([session.run([output], feed)[0] for feed in feeds])
    return float(np.mean([np.abs(a - b).mean() * 255 for a, b in zip(*masks, strict=True)]))


def quantize(
    prepared: Path, out: Path, args: argparse.Namespace, excluded: list[str], input_name: str
) -> None:
    quantize_static(
        str(prepared),
        str(out),
        Photos(args.model, input_name),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=METHODS[args.calibration],
        nodes_to_exclude=excluded,
        op_types_to_quantize=args.ops.split(",") if args.ops else None,
        extra_options={"CalibMovingAverage": True} if args.calibration == "minmax" else {},
    )


def chunks_of(model: onnx.ModelProto, count: int, kept: list[str]) -> list[list[str]]:
    """The convolutions not `kept` in float, in graph order, in `count` runs of about equal
    length (U-2-Net's stages follow one another)."""
    convs = [n.name for n in model.graph.node if n.op_type == "Conv" and n.name not in kept]
    size = -(-len(convs) // count)
    return [convs[start : start + size] for start in range(0, len(convs), size)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--model", default="u2netp")
    parser.add_argument("--calibration", choices=list(METHODS), default="minmax")
    parser.add_argument(
        "--keep-float",
        default=KEEP_FLOAT,
        help=f"first,sides,outconv and nodes by name ('' for none; default {KEEP_FLOAT})",
    )
    parser.add_argument(
        "--ops",
        default=OPS,
        help=f"quantise only these operator types ('' for all; default {OPS})",
    )
    parser.add_argument(
        "--split", type=int, default=0, help="cut the convolutions into this many runs"
    )
    parser.add_argument(
        "--chunks",
        default="",
        help="with --split: quantise only these runs (say 0,2); without: measure each run alone",
    )
    args = parser.parse_args()
    source = ModelStore.of(Paths.from_env()).path(args.model)
    prepared = args.out.with_suffix(".prepared.onnx")
    # Per-channel weights need opset 13 (DequantizeLinear's axis); u2net's files are 11.
    onnx.save(onnx.version_converter.convert_version(onnx.load(str(source)), 13), str(prepared))
    quant_pre_process(str(prepared), str(prepared), skip_symbolic_shape=True)
    model = onnx.load(str(prepared))
    input_name = model.graph.input[0].name
    excluded = kept_in_float(model, set(filter(None, args.keep_float.split(","))))
    reader = Photos(args.model, input_name)
    feeds = [feed for feed in iter(reader.get_next, None)]
    if args.split:
        runs = chunks_of(model, args.split, excluded)
        if not args.chunks:  # how much each run alone costs in quality, and saves in time
            for index, run in enumerate(runs):
                others = [name for other in runs if other is not run for name in other]
                quantize(prepared, args.out, args, excluded + others, input_name)
                print(
                    f"run {index} ({run[0]}..{run[-1]}, {len(run)} convolutions): "
                    f"{mask_difference(source, args.out, feeds):.2f} levels off, "
                    f"{seconds_per_run(args.out, feeds[0]) * 1000:.1f} ms",
                    flush=True,
                )
            prepared.unlink()
            return
        chosen = {int(index) for index in args.chunks.split(",")}
        excluded += [name for index, run in enumerate(runs) if index not in chosen for name in run]
    quantize(prepared, args.out, args, excluded, input_name)
    prepared.unlink()
    float_time = seconds_per_run(source, feeds[0])
    int8_time = seconds_per_run(args.out, feeds[0])
    print(
        f"{args.model} {args.calibration}, {len(excluded)} nodes kept in float\n"
        f"float {float_time * 1000:.1f} ms, 8-bit {int8_time * 1000:.1f} ms: "
        f"{float_time / int8_time:.2f}x; mask {mask_difference(source, args.out, feeds):.2f} "
        f"levels off the float one's on the calibration photos; {args.out}"
    )


if __name__ == "__main__":
    main()
