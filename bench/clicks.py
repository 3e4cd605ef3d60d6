"""Clicks to fix a cutout: the standard protocol of interactive segmentation (as in RITM and
f-BRS), starting from bgdesk's own automatic cutout.

    python bench/clicks.py EVAL_DIR [--model M] [--box] [--json] [--limit N] [--megapixels MP]
                           [--without PART ...]

Click 0 is the automatic cutout. Each next click goes to the point deepest inside the current
error (the largest distance to its edge over the missed and the extra pixels): a "keep" click
where the subject was missed, a "remove" click where something was kept that is not the
subject; up to 20 clicks. GrabCut's grey band is ignored for both the clicks and the IoU; soft
alpha is taken at 0.5. Printed, overall and per group (the manifest's groups and the photos'
sources): NoC@85 and NoC@90 (clicks to reach IoU 0.85 / 0.90, 20 when never), the share of
failed cutouts (IoU < 0.7) after 0 to 3 clicks, with `--box` the failed share after a box
alone (the true mask's bounding box grown by 5 %), and milliseconds per click. bgdesk starts
from its own cutout, not from nothing as the published click models do: an advantage to keep
in mind when comparing. `--megapixels` scales every photo (and its mask) up to that size first,
to time clicks on large photos. `--without` measures the tool with a part of it left out
(what each part buys): `edges` (a click reaches as far in every direction), `band` (its region
stops short of the edges), `enclosed` (what its region closes in stays), `snap` (the cutout's
edge near a click does not move to where the colours change), `look` (a box only clears what
is outside it). With `--json` the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from scipy.ndimage import distance_transform_edt

from bgdesk.inference import reach, selection
from bgdesk.inference.engine import Engine
from bgdesk.inference.models import ModelStore
from bgdesk.inference.selection import Click, PhotoSelection, SubjectBox
from bgdesk.paths import Paths
from bgdesk.request.options import OutputOptions
from bgdesk.request.presets import PRESETS
from bgdesk.settings import Settings

MAX_CLICKS = 20
FAILED_IOU = 0.7
GOALS = (0.85, 0.90)
DONT_CARE = 128  # GrabCut's unlabelled band
BOX_GROWTH = 0.05


@dataclass
class PairRun:
    name: str
    groups: tuple[str, ...]
    ious: list[float] = field(default_factory=list)  # after 0, 1, ... clicks
    box_iou: float | None = None
    click_ms: list[float] = field(default_factory=list)


def iou(kept: np.ndarray, truth: np.ndarray, care: np.ndarray) -> float:
    predicted, wanted = kept & care, truth & care
    union = int((predicted | wanted).sum())
    return float((predicted & wanted).sum() / union) if union else 1.0


def next_click(kept: np.ndarray, truth: np.ndarray, care: np.ndarray) -> Click | None:
    """The protocol's next click: at the point deepest inside the error; None when none."""
    missed = truth & ~kept & care
    extra = ~truth & kept & care
    error = np.pad(missed | extra, 1)  # the border counts as an edge
    depth = distance_transform_edt(error)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(depth)), depth.shape)
    if depth[y, x] == 0:
        return None
    return Click(float(x) + 0.5, float(y) + 0.5, bool(missed[y, x]))


def grown_box(truth: np.ndarray, care: np.ndarray) -> SubjectBox:
    rows, columns = np.nonzero(truth & care)
    left, right = float(columns.min()), float(columns.max() + 1)
    top, bottom = float(rows.min()), float(rows.max() + 1)
    grow_x, grow_y = BOX_GROWTH * (right - left) / 2, BOX_GROWTH * (bottom - top) / 2
    height, width = truth.shape
    return SubjectBox(
        max(0.0, left - grow_x),
        max(0.0, top - grow_y),
        min(float(width), right + grow_x),
        min(float(height), bottom + grow_y),
    )


def leave_out(parts: list[str]) -> None:
    """Measure the click tool without `parts` of it."""
    if "edges" in parts:
        reach.EDGE_WEIGHT = 0.0
    if "band" in parts:
        selection.EDGE_BAND = 0
    if "enclosed" in parts:
        selection.enclosed = lambda area: np.zeros_like(area)
    if "snap" in parts:
        selection.snapped_region = lambda *arguments: None


def nothing_seen(picture: Image.Image, model: str | None) -> np.ndarray:
    """A model that sees nothing in a box: the box only clears what is outside it."""
    return np.zeros((picture.height, picture.width), np.uint8)


