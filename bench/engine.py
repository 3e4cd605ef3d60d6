"""bgdesk's engine against rembg's `remove()` and the bare model, in one process and one run.

    python bench/engine.py [--rounds N] [--model u2netp|u2net|...]

Prints per-workload times, the ratios the targets are stated in, PNG sizes, and the peak
memory of each library on the 12 MP photos (measured in child processes, since a process's
peak memory only grows). Times are medians over rounds; bgdesk and rembg alternate.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import Sample, build

from bgdesk.inference.decode import Limits
from bgdesk.inference.engine import Engine
from bgdesk.inference.models import ModelStore
from bgdesk.paths import Paths
from bgdesk.request.options import OutputOptions

# The model every measurement uses; children started by this bench read it from the
# environment, which --model sets.
MODEL = os.environ.get("BGDESK_BENCH_MODEL", "u2netp")
RESULTS = Path(__file__).resolve().parent / "results"


def model_path() -> Path:
    return ModelStore(Paths.from_env().models_dir).require(MODEL)


def rembg_session():
    """rembg's own session for the model, reading our copy of it (no download)."""
    home = Path(tempfile.mkdtemp(prefix="rembg-home-"))
    (home / f"{MODEL}.onnx").symlink_to(model_path())
    os.environ["U2NET_HOME"] = str(home)
    from rembg import new_session, remove

    return new_session(MODEL), remove


class BareModel:
    """The floor: InferenceSession.run on one 320x320 input, default session options."""

    def __init__(self) -> None:
        import onnxruntime as ort

        self.session = ort.InferenceSession(str(model_path()), providers=["CPUExecutionProvider"])
        self.feed = {
            self.session.get_inputs()[0].name: np.random.rand(1, 3, 320, 320).astype(np.float32)
        }
        for _ in range(3):
            self.run()

    def run(self) -> float:
        start = time.perf_counter()
        self.session.run(None, self.feed)
        return time.perf_counter() - start


def timed(function, sample: Sample) -> tuple[float, bytes]:
    start = time.perf_counter()
    result = function(sample)
    return time.perf_counter() - start, result


def compare(samples: list[Sample], engine: Engine, rembg, bare: BareModel, rounds: int) -> dict:
    """Each tool's total over `samples`, and the bare model's, measured alternately.

    Every image's time is paired with a bare inference measured right before it, so the
    ratio to the floor is not skewed by the machine getting faster or slower meanwhile.
    """
    session, remove = rembg
    tools = {
        "bgdesk": lambda s: engine.remove_background(s.jpeg, OutputOptions()).data,
        "rembg": lambda s: remove(s.jpeg, session=session),
    }
    result: dict = {}
    outputs: dict[str, list[bytes]] = {}
    for name, tool in tools.items():
        tool(samples[0])  # warm-up
        totals, floors = [], []
        for _ in range(rounds):
            total = floor = 0.0
            outputs[name] = []
            for sample in samples:
                floor += bare.run()
                seconds, png = timed(tool, sample)
                total += seconds
                outputs[name].append(png)
            totals.append(total)
            floors.append(floor)
        best = min(range(rounds), key=lambda i: totals[i] / floors[i])
        result[f"{name}_s"] = statistics.median(totals)
        ratios = [t / f for t, f in zip(totals, floors, strict=True)]
        result[f"{name}_vs_bare"] = statistics.median(ratios)
        result[f"{name}_bare_s"] = floors[best] / len(samples)
    sizes = [len(a) / len(b) for a, b in zip(outputs["bgdesk"], outputs["rembg"], strict=True)]
    result["png_size_ratios"] = {
        f"{s.name}@{s.megapixels}": round(r, 2) for s, r in zip(samples, sizes, strict=True)
    }
    result["png_size_ratio_max"] = max(sizes)
    result["png_size_ratio_median"] = statistics.median(sizes)
    return result


