"""Where a training step's time goes, zoo against PyTorch: each side's profiler over the same
steps of the same network (benchmarks/vs_pytorch.py's settings and twins), self-time summed
by operation type, per step.

    pip install -e ".[peers]"                 # torch 2.13 and xprof, not zoo dependencies
    python benchmarks/profile_step.py         # LeNet-5, 40 steps
    python benchmarks/profile_step.py --models lenet5 resnet20 --steps 20

zoo's side is traced by TensorFlow's profiler (`tf.profiler.experimental`) and read with
xprof's "framework_op_stats" (TensorBoard's profile plugin): the self-time of every TensorFlow
op on the host, by op type (Conv2DBackpropFilter, MatMul, ...). PyTorch's side is traced by
`torch.profiler` and read from `key_averages()`: self CPU time by ATen op. Each side runs in
its own process, one after the other, warmed up first, and also times the same steps without
its profiler (wall milliseconds a step). Op self-time is summed over threads, so where
TensorFlow runs ops side by side it can exceed the wall time; what to read is each op type's
milliseconds against the other side's, and the wall time left outside the ops (the
framework's own work between them). Rows land in benchmarks/results/profile_step.json.
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from vs_pytorch import SETTINGS, TorchSide, ZooSide  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "profile_step.json"
TOP = 12  # op types kept per side
IDLE = "IDLE"  # xprof's name for the time its host threads spent waiting, not an op


def wall_ms_per_step(side, steps: int) -> float:
    """Milliseconds per training step without a profiler, after the warm-up."""
    started = time.perf_counter()
    side.train(steps)
    return (time.perf_counter() - started) / steps * 1e3


def profile_zoo(name: str, steps: int) -> tuple[float, dict[str, float]]:
    """Wall milliseconds per step unprofiled, and microseconds of self-time per op type over
    `steps` profiled training steps of zoo's side."""
    import tensorflow as tf
    from xprof.convert import raw_to_tool_data

    side = ZooSide(name, SETTINGS[name], {})
    side.train(steps)  # warm-up: tracing, allocator, thread pools
    wall = wall_ms_per_step(side, steps)
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        side.train(steps)
        tf.profiler.experimental.stop()
        traces = glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True)
        data, _ = raw_to_tool_data.xspace_to_tool_data(traces, "framework_op_stats", {})
    table = json.loads(data)[0]
    columns = [column["id"] for column in table["cols"]]
    by_type: dict[str, float] = {}
    for row in table["rows"]:
        cells = dict(zip(columns, (cell.get("v") for cell in row["c"]), strict=True))
        if cells["host_or_device"] != "Host":
            continue
        by_type[cells["type"]] = by_type.get(cells["type"], 0.0) + cells["total_self_time"]
    return wall, by_type


def profile_torch(name: str, steps: int) -> tuple[float, dict[str, float]]:
    """Wall milliseconds per step unprofiled, and microseconds of self CPU time per ATen op
    over `steps` profiled training steps of PyTorch's side."""
    import torch

    side = TorchSide(name, SETTINGS[name], {})
    side.train(steps)
    wall = wall_ms_per_step(side, steps)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profiler:
        side.train(steps)
    return wall, {event.key: float(event.self_cpu_time_total)
                  for event in profiler.key_averages() if event.self_cpu_time_total > 0}


def side_row(wall_ms: float, by_type: dict[str, float], steps: int) -> dict:
    """A side's step: its wall time, its ops' self-time (the rest is the framework's own
    work between ops and waiting), and the top op types."""
    idle = by_type.pop(IDLE, 0.0)
    total = sum(by_type.values())
    top = sorted(by_type.items(), key=lambda item: -item[1])[:TOP]
    return {"wall_ms_per_step": round(wall_ms, 3),
            "op_ms_per_step": round(total / steps / 1e3, 3),
            "idle_ms_per_step": round(idle / steps / 1e3, 3),
            "ops": [{"op": op, "ms_per_step": round(us / steps / 1e3, 3),
                     "share": round(us / total, 4)} for op, us in top]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["lenet5"], choices=list(SETTINGS))
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--side", choices=("zoo", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.side:  # a worker: one side, one model, its table on stdout
        (name,) = args.models
        profile = profile_zoo if args.side == "zoo" else profile_torch
        print(json.dumps(side_row(*profile(name, args.steps), args.steps)))
        return 0

    rows = []
    for name in args.models:
        row = {"model": name, "batch": SETTINGS[name].batch,
               "optimizer": SETTINGS[name].optimizer, "steps": args.steps}
        for side in ("zoo", "torch"):
            done = subprocess.run(
                [sys.executable, __file__, "--side", side, "--models", name,
                 "--steps", str(args.steps)], capture_output=True, text=True, check=True,
                cwd=Path(__file__).resolve().parent)
            row[side] = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"\n{name}, {side}: {row[side]['wall_ms_per_step']:.2f} ms a step, of which "
                  f"{row[side]['op_ms_per_step']:.2f} ms in ops")
            for op in row[side]["ops"]:
                print(f"  {op['op']:40s} {op['ms_per_step']:8.3f} ms  {op['share']:6.1%}")
        rows.append(row)

    from zoo._io import write_json
    from zoo.benchmark import provenance

    write_json(RESULTS, {
        "benchmark": "profile_step",
        "description": "Self-time per operation type in training steps (zoo: TensorFlow's "
                       "profiler read by xprof, host ops; PyTorch: torch.profiler, ATen "
                       "ops), per step and as a share of the side's total; the top "
                       f"{TOP} of each side.",
        "cpu_count": os.cpu_count(), "results": rows,
        **provenance(" ".join(["python benchmarks/profile_step.py",
                               *(argv or sys.argv[1:])])),
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
