"""A model stored as float16 against the float32 original, on photos: whether an installer
could carry a model at half the size.

Each float32 weight becomes a float16 one feeding a Cast to float32, which ONNX Runtime folds
when it opens the session: the model computes in float32 as before, only its weights rounded.

    python bench/half.py EVAL_DIR [--model u2net]

Runs both through bgdesk's engine (mask only, the model's own resolution and the photo's) and
prints the largest difference of any mask pixel, in 1/255 steps, over every photo, the share
of pixels that differ at all, and the two files' sizes and mean seconds per photo.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

from bgdesk.inference.catalog import CATALOG
from bgdesk.inference.engine import Engine
from bgdesk.inference.models import ModelStore
from bgdesk.paths import Paths
from bgdesk.request.options import OutputOptions
from bgdesk.settings import Settings

SMALLEST = 64  # weights with fewer values stay float32: nothing to gain


def halve(model: onnx.ModelProto) -> onnx.ModelProto:
    graph = model.graph
    kept, casts = [], []
    for weight in graph.initializer:
        values = numpy_helper.to_array(weight)
        if weight.data_type != TensorProto.FLOAT or values.size < SMALLEST:
            kept.append(weight)
            continue
        half_name = f"{weight.name}__half"
        kept.append(numpy_helper.from_array(values.astype(np.float16), half_name))
        casts.append(helper.make_node("Cast", [half_name], [weight.name], to=TensorProto.FLOAT))
    widened = {node.output[0] for node in casts}
    inputs = [value for value in graph.input if value.name not in widened]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    del graph.input[:]
    graph.input.extend(inputs)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend([*casts, *nodes])
    onnx.checker.check_model(model)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("eval_dir", type=Path)
    parser.add_argument("--model", default="u2net")
    args = parser.parse_args()
    spec = CATALOG[args.model]
    original = ModelStore.of(Paths.from_env()).require(args.model)
    folder = Path(tempfile.mkdtemp(prefix="bgdesk-half-"))
    onnx.save(halve(onnx.load(str(original))), str(folder / spec.file))
    limits = Settings().input_limits
    engines = {
        "float32": Engine(ModelStore(original.parent), limits, default_model=args.model),
        "float16": Engine(ModelStore(folder), limits, default_model=args.model),
    }
    manifest = json.loads((args.eval_dir / "manifest.json").read_text())
    largest, differing, pixels = 0, 0, 0
    seconds: dict[str, list[float]] = {name: [] for name in engines}
    for row in manifest:
        data = (args.eval_dir / row["image"]).read_bytes()
        masks = {}
        for name, engine in engines.items():
            start = time.perf_counter()
            cutout = engine.remove_background(data, OutputOptions(mask_only=True))
            seconds[name].append(time.perf_counter() - start)
            masks[name] = np.asarray(Image.open(io.BytesIO(cutout.data)), dtype=np.int16)
        difference = np.abs(masks["float32"] - masks["float16"])
        largest = max(largest, int(difference.max()))
        differing += int((difference > 0).sum())
        pixels += difference.size
    print(f"{len(manifest)} photos, model {args.model}")
    print(f"largest mask difference: {largest}/255; pixels differing: {differing / pixels:.4%}")
    for name, path in (("float32", original), ("float16", folder / spec.file)):
        mib = path.stat().st_size / (1 << 20)
        print(f"{name}: {mib:.0f} MiB, {statistics.mean(seconds[name]):.3f} s/photo")


if __name__ == "__main__":
    main()
