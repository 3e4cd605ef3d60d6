"""How close the memory estimate of a cutout (bgdesk/inference/footprint.py) comes to what
making it really takes.

    python bench/footprint.py [--case NAME]

Each case runs in a fresh process: the engine is built, then one cutout is made, and the
peak resident memory it added (VmHWM after, less VmRSS before) is set beside the estimate,
model included. An estimate below the measured peak is marked UNDER: the budget would
let cutouts side by side take more than it says.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from bgdesk.inference.engine import MEMORY_BUDGET
from bgdesk.inference.footprint import amount


def drawn(width: int, height: int, fmt: str = "JPEG") -> bytes:
    """A photo-like picture: a noisy background and a large disc, so that encoders and the
    model have something to work on."""
    rng = np.random.default_rng(7)
    noise = rng.integers(60, 120, (max(1, height // 8), max(1, width // 8), 3), dtype=np.uint8)
    picture = Image.fromarray(noise).resize((width, height), Image.Resampling.BILINEAR)
    ImageDraw.Draw(picture).ellipse(
        (width // 4, height // 5, width * 3 // 4, height * 4 // 5), fill=(210, 60, 40)
    )
    buffer = io.BytesIO()
    picture.save(buffer, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def white_line() -> bytes:
    """A 30000 x 1 white PNG of about 170 bytes, which the model takes whole as its subject."""
    buffer = io.BytesIO()
    Image.new("RGB", (30000, 1), "white").save(buffer, "PNG")
    return buffer.getvalue()


CANVAS = {"canvas": "10000x10000", "shadow": True}
CASES: dict[str, tuple[Callable[[], bytes], dict[str, Any], bool]] = {
    # name: (the photo, the options, with a background picture of the photo's size)
    "12mp-png": (lambda: drawn(4000, 3000), {}, False),
    "12mp-webp": (lambda: drawn(4000, 3000), {"format": "webp"}, False),
    "12mp-avif": (lambda: drawn(4000, 3000), {"format": "avif"}, False),
    "12mp-jpg": (lambda: drawn(4000, 3000), {"format": "jpg"}, False),
    "12mp-colour": (lambda: drawn(4000, 3000), {"bg_color": "white"}, False),
    "12mp-blur": (lambda: drawn(4000, 3000), {"bg_blur": 20}, False),
    "12mp-picture": (lambda: drawn(4000, 3000), {"bg_image": True}, True),
    "12mp-square-shadow": (lambda: drawn(4000, 3000), {"canvas": "square", "shadow": True}, False),
    "24mp-mask": (lambda: drawn(6000, 4000), {"mask_only": True}, False),
    "64mp-png": (lambda: drawn(8000, 8000), {}, False),
    "64mp-colour": (lambda: drawn(8000, 8000), {"bg_color": "white"}, False),
    "64mp-canvas": (lambda: drawn(8000, 8000), CANVAS, False),
    "64mp-transparent-png": (lambda: drawn(8000, 8000, "PNG"), {"format": "webp"}, False),
    "line-square": (white_line, {"canvas": "square"}, False),
    "canvas-png": (lambda: drawn(400, 300), CANVAS, False),
    "canvas-jpg": (lambda: drawn(400, 300), {**CANVAS, "format": "jpg"}, False),
    "canvas-avif": (lambda: drawn(400, 300), {**CANVAS, "format": "avif"}, False),
    "canvas-webp": (lambda: drawn(400, 300), {**CANVAS, "format": "webp"}, False),
}


def status(field: str) -> int:
    """A line of /proc/self/status, in bytes."""
    with open("/proc/self/status") as lines:
        for line in lines:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def measure(name: str) -> dict[str, Any]:
    """Make case `name`'s cutout in this process; its estimate and measured peak."""
    from bgdesk.inference.decode import Limits
    from bgdesk.inference.engine import Engine
    from bgdesk.inference.models import ModelStore
    from bgdesk.paths import Paths
    from bgdesk.request.options import OutputOptions

    make, values, with_picture = CASES[name]
    data = make()
    background = drawn(*Image.open(io.BytesIO(data)).size, "PNG") if with_picture else None
    engine = Engine(ModelStore.of(Paths.from_env()), Limits(256 << 20, 128), "u2netp")
    engine.memory_budget = 1 << 40  # measured even where the default budget refuses it
    options = OutputOptions.from_mapping(values)
    size = Image.open(io.BytesIO(data)).size
    backdrop = Image.open(io.BytesIO(background)).size if background else None
    estimate = engine._footprint(size, options, backdrop)
    before = status("VmRSS")
    cutout = engine.remove_background(data, options, background)
    return {
        "case": name,
        "output": f"{cutout.width}x{cutout.height}",
        "estimate": estimate.total,
        "peak": status("VmHWM") - before,
        "refused": estimate.pixels > MEMORY_BUDGET,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=list(CASES), help="one case, in this process")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(measure(args.case)))
        return 0
    under = 0
    print(f"{'case':22} {'output':>12} {'estimate':>10} {'peak':>10}  ratio  (default budget)")
    for name in CASES:
        ran = subprocess.run(
            [sys.executable, __file__, "--case", name], capture_output=True, text=True, check=True
        )
        row = json.loads(ran.stdout.strip().splitlines()[-1])
        ratio = row["estimate"] / row["peak"]
        under += ratio < 1
        print(
            f"{name:22} {row['output']:>12} {amount(row['estimate']):>10} "
            f"{amount(row['peak']):>10}  {ratio:.2f}{'  UNDER' if ratio < 1 else ''}"
            f"{'  refused' if row['refused'] else ''}"
        )
    return 1 if under else 0


if __name__ == "__main__":
    sys.exit(main())