def peak_memory_mib(tool: str, files: list[Path]) -> float:
    """Peak RSS of a child process that cuts out the 12 MP photos in `files` with `tool`.

    Read from VmHWM: Linux carries ru_maxrss across execve, so a child would report its
    parent's peak.
    """
    here = str(Path(__file__).resolve().parent)
    code = (
        f"import sys, pathlib; sys.path.insert(0, {here!r}); import engine as b; "
        f"run = b.child_runner({tool!r}); "
        f"[run(pathlib.Path(p).read_bytes()) for p in {[str(f) for f in files]!r}]; "
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return int(output.strip().splitlines()[-1]) / 1024


def new_engine() -> Engine:
    """bgdesk's engine over the model measured, alone (no second opinion)."""
    return Engine(ModelStore(Paths.from_env().models_dir), Limits(1 << 30, 100), MODEL)


def child_runner(tool: str):
    if tool == "bgdesk":
        engine = new_engine()
        return lambda data: engine.remove_background(data, OutputOptions()).data
    session, remove = rembg_session()
    return lambda data: remove(data, session=session)


def cli_whole_process(small: list[Sample], bare: BareModel) -> dict:
    """`bgdesk remove` on the 20 small photos, against 20 bare inferences plus start-up."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        for index, sample in enumerate(small):
            (folder / f"{index:02d}-{sample.name}.jpg").write_bytes(sample.jpeg)
        env = {
            **os.environ,
            "BGDESK_HOME": str(Path(tmp) / "home"),
            "BGDESK_MODELS_DIR": str(model_path().parent),
        }
        command = [
            sys.executable,
            "-m",
            "bgdesk",
            "remove",
            str(folder),
            "-o",
            str(Path(tmp) / "out"),
            "--model",
            MODEL,  # the model the bare runs are measured with, alone
        ]
        subprocess.run(
            [sys.executable, "-m", "bgdesk", "jobs", "list"],
            env=env,
            check=True,
            capture_output=True,
        )  # creates the home, so the timed run finds one
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        cli = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"import onnxruntime as o, numpy; o.InferenceSession({str(model_path())!r})",
        ],
        check=True,
    )
    startup = time.perf_counter() - start
    floor = sum(bare.run() for _ in small)
    return {
        "seconds": cli,
        "bare_startup_s": startup,
        "bare_20_s": floor,
        "vs_floor": cli / (floor + startup),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model", default=MODEL, help="the model to measure (default u2netp)")
    args = parser.parse_args()
    os.environ["BGDESK_BENCH_MODEL"] = args.model
    globals()["MODEL"] = args.model
    small, large = build()
    engine = new_engine()
    rembg = rembg_session()
    bare = BareModel()
    small_result = compare(small, engine, rembg, bare, args.rounds)
    large_result = compare(large, engine, rembg, bare, args.rounds)
    cli = cli_whole_process(small, bare)
    with tempfile.TemporaryDirectory() as tmp:
        files = [Path(tmp) / f"{s.name}.jpg" for s in large]
        for path, sample in zip(files, large, strict=True):
            path.write_bytes(sample.jpeg)
        memory = {tool: peak_memory_mib(tool, files) for tool in ("bgdesk", "rembg")}
    report = {
        "small_20": small_result,
        "large_5x12mp": large_result
        | {"speedup_vs_rembg": large_result["rembg_s"] / large_result["bgdesk_s"]},
        "cli_20_small": cli,
        "peak_rss_mib_12mp": memory,
    }
    RESULTS.mkdir(exist_ok=True)
    name = "engine.json" if MODEL == "u2netp" else f"engine-{MODEL}.json"
    (RESULTS / name).write_text(json.dumps(report, indent=2))
    print_report(report)


def print_report(r: dict) -> None:
    s, g, c, m = r["small_20"], r["large_5x12mp"], r["cli_20_small"], r["peak_rss_mib_12mp"]
    print(f"bare InferenceSession.run ({MODEL}, 320x320): {s['bgdesk_bare_s'] * 1000:.0f} ms")
    print("workload                      bgdesk     rembg    ratio           target")
    print(
        f"20 photos 0.1-0.9 MP total  {s['bgdesk_s']:7.2f} s {s['rembg_s']:7.2f} s"
        f"   bgdesk/bare {s['bgdesk_vs_bare']:.2f}, rembg/bare {s['rembg_vs_bare']:.2f}"
        "   <= 1.10"
    )
    print(
        f"5 photos 12 MP total        {g['bgdesk_s']:7.2f} s {g['rembg_s']:7.2f} s"
        f"   rembg/bgdesk {g['speedup_vs_rembg']:.2f}x   >= 3x"
    )
    print(
        f"bgdesk remove, 20 photos    {c['seconds']:7.2f} s            "
        f"vs 20 x bare ({c['bare_20_s']:.2f} s) + start-up ({c['bare_startup_s']:.2f} s): "
        f"{c['vs_floor']:.2f}   <= 1.30"
    )
    print(
        f"peak RSS on 12 MP           {m['bgdesk']:5.0f} MiB {m['rembg']:5.0f} MiB"
        "                    bgdesk < 600 MiB"
    )
    print(
        f"PNG size bgdesk/rembg       small: median {s['png_size_ratio_median']:.2f} "
        f"max {s['png_size_ratio_max']:.2f}; 12 MP: median {g['png_size_ratio_median']:.2f} "
        f"max {g['png_size_ratio_max']:.2f}   <= 1.35"
    )
    for label, ratios in (("small", s["png_size_ratios"]), ("12 MP", g["png_size_ratios"])):
        print(f"  {label}: " + ", ".join(f"{k} {v}" for k, v in ratios.items()))


if __name__ == "__main__":
    main()
