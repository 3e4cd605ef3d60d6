"""Every model family's path through the engine: input size, normalisation and output (a
sigmoid for BiRefNet), each run with a tiny ONNX model of the family's shapes built here,
since the real files are hundreds of megabytes.

The tiny model passes on the normalised red channel through a ReLU (so where the mean is
subtracted shows in the mask), and for a family whose model ends in logits it scales that to
a ramp of logits. A red ramp across the picture then shows, pixel by pixel, that the engine fed
and read the model as its family needs."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bgdesk.inference.catalog import CATALOG, ModelSpec
from bgdesk.inference.decode import Limits
from bgdesk.inference.engine import Engine
from bgdesk.inference.models import ModelStore
from bgdesk.request.options import OutputOptions
from tests.tiny_models import LOGIT_SCALE, LOGIT_SHIFT, tiny_model

FAMILIES = ["u2net", "isnet-general-use", "birefnet-general", "bria-rmbg"]


def expected_row(spec: ModelSpec, red: np.ndarray) -> np.ndarray:
    """The mask the family's pre- and post-processing give for a row of red values."""
    value = np.maximum((red / red.max() - spec.mean[0]) / spec.std[0], 0.0)
    if spec.sigmoid:
        value = 1.0 / (1.0 + np.exp(-(value * LOGIT_SCALE - LOGIT_SHIFT)))
    stretched = (value - value.min()) / (value.max() - value.min())
    low, high = spec.levels
    levelled = np.clip((stretched - low) / (high - low), 0, 1)
    expected: np.ndarray = np.floor(levelled * 255 + 0.5)
    return expected


@pytest.mark.parametrize("name", FAMILIES)
def test_each_family_is_fed_and_read_as_it_needs(tmp_path: Path, name: str) -> None:
    spec = CATALOG[name]
    (tmp_path / spec.file).write_bytes(tiny_model(spec))
    side = spec.input_size
    red = np.tile(np.linspace(0, 255, side).round(), (side, 1)).astype(np.uint8)
    picture = np.zeros((side, side, 3), np.uint8)
    picture[..., 0] = red
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, "PNG")
    engine = Engine(ModelStore(tmp_path), Limits(64 << 20, 64), default_model=name)
    cutout = engine.remove_background(buffer.getvalue(), OutputOptions(mask_only=True))
    mask = np.asarray(Image.open(io.BytesIO(cutout.data)))
    assert mask.shape == (side, side) and cutout.model == name
    row = mask[side // 2].astype(np.float64)
    assert np.abs(row - expected_row(spec, red[0].astype(np.float64))).max() <= 2


def test_a_sigmoid_family_read_without_its_sigmoid_would_show(tmp_path: Path) -> None:
    """The check above can tell: the same logits read as probabilities give another mask."""
    spec = CATALOG["birefnet-general"]
    red = np.linspace(0, 255, spec.input_size).round()
    as_logits = expected_row(spec, red)
    unread = expected_row(ModelSpec(**{**spec.__dict__, "sigmoid": False}), red)
    assert np.abs(as_logits - unread).max() > 20
