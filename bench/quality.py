"""Cutout quality: bgdesk's engine and rembg's `remove()` with the same model, on photos with
human-made masks, in one run.

    python bench/quality.py EVAL_DIR [--model u2netp u2net] [--option NAME=VALUE ...]
                            [--no-rembg] [--limit N] [--readme]

EVAL_DIR holds `manifest.json` (name, group, image, mask per pair), `images/` and `masks/`.
For each model it prints MAE (mean absolute alpha error, 0 to 1), IoU at 0.5 and **failed** (the
share of photos whose IoU is below 0.7: a cutout a person would throw away) per group and
overall, with seconds per photo. GrabCut's masks mark a band along the edge with grey 128:
those pixels are "don't care". Per-photo results go to bench/results/quality.json;
`--readme` rewrites the README's quality table from that file.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bgdesk.inference.engine import Engine
from bgdesk.inference.models import ModelStore
from bgdesk.paths import Paths
from bgdesk.request.options import OutputOptions
from bgdesk.request.presets import PRESETS
from bgdesk.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "quality.json"
README = ROOT / "README.md"
FAILED_IOU = 0.7
BOOTSTRAP_ROUNDS = 2000  # resamplings of the photos for the warnings' intervals
DONT_CARE = 128  # GrabCut's unlabelled band
TABLE_START, TABLE_END = "<!-- quality table -->", "<!-- /quality table -->"


@dataclass(frozen=True)
class Pair:
    name: str
    group: str
    image: Path
    mask: Path


@dataclass
class PhotoResult:
    name: str
    group: str
    mae: float
    iou: float
    seconds: float
    warning: str | None = None
    confidence: float | None = None
    model_used: str | None = None


Cutter = Callable[[bytes], tuple[bytes, dict[str, Any]]]  # photo -> PNG whose alpha is scored


def pairs_in(folder: Path) -> list[Pair]:
    manifest = json.loads((folder / "manifest.json").read_text())
    return [
        Pair(row["name"], row["group"], folder / row["image"], folder / row["mask"])
        for row in manifest
    ]


def score(predicted: np.ndarray, truth: np.ndarray, grabcut: bool) -> tuple[float, float]:
    """MAE and IoU at 0.5 of a predicted alpha (uint8) against the true one, both 0..255."""
    care = truth != DONT_CARE if grabcut else np.ones(truth.shape, bool)
    p = predicted.astype(np.float32) / 255.0
    t = truth.astype(np.float32) / 255.0
    mae = float(np.abs(p - t)[care].mean())
    p_in, t_in = (p >= 0.5) & care, (t >= 0.5) & care
    union = np.logical_or(p_in, t_in).sum()
    return mae, float(np.logical_and(p_in, t_in).sum() / union) if union else 1.0


def alpha_of(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        channel = image.getchannel("A") if image.mode in ("RGBA", "LA") else image.convert("L")
        return np.asarray(channel)


def measure(cut: Cutter, pairs: list[Pair], label: str) -> list[PhotoResult]:
    results = []
    for index, pair in enumerate(pairs, 1):
        truth = np.asarray(Image.open(pair.mask).convert("L"))
        data = pair.image.read_bytes()
        start = time.perf_counter()
        png, extra = cut(data)
        seconds = time.perf_counter() - start
        predicted = alpha_of(png)
        if predicted.shape != truth.shape:
            raise SystemExit(f"{label}: {pair.name} came out {predicted.shape}, not {truth.shape}")
        mae, iou = score(predicted, truth, pair.name.startswith("grabcut_"))
        results.append(PhotoResult(pair.name, pair.group, mae, iou, seconds, **extra))
        if index % 50 == 0:
            print(f"  {label}: {index}/{len(pairs)}", file=sys.stderr, flush=True)
    return results


def summary(results: list[PhotoResult]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[PhotoResult]] = {}
    for result in results:
        groups.setdefault(result.group, []).append(result)
    groups = dict(sorted(groups.items())) | {"ALL": results}
    return {
        group: {
            "n": len(rows),
            "mae": round(float(np.mean([r.mae for r in rows])), 4),
            "iou": round(float(np.mean([r.iou for r in rows])), 4),
            "failed": round(float(np.mean([r.iou < FAILED_IOU for r in rows])), 4),
            "seconds": round(float(np.mean([r.seconds for r in rows])), 3),
        }
        for group, rows in groups.items()
    }


def bgdesk_cutter(engine: Engine, choice: str, options: dict[str, str]) -> Cutter:
    """bgdesk's engine with a model, or with a preset (`best`, `fast`) and its plan."""
    field = "quality" if choice in PRESETS else "model"
    settings = OutputOptions.from_mapping({field: choice, "mask_only": "true", **options})

    def cut(data: bytes) -> tuple[bytes, dict[str, Any]]:
        cutout = engine.remove_background(data, settings)
        return cutout.data, {
            "warning": cutout.warning,
            "confidence": cutout.confidence,
            "model_used": cutout.model,
        }

    return cut


