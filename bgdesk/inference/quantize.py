"""8-bit copies of float models, made on this machine from the catalog's recipe.

A recipe (`catalog.Quantization`) names the model it starts from, the operator types turned
to 8 bits, the parts left in float, and a file of activation ranges measured once on
calibration photos (`scripts/quantize.py` finds and measures recipes and writes that file).
Making a copy needs no photos: static QDQ quantisation, per-channel weights, each
activation's range taken from the file. The copy is then checked against its source on the
sample photo before it is installed.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import onnxruntime as ort
from PIL import Image

from bgdesk.errors import ModelUnavailable
from bgdesk.inference.catalog import ModelSpec, Quantization
from bgdesk.inference.decode import Decoded
from bgdesk.inference.download import file_md5
from bgdesk.inference.model_input import model_input, view_of
from bgdesk.paths import resource
from bgdesk.storage.files import atomic_writer

if TYPE_CHECKING:
    import onnx

OPSET = 13  # per-channel weights need DequantizeLinear's axis


def make(source: ModelSpec, source_path: Path, made: ModelSpec, target: Path) -> None:
    """Write `made` (an 8-bit copy of `source`, by `made.quantization`) to `target`; raises
    `ModelUnavailable`, leaving nothing behind, when this installation cannot make it or the
    copy strays from its source."""
    recipe = made.quantization
    assert recipe is not None and recipe.source == source.name
    if source.md5 is not None and file_md5(source_path) != source.md5:
        raise ModelUnavailable(
            f"{made.name} is made from {source.name}, whose file {source_path} is not the one "
            f"its ranges were measured on. Run `bgdesk models pull {source.name} --force`."
        )
    try:
        import onnx  # noqa: F401
        import onnxruntime.quantization  # noqa: F401
    except ImportError as exc:
        raise ModelUnavailable(
            f"Making {made.name} needs ONNX's model tools, which this installation lacks "
            f"({exc}). Install the onnx package, or use {source.name}."
        ) from exc
    sample = _sample_feed(source)
    with tempfile.TemporaryDirectory(prefix="bgdesk-quantize-") as scratch:
        written = Path(scratch) / made.file
        try:
            _quantize(source_path, Path(scratch) / "prepared.onnx", written, sample, recipe)
            off = levels_off(source_path, written, [sample])
        except Exception as exc:  # the quantiser's own errors are untyped
            raise ModelUnavailable(
                f"{made.name} could not be made from {source.name} with ONNX Runtime "
                f"{ort.__version__} ({exc}). Use {source.name}."
            ) from exc
        if off > recipe.tolerance:
            raise ModelUnavailable(
                f"The {made.name} made here strays {off:.1f} levels from {source.name} on the "
                f"sample photo (at most {recipe.tolerance:g} allowed), so it was not installed; "
                f"this ONNX Runtime ({ort.__version__}) quantises differently. Use {source.name}."
            )
        with atomic_writer(target) as out:
            out.write(written.read_bytes())


def _quantize(
    source_path: Path, prepared: Path, written: Path, sample: np.ndarray, recipe: Quantization
) -> None:
    """Write the 8-bit copy of the model at `source_path` that `recipe` describes to
    `written`, its activation ranges taken from the recipe, calibrated on `sample`."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    prepare(source_path, prepared)
    quant_pre_process(str(prepared), str(prepared), skip_symbolic_shape=True)
    model = onnx.load(str(prepared))
    quantize_static(
        str(prepared),
        str(written),
        _Once({model.graph.input[0].name: sample}),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
        nodes_to_exclude=kept_in_float(model, set(recipe.kept_float)),
        op_types_to_quantize=list(recipe.operators),
        extra_options={"TensorQuantOverrides": _overrides(model, recipe)},
    )


def prepare(source_path: Path, prepared: Path) -> None:
    """`source_path` at the opset per-channel quantisation needs, saved as `prepared`."""
    import onnx
    from onnx import version_converter

    onnx.save(version_converter.convert_version(onnx.load(str(source_path)), OPSET), str(prepared))


def kept_in_float(model: onnx.ModelProto, parts: set[str]) -> list[str]:
    """The names of the nodes `parts` names: `first` convolution, `outconv` (the one making
    the mask from the side outputs) and `sides` (the six side outputs' convolutions, the
    Resizes after them and the Concat joining them), found by following the graph back from
    the mask; any other part is a node's own name."""
    made_by: dict[str, onnx.NodeProto] = {o: node for node in model.graph.node for o in node.output}

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
    if "sides" in parts:
        fused = made_by[outconv.input[0]]
        chosen.append(fused.name)
        chosen += [conv_behind(tensor, chosen).name for tensor in fused.input]
    if "outconv" in parts:
        chosen.append(outconv.name)
    return chosen + sorted(parts - {"first", "sides", "outconv"})


def ranges_file(recipe: Quantization) -> Path:
    return resource(f"quantization/{recipe.ranges}")


def _overrides(model: onnx.ModelProto, recipe: Quantization) -> dict[str, list[dict[str, Any]]]:
    """The recipe's measured range for each activation of `model` (the quantiser's own
    calibration, on one photo, stands only for tensors the file does not know)."""
    ranges: dict[str, list[float]] = json.loads(ranges_file(recipe).read_text())["ranges"]
    present = {t for node in model.graph.node for t in node.output} | {
        i.name for i in model.graph.input
    }
    return {
        name: [{"rmin": np.float32(low), "rmax": np.float32(high)}]
        for name, (low, high) in ranges.items()
        if name in present
    }


def levels_off(float_path: Path, quantized_path: Path, tensors: list[np.ndarray]) -> float:
    """How far the masks of `quantized_path` are from `float_path`'s on the model inputs
    `tensors`, as the mean difference in levels of 255."""
    options = ort.SessionOptions()
    options.log_severity_level = 3
    masks = []
    for path in (float_path, quantized_path):
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        masks.append([session.run(None, {name: tensor})[0] for tensor in tensors])
    return float(np.mean([np.abs(a - b).mean() * 255 for a, b in zip(*masks, strict=True)]))


def _sample_feed(spec: ModelSpec) -> np.ndarray:
    with Image.open(resource("sample-photo.jpg")) as photo:
        view = view_of(Decoded(photo.convert("RGB"), None, None), spec.input_size)
    return model_input(view, spec)


class _Once:
    """The quantiser's calibration input: one feed (the sample photo), once."""

    def __init__(self, feed: dict[str, np.ndarray]) -> None:
        self._feeds = iter([feed])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._feeds, None)
