"""bgdesk's engine against rembg's `remove()` and the bare model, in one process and one run.

    python bench/engine.py [--rounds N]

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
from bgdesk.inference.options import OutputOptions
from bgdesk.paths import Paths

MODEL = "u2netp"
RESULTS = Path(__file__).resolve().parent / "results"


def model_path() -> Path:
    return ModelStore(Paths.from_env().models_dir).require(MODEL)


def rembg_session():
    """rembg's own session for u2netp, reading our copy of the model (no download)."""
    home = Path(tempfile.mkdtemp(prefix="rembg-home-"))
    (home / f"{MODEL}.onnx").symlink_to(model_path())
    os.environ["U2NET_HOME"] = str(home)
    from rembg import new_session, remove

    return new_session(MODEL), remove


def bare_inference_seconds(rounds: int) -> float:
    """Median time of InferenceSession.run on one 320x320 input: the floor."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(model_path()), providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: np.random.rand(1, 3, 320, 320).astype(np.float32)}
    for _ in range(3):
        session.run(None, feed)
    times = []
    for _ in range(rounds * 10):
        start = time.perf_counter()
        session.run(None, feed)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timed(function, *args) -> tuple[float, bytes]:
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def compare(samples: list[Sample], engine: Engine, rembg, rounds: int) -> dict:
    session, remove = rembg
    ours = lambda s: engine.remove_background(s.jpeg, OutputOptions()).data  # noqa: E731
    theirs = lambda s: remove(s.jpeg, session=session)  # noqa: E731
    ours(samples[0]), theirs(samples[0])  # warm-up
    ours_totals, theirs_totals, sizes = [], [], []
    for _ in range(rounds):
        ours_total = theirs_total = 0.0
        for sample in samples:
            seconds, ours_png = timed(ours, sample)
            ours_total += seconds
            seconds, theirs_png = timed(theirs, sample)
            theirs_total += seconds
            sizes.append(len(ours_png) / len(theirs_png))
        ours_totals.append(ours_total)
        theirs_totals.append(theirs_total)
    return {"bgdesk_s": statistics.median(ours_totals),
            "rembg_s": statistics.median(theirs_totals),
            "png_size_ratio_max": max(sizes), "png_size_ratio_mean": statistics.mean(sizes)}


def peak_memory_mib(tool: str) -> float:
    """Peak RSS of a child process that cuts out the five 12 MP photos with `tool`."""
    here = str(Path(__file__).resolve().parent)
    code = (
        f"import sys, resource; sys.path.insert(0, {here!r}); import engine as b; "
        f"small, large = b.build(); run = b.child_runner({tool!r}); "
        "[run(s.jpeg) for s in large]; "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    return int(output.strip().splitlines()[-1]) / 1024


def child_runner(tool: str):
    if tool == "bgdesk":
        engine = Engine(ModelStore(Paths.from_env().models_dir), Limits(1 << 30, 100))
        return lambda data: engine.remove_background(data, OutputOptions()).data
    session, remove = rembg_session()
    return lambda data: remove(data, session=session)


def cli_whole_process(small: list[Sample]) -> tuple[float, float]:
    """(seconds for `bgdesk remove` on the 20 small photos, seconds to start the bare model)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        for index, sample in enumerate(small):
            (folder / f"{index:02d}-{sample.name}.jpg").write_bytes(sample.jpeg)
        env = {**os.environ, "BGDESK_HOME": str(Path(tmp) / "home"),
               "BGDESK_MODELS_DIR": str(model_path().parent)}
        command = [sys.executable, "-m", "bgdesk", "remove", str(folder),
                   "-o", str(Path(tmp) / "out")]
        subprocess.run([sys.executable, "-m", "bgdesk", "jobs", "list"], env=env, check=True,
                       capture_output=True)  # creates the home, so both runs start alike
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        cli = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import onnxruntime as o, numpy; "
                    f"o.InferenceSession({str(model_path())!r})"], check=True)
    startup = time.perf_counter() - start
    return cli, startup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    small, large = build()
    engine = Engine(ModelStore(Paths.from_env().models_dir), Limits(1 << 30, 100))
    rembg = rembg_session()
    bare = bare_inference_seconds(args.rounds)
    small_result = compare(small, engine, rembg, args.rounds)
    large_result = compare(large, engine, rembg, args.rounds)
    cli, startup = cli_whole_process(small)
    memory = {tool: peak_memory_mib(tool) for tool in ("bgdesk", "rembg")}
    report = {
        "bare_inference_s": bare,
        "small_20": small_result | {
            "bgdesk_vs_bare": small_result["bgdesk_s"] / (20 * bare),
            "rembg_vs_bare": small_result["rembg_s"] / (20 * bare)},
        "large_5x12mp": large_result | {
            "speedup_vs_rembg": large_result["rembg_s"] / large_result["bgdesk_s"]},
        "cli_20_small": {"seconds": cli, "bare_startup_s": startup,
                         "vs_floor": cli / (20 * bare + startup)},
        "peak_rss_mib_12mp": memory,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "engine.json").write_text(json.dumps(report, indent=2))
    print_report(report)


def print_report(r: dict) -> None:
    s, g, c, m = r["small_20"], r["large_5x12mp"], r["cli_20_small"], r["peak_rss_mib_12mp"]
    print(f"bare InferenceSession.run (u2netp, 320x320): {r['bare_inference_s'] * 1000:.0f} ms")
    print("workload                      bgdesk     rembg    ratio           target")
    print(f"20 photos 0.1-0.9 MP total  {s['bgdesk_s']:7.2f} s {s['rembg_s']:7.2f} s"
          f"   bgdesk/bare {s['bgdesk_vs_bare']:.2f}, rembg/bare {s['rembg_vs_bare']:.2f}"
          "   <= 1.10")
    print(f"5 photos 12 MP total        {g['bgdesk_s']:7.2f} s {g['rembg_s']:7.2f} s"
          f"   rembg/bgdesk {g['speedup_vs_rembg']:.2f}x   >= 3x")
    print(f"bgdesk remove, 20 photos    {c['seconds']:7.2f} s            "
          f"vs 20 x bare + start-up ({c['bare_startup_s']:.2f} s): {c['vs_floor']:.2f}   <= 1.30")
    print(f"peak RSS on 12 MP           {m['bgdesk']:5.0f} MiB {m['rembg']:5.0f} MiB"
          "                    bgdesk < 600 MiB")
    print(f"PNG size bgdesk/rembg       small: max {s['png_size_ratio_max']:.2f} "
          f"mean {s['png_size_ratio_mean']:.2f}; 12 MP: max {g['png_size_ratio_max']:.2f} "
          f"mean {g['png_size_ratio_mean']:.2f}   <= 1.35")


if __name__ == "__main__":
    main()
