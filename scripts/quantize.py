#!/usr/bin/env python3
"""Find and measure recipes for 8-bit copies of float models (static QDQ quantisation,
per-channel weights), and write the activation ranges a catalog recipe is made with.

    .venv/bin/python scripts/quantize.py ranges [--model u2netp-int8]
    .venv/bin/python scripts/quantize.py try OUT.onnx [--model u2netp]
        [--calibration minmax|entropy|percentile] [--keep-float first,sides,outconv]
        [--ops Conv,...] [--split N [--chunks 0,2]]

The calibration photos are scikit-image's bundled ones and their mirror images (never the
evaluation set), seen as the engine sees them. `ranges` measures them for the catalog entry
named (its source model, operator types and calibration) and writes
resources/quantization/<its ranges file>; `bgdesk models pull` then makes the copy from the
float model without photos (bgdesk/inference/quantize.py). `try` makes a copy to measure:
`--keep-float` leaves parts in float (the first convolution, the six side outputs with
their fusing, the convolution making the mask, or nodes by name), `--split` measures each
run of convolutions quantised alone. A copy's quality is measured like any model's, with
the file in a models folder of its own:

    BGDESK_MODELS_DIR=DIR .venv/bin/python bench/quality.py ../shared/eval-dev \
        --model u2netp --no-rembg
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
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
    create_calibrator,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process
from PIL import Image
from skimage import data

from bgdesk.inference.catalog import CATALOG
from bgdesk.inference.decode import Decoded
from bgdesk.inference.model_input import model_input, view_of
from bgdesk.inference.models import ModelStore
from bgdesk.inference.quantize import kept_in_float, levels_off, prepare, ranges_file
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


def prepared_copy(model: str, folder: Path) -> Path:
    """`model`'s file at the quantiser's opset, its shapes inferred, in `folder`."""
    prepared = folder / f"{model}.prepared.onnx"
    prepare(ModelStore.of(Paths.from_env()).path(model), prepared)
    quant_pre_process(str(prepared), str(prepared), skip_symbolic_shape=True)
    return prepared


def write_ranges(name: str) -> None:
    """Calibrate the catalog entry `name`'s source on the photos and write its ranges file."""
    recipe = CATALOG[name].quantization
    if recipe is None:
        raise SystemExit(f"{name} is not made by quantisation")
    with tempfile.TemporaryDirectory() as scratch:
        prepared = prepared_copy(recipe.source, Path(scratch))
        calibrator = create_calibrator(
            prepared,
            list(recipe.operators),
            augmented_model_path=str(Path(scratch) / "augmented.onnx"),
            calibrate_method=CalibrationMethod.MinMax,
            extra_options={"moving_average": True},
        )
        calibrator.collect_data(Photos(recipe.source, onnx.load(str(prepared)).graph.input[0].name))
        measured = calibrator.compute_data()
    ranges = {}
    for tensor in sorted(measured):
        low, high = measured[tensor].range_value
        ranges[tensor] = [float(np.min(low)), float(np.max(high))]
    target = ranges_file(recipe)
    target.parent.mkdir(parents=True, exist_ok=True)
    record = {"model": recipe.source, "photos": len(PHOTOS) * 2, "ranges": ranges}
    target.write_text(json.dumps(record, indent=1) + "\n")
    print(f"{len(ranges)} activation ranges of {recipe.source} written to {target}")


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


def try_recipe(args: argparse.Namespace) -> None:
    source = ModelStore.of(Paths.from_env()).path(args.model)
    with tempfile.TemporaryDirectory() as scratch:
        prepared = prepared_copy(args.model, Path(scratch))
        model = onnx.load(str(prepared))
        input_name = model.graph.input[0].name
        excluded = kept_in_float(model, set(filter(None, args.keep_float.split(","))))
        feeds = list(iter(Photos(args.model, input_name).get_next, None))
        tensors = [feed[input_name] for feed in feeds]
        if args.split:
            runs = chunks_of(model, args.split, excluded)
            if not args.chunks:  # how much each run alone costs in quality, and saves in time
                for index, run in enumerate(runs):
                    others = [name for other in runs if other is not run for name in other]
                    quantize(prepared, args.out, args, excluded + others, input_name)
                    print(
                        f"run {index} ({run[0]}..{run[-1]}, {len(run)} convolutions): "
                        f"{levels_off(source, args.out, tensors):.2f} levels off, "
                        f"{seconds_per_run(args.out, feeds[0]) * 1000:.1f} ms",
                        flush=True,
                    )
                return
            chosen = {int(index) for index in args.chunks.split(",")}
            excluded += [n for index, run in enumerate(runs) if index not in chosen for n in run]
        quantize(prepared, args.out, args, excluded, input_name)
    float_time = seconds_per_run(source, feeds[0])
    int8_time = seconds_per_run(args.out, feeds[0])
    print(
        f"{args.model} {args.calibration}, {len(excluded)} nodes kept in float\n"
        f"float {float_time * 1000:.1f} ms, 8-bit {int8_time * 1000:.1f} ms: "
        f"{float_time / int8_time:.2f}x; mask {levels_off(source, args.out, tensors):.2f} "
        f"levels off the float one's on the calibration photos; {args.out}"
    )


def main() -> None:
    recipe = CATALOG["u2netp-int8"].quantization
    assert recipe is not None
    keep_float, ops = ",".join(recipe.kept_float), ",".join(recipe.operators)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    ranges = commands.add_parser("ranges", help="write a catalog recipe's activation ranges")
    ranges.add_argument("--model", default="u2netp-int8", help="the catalog entry")
    trial = commands.add_parser("try", help="make an 8-bit copy and measure it")
    trial.add_argument("out", type=Path)
    trial.add_argument("--model", default=recipe.source)
    trial.add_argument("--calibration", choices=list(METHODS), default="minmax")
    trial.add_argument(
        "--keep-float",
        default=keep_float,
        help=f"first,sides,outconv and nodes by name ('' for none; default {keep_float})",
    )
    trial.add_argument(
        "--ops", default=ops, help=f"quantise only these operator types ('' for all; default {ops})"
    )
    trial.add_argument(
        "--split", type=int, default=0, help="cut the convolutions into this many runs"
    )
    trial.add_argument(
        "--chunks",
        default="",
        help="with --split: quantise only these runs (say 0,2); without: measure each run alone",
    )
    args = parser.parse_args()
    if args.command == "ranges":
        write_ranges(args.model)
    else:
        try_recipe(args)


if __name__ == "__main__":
    main()
