"""u2netp-int8, made on this machine from u2netp by the catalog's recipe: its cutouts stay
those of the float model, and a copy that cannot be made right is never installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import pytest

from bgdesk.errors import ModelUnavailable
from bgdesk.inference.catalog import CATALOG
from bgdesk.inference.decode import Limits
from bgdesk.inference.engine import Engine
from bgdesk.inference.models import ModelStore
from bgdesk.request.options import OutputOptions
from tests.conftest import decode, photo

pytestmark = pytest.mark.slow  # makes the copy from the real model
MADE = "u2netp-int8"
FACE = (slice(100, 180), slice(180, 260))  # rows, columns of astronaut's face
SKY = (slice(0, 60), slice(430, 512))


def with_u2netp(models_dir: Path, folder: Path) -> None:
    """Put a copy of the test session's u2netp in `folder`."""
    shutil.copy(models_dir / CATALOG["u2netp"].file, folder / CATALOG["u2netp"].file)


@pytest.fixture(scope="module")
def store(models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> ModelStore:
    """A store holding u2netp, where u2netp-int8 is made."""
    folder = tmp_path_factory.mktemp("models")
    with_u2netp(models_dir, folder)
    store = ModelStore(folder)
    store.pull(MADE)
    return store


def test_the_copy_is_eight_bit_and_checked_as_made_here(store: ModelStore) -> None:
    model = onnx.load(str(store.require(MADE)))
    kinds = {node.op_type for node in model.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= kinds
    weights = [i for i in model.graph.initializer if i.data_type == onnx.TensorProto.INT8]
    assert len(weights) > 100, "the convolutions' weights are 8-bit"
    assert store.require(MADE).stat().st_size < store.require("u2netp").stat().st_size / 2
    assert store.verify() == {"u2netp": "ok", MADE: "made here"}


def test_its_cutouts_are_the_float_models_within_a_few_levels(store: ModelStore) -> None:
    engine = Engine(store, Limits(64 << 20, 64))
    alphas = {}
    for model in ("u2netp", MADE):
        cutout = engine.remove_background(photo("astronaut"), OutputOptions(model=model))
        assert cutout.model == model
        alphas[model] = np.asarray(decode(cutout.data))[..., 3].astype(int)
    made = alphas[MADE]
    assert made[FACE].mean() > 240 and made[SKY].mean() < 10
    assert np.abs(made - alphas["u2netp"]).mean() < 3


def test_a_copy_that_strays_from_its_source_is_not_installed(
    models_dir: Path, tmp_path: Path
) -> None:
    recipe = CATALOG[MADE].quantization
    assert recipe is not None
    strict = replace(CATALOG[MADE], quantization=replace(recipe, tolerance=0.0))
    with_u2netp(models_dir, tmp_path)
    store = ModelStore(tmp_path, catalog={"u2netp": CATALOG["u2netp"], MADE: strict})
    with pytest.raises(ModelUnavailable, match=r"strays .* levels from u2netp"):
        store.pull(MADE)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["u2netp.onnx"]


def test_a_source_file_other_than_the_measured_one_is_refused(tmp_path: Path) -> None:
    (tmp_path / "u2netp.onnx").write_bytes(b"not the model the ranges were measured on")
    with pytest.raises(ModelUnavailable, match="pull u2netp --force"):
        ModelStore(tmp_path).pull(MADE)
    assert not (tmp_path / CATALOG[MADE].file).exists()


def test_models_pull_makes_it_and_the_cli_cuts_out_with_it(
    models_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    with_u2netp(models_dir, folder)
    env = {**os.environ, "BGDESK_HOME": str(tmp_path / "home"), "BGDESK_MODELS_DIR": str(folder)}
    bgdesk = [sys.executable, "-m", "bgdesk"]
    pulled = subprocess.run([*bgdesk, "models", "pull", MADE], env=env, capture_output=True)
    assert pulled.returncode == 0, pulled.stderr
    assert b"u2netp-int8 is installed" in pulled.stdout
    (tmp_path / "astronaut.jpg").write_bytes(photo("astronaut"))
    cut = subprocess.run(
        [*bgdesk, "remove", str(tmp_path / "astronaut.jpg"), "--model", MADE, "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert cut.returncode == 0, cut.stderr
    [record] = json.loads(cut.stdout)
    assert record["model"] == MADE
    alpha = np.asarray(decode(Path(record["output"]).read_bytes()))[..., 3]
    assert alpha[FACE].mean() > 240 and alpha[SKY].mean() < 10
