"""The memory estimate of a cutout: what the options can ask for is bounded, and the estimate
is never below what making the cutout really takes (measured in a fresh process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bgdesk.errors import ImageTooLarge
from bgdesk.inference.footprint import MIB, check_fits, footprint, output_size
from bgdesk.request.options import MAX_CANVAS, OutputOptions

BENCH = Path(__file__).resolve().parents[2] / "bench" / "footprint.py"
BUDGET = 2 << 30


def test_a_square_canvas_is_bounded_whatever_the_photo() -> None:
    assert output_size((30000, 1), OutputOptions(canvas="square")) == (MAX_CANVAS, MAX_CANVAS)
    # room for the subject at its own size and 8 % clear on each side
    assert output_size((640, 480), OutputOptions(canvas="square")) == (762, 762)
    assert output_size((640, 480), OutputOptions(canvas="300x200")) == (300, 200)
    assert output_size((640, 480), OutputOptions(canvas="square", mask_only=True)) == (640, 480)


def test_the_largest_canvas_fits_the_default_budget_but_not_as_webp() -> None:
    for fmt in ("png", "jpg", "avif"):
        canvas = OutputOptions(canvas="10000x10000", shadow=True, format=fmt)
        check_fits(footprint((4000, 3000), canvas), canvas, BUDGET)
    webp = OutputOptions(canvas="10000x10000", shadow=True, format="webp")
    with pytest.raises(ImageTooLarge, match=r"10000 x 10000 pixels as WEBP.*memory_budget_mb"):
        check_fits(footprint((200, 150), webp), webp, BUDGET)


def test_avif_is_encoded_in_bounded_memory_at_any_size() -> None:
    avif = OutputOptions(canvas="10000x10000", format="avif")
    png = OutputOptions(canvas="10000x10000")
    extra = footprint((200, 150), avif).pixels - footprint((200, 150), png).pixels
    assert extra <= 450 * MIB, "at most one whole 16 MP image or one tile in the encoder"


def test_a_larger_model_input_costs_more() -> None:
    small, large = (
        footprint((640, 480), OutputOptions(), 320),
        footprint((640, 480), OutputOptions(), 1024),
    )
    assert large.model > small.model and large.pixels == small.pixels


@pytest.mark.slow
@pytest.mark.parametrize("case", ["12mp-colour", "line-square", "canvas-avif", "canvas-jpg"])
def test_the_estimate_is_never_below_the_measured_peak(case: str, models_dir: Path) -> None:
    ran = subprocess.run(
        [sys.executable, str(BENCH), "--case", case], capture_output=True, text=True, check=True
    )
    row = json.loads(ran.stdout.strip().splitlines()[-1])
    assert row["estimate"] >= row["peak"], row
