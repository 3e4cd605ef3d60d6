"""A doubtful cutout cut out again by a stronger model: the new mask, model and warning are
the job's, the person's marks go (they were laid on the old mask), the background stays, and
nothing is charged. The stronger model is a tiny stand-in for u2net, run for real."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bgdesk.core.app import Core
from bgdesk.core.job_records import edits_of, marks_of, rendered_options
from bgdesk.errors import Conflict
from bgdesk.inference.selection import Click
from bgdesk.paths import Paths
from bgdesk.request.options import OutputOptions
from tests.conftest import photo
from tests.core.test_edits import finished
from tests.tiny_models import store_with_stand_in

pytestmark = pytest.mark.slow  # the real model


@pytest.fixture
def home(home: Paths, tmp_path: Path, models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    """A home whose model store also holds a stand-in for u2net."""
    monkeypatch.setenv("BGDESK_MODELS_DIR", str(store_with_stand_in(tmp_path / "m", models_dir)))
    return Paths.from_env()


def test_a_doubtful_cutout_is_cut_out_again_by_the_stronger_model(
    core: Core, tmp_path: Path
) -> None:
    lawn = tmp_path / "grass.jpg"
    lawn.write_bytes(photo("grass", (320, 240)))
    job = finished(core, lawn, OutputOptions(quality="fast"))
    assert job.model == "u2netp" and job.warning, "u2netp is unsure of a lawn"
    assert core.engine.stronger_model(job.model) == "u2net"
    core.cutouts.edit(job.public_id, [Click(160, 120, keep=True)], {"bg_color": (0, 0, 255)})
    balance = core.ledger.balance(core.accounts.owner())
    mask = core.cutouts.model_mask(job.public_id)

    again = core.cutouts.recut(job.public_id)

    assert again.model == "u2net"
    assert core.cutouts.model_mask(job.public_id) != mask
    assert marks_of(again) == () and edits_of(again) == {"background": {"bg_color": [0, 0, 255]}}
    options = replace(rendered_options(again), model="u2net", quality=None)
    made = core.engine.remove_background(lawn.read_bytes(), options)
    assert Path(again.output_path).read_bytes() == made.data, "the stronger model's cutout"
    assert (again.confidence, again.warning) == (made.confidence, made.warning)
    assert core.ledger.balance(core.accounts.owner()) == balance, "nothing charged"
    with pytest.raises(Conflict, match="No model that does better than u2net"):
        core.cutouts.recut(job.public_id)
