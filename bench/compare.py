"""Two quality runs compared photo by photo: is one better, or is the gap noise?

    python bench/compare.py RUN RUN [--results FILE]

RUN is the label, or the start of the label, of a run `bench/quality.py` stored in
bench/results/quality.json (`"bgdesk u2net"`, `"bgdesk best"`). For each run it prints the
share of cutouts that failed (IoU below 0.7), the share that failed and were not marked for a
look, and MAE; then the second run minus the first with a 95 % paired bootstrap interval. The
photos are resampled with the frames of one DAVIS video together: they are near copies, not
separate evidence. An interval that holds 0 says these photos cannot tell the runs apart.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import FAILED_IOU, RESULTS

ROUNDS = 10_000
DAVIS_FRAME = re.compile(r"(davis_.+)_\d+")

Photos = dict[str, dict[str, Any]]  # a run's per-photo results by photo name


def run_named(stored: dict[str, Any], start: str) -> tuple[str, Photos]:
    labels = [label for label in stored if label == start] or [
        label for label in stored if label.startswith(start)
    ]
    if len(labels) != 1:
        raise SystemExit(f"{start!r} names {len(labels)} of the runs: {', '.join(stored)}")
    return labels[0], {photo["name"]: photo for photo in stored[labels[0]]["photos"]}


def measures(photos: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Per photo: failed (0 or 100, for a share in %), failed and not marked, alpha error."""
    failed = np.array([photo["iou"] < FAILED_IOU for photo in photos], float) * 100
    unmarked = np.array([not photo["warning"] for photo in photos])
    return {
        "failed %": failed,
        "failed unmarked %": failed * unmarked,
        "MAE": np.array([photo["mae"] for photo in photos]),
    }


def video_of(name: str) -> str:
    """What is resampled as one: a DAVIS frame's video, or the photo itself."""
    match = DAVIS_FRAME.fullmatch(name)
    return match.group(1) if match else name


def interval(differences: np.ndarray, units: np.ndarray) -> tuple[float, float]:
    """95 % bootstrap interval of the mean per-photo difference, drawing whole units."""
    sums, sizes = np.bincount(units, differences), np.bincount(units)
    draws = np.random.default_rng(0).integers(0, len(sizes), (ROUNDS, len(sizes)))
    low, high = np.percentile(sums[draws].sum(1) / sizes[draws].sum(1), [2.5, 97.5])
    return float(low), float(high)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs=2, metavar="RUN")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    stored = json.loads(args.results.read_text())
    (first, a), (second, b) = (run_named(stored, start) for start in args.runs)
    if a.keys() != b.keys():
        raise SystemExit("the two runs were not made on the same photos")
    names = sorted(a)
    videos = [video_of(name) for name in names]
    units = np.unique(videos, return_inverse=True)[1]
    print(f"A: {first}\nB: {second}\n{len(names)} photos, {units.max() + 1} resampled as units")
    print(f"{'':<18}{'A':>8}{'B':>8}   B - A [95 % interval]")
    before, after = measures([a[n] for n in names]), measures([b[n] for n in names])
    for measure, values in before.items():
        digits = 4 if measure == "MAE" else 1
        low, high = interval(after[measure] - values, units)
        print(
            f"{measure:<18}{values.mean():>8.{digits}f}{after[measure].mean():>8.{digits}f}   "
            f"{after[measure].mean() - values.mean():+.{digits}f} "
            f"[{low:+.{digits}f}, {high:+.{digits}f}]"
        )
    only_a = int((before["failed %"] > after["failed %"]).sum())
    only_b = int((after["failed %"] > before["failed %"]).sum())
    print(f"failed in one run only: {only_a} photos in A, {only_b} in B")


if __name__ == "__main__":
    main()
