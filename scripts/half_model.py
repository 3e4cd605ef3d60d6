#!/usr/bin/env python3
"""Store a model's weights as float16, widened back to float32 as ONNX Runtime loads it.

    python scripts/half_model.py SOURCE.onnx TARGET.onnx

Each float32 weight becomes a float16 one feeding a Cast to float32. ONNX Runtime folds the
casts when it opens the session, so the model computes in float32 exactly as before, from a
file half the size; only the weights are rounded. The installer carries models this way
(`bgdesk.spec`); `bench/half.py` measures what the rounding changes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

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
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    onnx.save(halve(onnx.load(str(source))), str(target))
    print(f"{source.name}: {source.stat().st_size >> 20} MiB -> {target.stat().st_size >> 20} MiB")


if __name__ == "__main__":
    main()
