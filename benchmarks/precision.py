"""Mixed precision and XLA, measured: training and inference speed of a zoo model in float32,
mixed bfloat16 and mixed float16, each with and without XLA (`jit_compile`).

    python benchmarks/precision.py                               # LeNet-5 and ResNet-20
    python benchmarks/precision.py --models resnet20 --rounds 9 --steps 30

Every configuration is built by zoo's own path (`zoo.train.precision.dtype_policy` and
`float32_outputs`, compiled by `compile_with_recipe`) and fed the same batch of real
Fashion-MNIST images, held in memory so that only the step is timed. Configurations run in
turn within a round, the order rotating from round to round; each is timed against float32
without XLA in the same round, and the ratios are quoted as a median with a 90% interval
(`zoo.benchmark.median_interval`). On a CPU the 16-bit types help only where the processor
has 16-bit arithmetic (AVX512-BF16 for bfloat16); on GPUs and TPUs they are what the
tensor cores compute in. Rows land in benchmarks/results/precision.json.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

import zoo  # noqa: E402
from zoo._io import write_json  # noqa: E402
from zoo.benchmark import median_interval, provenance  # noqa: E402
from zoo.train.evaluation import evaluation_pipeline  # noqa: E402
from zoo.train.fit import compile_with_recipe  # noqa: E402
from zoo.train.precision import PRECISIONS, dtype_policy, float32_outputs  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "precision.json"
CONFIGS = [(precision, jit) for precision in PRECISIONS for jit in (False, True)]
BASELINE = ("float32", False)


def build(name, precision, jit):
    card = zoo.model_card(name)
    with dtype_policy(precision):  # float32_outputs returns a float32 model as it is
        model = float32_outputs(zoo.get_model(name, **card.recipe.model_options))
    return compile_with_recipe(model, card, jit_compile=jit)


def seconds_per_step(model, batch, steps, train: bool) -> float:
    """Median seconds of `steps` timed calls, after two untimed ones (tracing, XLA)."""
    images, labels = batch
    call = (lambda: model.train_on_batch(images, labels)) if train else \
        (lambda: model.predict_on_batch(images))
    call()
    call()
    seconds = []
    for _ in range(steps):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def measure_model(name, args) -> dict:
    card = zoo.model_card(name)
    probe = zoo.get_model(name, **card.recipe.model_options)
    images, labels = next(iter(evaluation_pipeline(probe, card, card.dataset, "train",
                                                   card.recipe.batch_size)))
    batch = (tf.constant(images), tf.constant(labels))
    models = {config: build(name, *config) for config in CONFIGS}
    rounds = []
    for number in range(args.rounds):
        order = CONFIGS[number % len(CONFIGS):] + CONFIGS[:number % len(CONFIGS)]
        measured = {}
        for config in order:
            measured[config] = {
                "train": seconds_per_step(models[config], batch, args.steps, train=True),
                "infer": seconds_per_step(models[config], batch, args.steps, train=False)}
        rounds.append({f"{p}{'+xla' if j else ''}": v for (p, j), v in measured.items()})
        print(f"{name} round {number + 1}: " + ", ".join(
            f"{k} {1e3 * v['train']:.1f} ms" for k, v in rounds[-1].items()), flush=True)
    base = f"{BASELINE[0]}"
    speedups = {}
    for key in rounds[0]:
        speedups[key] = {
            kind: [round(v, 3) for v in median_interval(
                [r[base][kind] / r[key][kind] for r in rounds])]
            for kind in ("train", "infer")}
    return {
        "model": name, "batch": int(images.shape[0]),
        "examples_per_second": {
            key: {kind: round(images.shape[0] / statistics.median(r[key][kind] for r in rounds))
                  for kind in ("train", "infer")} for key in rounds[0]},
        "speedup_vs_float32": speedups, "rounds": rounds,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["lenet5", "resnet20"])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=20, help="timed steps per round")
    args = parser.parse_args(argv)
    rows = [measure_model(name, args) for name in args.models]
    for row in rows:
        print(row["model"], {k: v["train"][1] for k, v in row["speedup_vs_float32"].items()})
    write_json(RESULTS, {
        "benchmark": "precision",
        "description": "Training and inference steps per second of each precision, with and "
                       "without XLA, against float32 without XLA in the same round: "
                       "[low, median, high] of a 90% interval of the speed-up.",
        "cpu_count": os.cpu_count(), "rounds": args.rounds, "steps": args.steps,
        "cpu_flags": _cpu_flags(), "results": rows,
        **provenance(" ".join(["python benchmarks/precision.py", *(argv or sys.argv[1:])])),
    })
    return 0


def _cpu_flags() -> list[str]:
    """The processor's 16-bit arithmetic extensions, which decide what mixed precision gains
    on a CPU."""
    try:
        flags = Path("/proc/cpuinfo").read_text().split("flags")[1].split("\n")[0].split()
    except (OSError, IndexError):
        return []
    return sorted(f for f in flags if f in ("avx512_bf16", "avx512_fp16", "amx_bf16",
                                            "amx_fp16", "f16c", "avx512f"))


if __name__ == "__main__":
    sys.exit(main())