def run_pair(
    engine: Engine, options: OutputOptions, pair: dict[str, Any], folder: Path, args: Any
) -> PairRun:
    photo = Image.open(folder / pair["image"]).convert("RGB")
    truth_image = Image.open(folder / pair["mask"]).convert("L")
    if args.megapixels:
        factor = (args.megapixels * 1e6 / (photo.width * photo.height)) ** 0.5
        size = (round(photo.width * factor), round(photo.height * factor))
        photo = photo.resize(size, Image.Resampling.BICUBIC)
        truth_image = truth_image.resize(size, Image.Resampling.NEAREST)
    truth8 = np.asarray(truth_image)
    grabcut = pair["name"].startswith("grabcut_")
    care = truth8 != DONT_CARE if grabcut else np.ones(truth8.shape, bool)
    truth = truth8 >= 128
    buffer = io.BytesIO()
    photo.save(buffer, "PNG", compress_level=1)
    cutout = engine.remove_background(buffer.getvalue(), options)
    start = np.array(Image.open(io.BytesIO(cutout.data)).convert("L"))
    photo_selection = PhotoSelection(np.asarray(photo))
    run = PairRun(pair["name"], (pair["group"], pair["name"].split("_")[0]))
    if args.box:
        boxed = start.copy()
        look = nothing_seen if "look" in args.without else engine.mask_of
        photo_selection.box(boxed, grown_box(truth, care), look)
        run.box_iou = iou(boxed >= 128, truth, care)
    mask = start
    for clicks in range(MAX_CLICKS + 1):
        run.ious.append(iou(mask >= 128, truth, care))
        if clicks == MAX_CLICKS or (clicks >= 3 and run.ious[-1] >= max(GOALS)):
            break  # nothing after this changes the measures
        click = next_click(mask >= 128, truth, care)
        if click is None:
            break
        began = time.perf_counter()
        photo_selection.click(mask, click)
        run.click_ms.append((time.perf_counter() - began) * 1000)
    run.ious += [run.ious[-1]] * (MAX_CLICKS + 1 - len(run.ious))
    return run


def clicks_to(ious: list[float], goal: float) -> int:
    return next((count for count, value in enumerate(ious) if value >= goal), MAX_CLICKS)


def summary(runs: list[PairRun]) -> dict[str, Any]:
    times = [ms for run in runs for ms in run.click_ms]
    boxed = [run.box_iou for run in runs if run.box_iou is not None]
    return {
        "pairs": len(runs),
        "noc85": round(float(np.mean([clicks_to(run.ious, 0.85) for run in runs])), 2),
        "noc90": round(float(np.mean([clicks_to(run.ious, 0.90) for run in runs])), 2),
        "failed_after": {
            str(count): round(float(np.mean([run.ious[count] < FAILED_IOU for run in runs])), 4)
            for count in range(4)
        },
        "box_failed": round(float(np.mean([value < FAILED_IOU for value in boxed])), 4)
        if boxed
        else None,
        "ms_per_click": {
            "mean": round(float(np.mean(times)), 1) if times else None,
            "p95": round(float(np.percentile(times, 95)), 1) if times else None,
        },
    }


def report(runs: list[PairRun]) -> dict[str, Any]:
    names = sorted({group for run in runs for group in run.groups})
    overall = summary(runs)
    overall["groups"] = {
        name: summary([run for run in runs if name in run.groups]) for name in names
    }
    return overall


def print_table(result: dict[str, Any]) -> None:
    rows: Iterable[tuple[str, dict[str, Any]]] = [("ALL", result), *result["groups"].items()]
    print(f"{'group':14} {'pairs':>5} {'NoC85':>6} {'NoC90':>6}  failed after 0/1/2/3 clicks  box")
    for name, row in rows:
        failed = " ".join(f"{100 * row['failed_after'][str(k)]:5.1f}%" for k in range(4))
        box = f"{100 * row['box_failed']:5.1f}%" if row["box_failed"] is not None else "  -"
        counts = f"{row['pairs']:5} {row['noc85']:6.2f} {row['noc90']:6.2f}"
        print(f"{name:14} {counts}  {failed}  {box}")
    timing = result["ms_per_click"]
    print(f"ms per click: mean {timing['mean']}, p95 {timing['p95']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--model", default="best", help="a model or a preset (best, fast)")
    parser.add_argument("--box", action="store_true", help="also measure a box alone")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    parser.add_argument("--limit", type=int, help="only the first N pairs")
    parser.add_argument("--megapixels", type=float, help="scale photos up to this size first")
    parser.add_argument(
        "--without",
        nargs="*",
        default=[],
        choices=["edges", "band", "enclosed", "snap", "look"],
        help="parts of the click tool to leave out",
    )
    args = parser.parse_args()
    leave_out(args.without)
    pairs = json.loads((args.folder / "manifest.json").read_text())[: args.limit]
    engine = Engine(ModelStore.of(Paths.from_env()), Settings().input_limits)
    field_name = "quality" if args.model in PRESETS else "model"
    options = OutputOptions.from_mapping({field_name: args.model, "mask_only": "true"})
    runs = []
    for index, pair in enumerate(pairs, 1):
        runs.append(run_pair(engine, options, pair, args.folder, args))
        if index % 50 == 0:
            print(f"  {index}/{len(pairs)}", file=sys.stderr, flush=True)
    result = report(runs)
    print_table(result)
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