def rembg_cutter(store: ModelStore, model: str) -> Cutter:
    """rembg's `remove()` with its own session of the same model file (no download)."""
    home = Path(tempfile.mkdtemp(prefix="rembg-home-"))
    (home / f"{model}.onnx").symlink_to(store.require(model))
    os.environ["U2NET_HOME"] = str(home)
    from rembg import new_session, remove

    session = new_session(model)

    def cut(data: bytes) -> tuple[bytes, dict[str, Any]]:
        return remove(data, session=session, only_mask=True), {}

    return cut


def runs(args: argparse.Namespace, store: ModelStore) -> Iterator[tuple[str, Cutter]]:
    options = dict(option.split("=", 1) for option in args.option)
    suffix = "".join(f" {k}={v}" for k, v in options.items())
    limits = Settings().input_limits
    for choice in args.model:
        engine = Engine(store, limits)
        plan = f" ({store.resolve(choice).describe()})" if choice in PRESETS else ""
        yield f"bgdesk {choice}{plan}{suffix}", bgdesk_cutter(engine, choice, options)
        made_here = choice not in PRESETS and store.spec(choice).quantization is not None
        if not args.no_rembg and choice not in PRESETS and not made_here:  # rembg lacks those
            yield f"rembg {choice}", rembg_cutter(store, choice)


def warnings_found(results: list[PhotoResult]) -> str:
    """How well the warnings pick out the failed cutouts: precision and recall, each with a
    95 % interval from resampling the photos."""
    warned = np.array([bool(r.warning) for r in results])
    failed = np.array([r.iou < FAILED_IOU for r in results])
    caught = warned & failed
    if not warned.any():
        return f"no cutout warned of; {failed.sum()} failed"
    precision, recall = interval_of(caught, warned), interval_of(caught, failed)
    return (
        f"{warned.sum()} warned of ({warned.mean():.0%}), {caught.sum()} of them failed "
        f"(precision {precision}); {caught.sum()} of {failed.sum()} failed ones warned of "
        f"(recall {recall})"
    )


def interval_of(hits: np.ndarray, of: np.ndarray, rounds: int = BOOTSTRAP_ROUNDS) -> str:
    """The share of `of` that are `hits` (both per photo) and its 95 % bootstrap interval."""
    rng = np.random.default_rng(0)
    samples = rng.integers(0, len(hits), (rounds, len(hits)))
    shares = hits[samples].sum(1) / np.maximum(of[samples].sum(1), 1)
    low, high = np.percentile(shares, [2.5, 97.5])
    return f"{hits.sum() / max(of.sum(), 1):.0%} [{low:.0%}, {high:.0%}]"


def print_summary(label: str, table: dict[str, dict[str, float]]) -> None:
    print(f"\n{label}")
    print(f"  {'group':<14}{'n':>5}{'MAE':>9}{'IoU':>8}{'failed':>9}{'s/photo':>9}")
    for group, row in table.items():
        print(
            f"  {group:<14}{row['n']:>5}{row['mae']:>9.4f}{row['iou']:>8.3f}"
            f"{row['failed']:>8.1%}{row['seconds']:>9.3f}"
        )


def readme_table(stored: dict[str, Any]) -> str:
    rows = [
        "| run | MAE | IoU | failed | alpha-matting MAE | seconds / photo |",
        "|---|---|---|---|---|---|",
    ]
    for label, run in stored.items():
        overall, matting = run["summary"]["ALL"], run["summary"].get("alphamatting", {})
        rows.append(
            f"| {label} | {overall['mae']:.4f} | {overall['iou']:.3f} | "
            f"{overall['failed']:.1%} | {matting.get('mae', float('nan')):.4f} | "
            f"{overall['seconds']:.2f} |"
        )
    return "\n".join(rows)


def rewrite_readme(stored: dict[str, Any]) -> None:
    text = README.read_text()
    pattern = re.compile(re.escape(TABLE_START) + ".*?" + re.escape(TABLE_END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"README.md has no {TABLE_START} … {TABLE_END} block")
    block = f"{TABLE_START}\n{readme_table(stored)}\n{TABLE_END}"
    README.write_text(pattern.sub(lambda _: block, text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("eval_dir", type=Path)
    parser.add_argument(
        "--model", nargs="+", default=["u2netp"], help="models or presets (best, fast)"
    )
    parser.add_argument("--option", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--no-rembg", action="store_true")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pairs")
    parser.add_argument("--readme", action="store_true", help="rewrite the README table")
    parser.add_argument(
        "--readme-only", action="store_true", help="rewrite the README table from the results"
    )
    args = parser.parse_args()
    if args.readme_only:
        rewrite_readme(json.loads(RESULTS.read_text()))
        return
    pairs = pairs_in(args.eval_dir)[: args.limit or None]
    store = ModelStore.of(Paths.from_env())
    stored: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for label, cut in runs(args, store):
        results = measure(cut, pairs, label)
        table = summary(results)
        print_summary(label, table)
        print(f"  warnings: {warnings_found(results)}")
        models = sorted({r.model_used for r in results if r.model_used})
        if len(models) > 1:
            shares = ", ".join(
                f"{m} {sum(r.model_used == m for r in results) / len(results):.0%}" for m in models
            )
            print(f"  made by: {shares}")
        stored[label] = {
            "pairs": len(pairs),
            "summary": table,
            "photos": [asdict(result) for result in results],
        }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(stored, indent=1))
    if args.readme:
        rewrite_readme(stored)


if __name__ == "__main__":
    main()
