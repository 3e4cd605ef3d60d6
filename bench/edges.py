"""Edge colour clean-up, measured on its own and in the job's time.

    python bench/edges.py EVAL_DIR [--rounds N]

Accuracy: each alpha-matting pair (true soft alpha) is laid over pure green, magenta and blue
with its true alpha; the colours are cleaned with that same alpha and compared with the true
photo over the half-transparent pixels. Prints the mean absolute colour error (0..255) before
and after cleaning, and their ratio. Time: the whole job on the five 12 MP photos, with and
without the clean-up (medians over rounds, alternating).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import build

from bgdesk.inference.edges import clean_edge_colours
from bgdesk.inference.engine import Engine
from bgdesk.inference.models import ModelStore
from bgdesk.paths import Paths
from bgdesk.request.options import OutputOptions
from bgdesk.settings import Settings

BACKDROPS = {"green": (0, 255, 0), "magenta": (255, 0, 255), "blue": (0, 0, 255)}


def accuracy(eval_dir: Path) -> dict[str, float]:
    manifest = json.loads((eval_dir / "manifest.json").read_text())
    before, after = [], []
    for row in manifest:
        if row["group"] != "alphamatting":
            continue
        photo = np.asarray(Image.open(eval_dir / row["image"]).convert("RGB"), dtype=np.float32)
        alpha_image = Image.open(eval_dir / row["mask"]).convert("L")
        a = np.asarray(alpha_image, dtype=np.float32)[..., None] / 255.0
        soft = (a[..., 0] > 0) & (a[..., 0] < 1)
        for colour in BACKDROPS.values():
            laid = a * photo + (1 - a) * np.asarray(colour, dtype=np.float32)
            laid8 = np.clip(laid + 0.5, 0, 255).astype(np.uint8)
            cleaned = np.asarray(clean_edge_colours(Image.fromarray(laid8), alpha_image))
            before.append(float(np.abs(laid8[soft] - photo[soft]).mean()))
            after.append(float(np.abs(cleaned[soft].astype(np.float32) - photo[soft]).mean()))
    mean_before, mean_after = statistics.mean(before), statistics.mean(after)
    return {
        "composites": len(before),
        "error_before": round(mean_before, 2),
        "error_after": round(mean_after, 2),
        "ratio": round(mean_after / mean_before, 3),
    }


def job_time(rounds: int) -> dict[str, object]:
    """The whole job on each 12 MP photo of the corpus, with and without the clean-up: medians
    over rounds, for all five photos together and for each."""
    photos = build()[1]
    engine = Engine(ModelStore.of(Paths.from_env()), Settings().input_limits, "fast")
    times: dict[tuple[str, bool], list[float]] = {}
    for _ in range(rounds + 1):  # the first round warms up and is not counted
        for clean in (False, True):
            for photo in photos:
                start = time.perf_counter()
                engine.remove_background(photo.jpeg, OutputOptions(decontaminate=clean))
                times.setdefault((photo.name, clean), []).append(time.perf_counter() - start)
    plain, cleaned = (
        statistics.median(map(sum, zip(*(times[p.name, c][1:] for p in photos), strict=True)))
        for c in (False, True)
    )
    return {
        "photos": len(photos),
        "seconds_plain": round(plain, 3),
        "seconds_cleaned": round(cleaned, 3),
        "ratio": round(cleaned / plain, 3),
        "ratio_per_photo": {
            p.name: round(
                statistics.median(times[p.name, True][1:])
                / statistics.median(times[p.name, False][1:]),
                3,
            )
            for p in photos
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("eval_dir", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print("accuracy", accuracy(args.eval_dir))
    print("12 MP job", job_time(args.rounds))


if __name__ == "__main__":
    main()
