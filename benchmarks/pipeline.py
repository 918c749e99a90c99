"""Does the zoo input pipeline keep LeNet-5 fed? Training throughput from `zoo.data.load`
against the same preprocessed batches already in memory.

    python benchmarks/pipeline.py                       # full 54,000-example train split
    python benchmarks/pipeline.py --limit 12800 --rounds 3

What is compared. Side A ("pipeline") is `zoo.data.load("fashion_mnist", "train",
batch_size=B)` as training uses it: cached uint8 examples, shuffled every epoch, scaled in a
parallel map, batched and prefetched. Side B ("in-memory") holds the very same examples,
preprocessed by the same `preprocess` (`zoo.data.arrays`), as float32 batches of the same size
in a `Dataset.from_tensor_slices(...).batch(B).cache()` that one full pass fills before any
fit. An epoch of B then only hands out batches already in memory: no shuffle, no map, no
batching, no prefetch thread.

Why it is fair. Both sides are `tf.data.Dataset`s, so Keras takes the same code path (the same
data adapter, the same traced train step fed by the iterator inside the `tf.function`); a
Python list or generator would add per-step Python and a different adapter to B, and numpy
arrays would make Keras build its own slicing pipeline. The only thing that differs is the
work the pipeline does per step, which is what is being measured. Both sides train the same
architecture from the same initial weights, with the same batch size, the same examples and
the same number of steps (the last batch may be smaller on both). Each side first runs one
warm-up epoch (tracing the train step, filling the pipeline's cache), not timed. Timed epochs
then alternate A B A B ... so that load from other processes falls on both sides, and the
report is each side's median over rounds and their ratio (the goal is >= 0.95); the median
of the per-round ratios, each from a pair timed back to back, is printed and recorded too.
An epoch is timed by a callback from `on_epoch_begin` to `on_epoch_end`, so it includes
creating the epoch's iterator (for A, the shuffle buffer fill) but not `fit`'s own setup.

Results land in benchmarks/results/pipeline.json (see `--json`).
"""

import argparse
import datetime
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import zoo  # noqa: E402
from zoo._io import write_json  # noqa: E402

DATASET = "fashion_mnist"
MODEL = "lenet5"
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "pipeline.json"
GOAL = 0.95
SIDES = ("pipeline", "in-memory")


class EpochTimer(keras.callbacks.Callback):
    """Records the wall time of each epoch, from `on_epoch_begin` to `on_epoch_end`."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._started)


def pipeline_dataset(batch_size, limit):
    """Side A: the zoo pipeline exactly as training gets it."""
    return zoo.data.load(DATASET, "train", batch_size=batch_size, limit=limit)


def in_memory_dataset(batch_size, limit):
    """Side B: the same preprocessed examples, batched once and held in a filled cache."""
    x, y = zoo.data.arrays(DATASET, "train", limit=limit)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size).cache()
    for _ in dataset:  # one full pass fills the cache; later epochs only read it
        pass
    return dataset, len(x)


def build_model(weights=None):
    """LeNet-5 compiled as its recipe trains it; `weights` makes two sides start alike."""
    model = zoo.get_model(MODEL)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    if weights is not None:
        model.set_weights(weights)
    return model


def timed_epoch(model, dataset):
    """Seconds one training epoch of `model` on `dataset` takes."""
    timer = EpochTimer()
    model.fit(dataset, epochs=1, verbose=0, shuffle=False, callbacks=[timer])  # A shuffles itself
    return timer.seconds[0]


def run_rounds(sides, rounds, examples):
    """Warm each side up once, then time one epoch per side per round, alternating."""
    for model, dataset in sides.values():
        timed_epoch(model, dataset)
    per_round = []
    for number in range(1, rounds + 1):
        row = {"round": number}
        for name, (model, dataset) in sides.items():
            seconds = timed_epoch(model, dataset)
            row[name] = {"seconds": round(seconds, 4),
                         "examples_per_second": round(examples / seconds, 1)}
        per_round.append(row)
        print(f"  round {number}: " + "  ".join(
            f"{name} {row[name]['examples_per_second']:,.0f}/s" for name in sides), flush=True)
    return per_round


def medians(per_round):
    """Each side's median examples/s over rounds."""
    return {name: round(statistics.median(row[name]["examples_per_second"] for row in per_round),
                        1) for name in SIDES}


def round_ratios(per_round):
    """pipeline / in-memory within each round (a pair timed back to back)."""
    return [row["pipeline"]["examples_per_second"] / row["in-memory"]["examples_per_second"]
            for row in per_round]


def print_table(per_round, median):
    """Examples/s per round and side with their ratio, then the medians and theirs."""
    print(f"\n{'round':>7} " + " ".join(f"{name + ' ex/s':>16}" for name in SIDES) + "   ratio")
    ratios = round_ratios(per_round)
    for row, ratio in zip(per_round, ratios, strict=True):
        print(f"{row['round']:>7} " + " ".join(
            f"{row[name]['examples_per_second']:>16,.0f}" for name in SIDES) + f"   {ratio:.3f}")
    print(f"{'median':>7} " + " ".join(f"{median[name]:>16,.0f}" for name in SIDES)
          + f"   {median['pipeline'] / median['in-memory']:.3f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--limit", type=int, help="examples to train on (default: all 54,000)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="results file")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    command = " ".join(["python benchmarks/pipeline.py", *(sys.argv[1:] if argv is None else argv)])
    started = time.perf_counter()

    memory, examples = in_memory_dataset(args.batch_size, args.limit)
    pipeline = pipeline_dataset(args.batch_size, args.limit)
    steps = math.ceil(examples / args.batch_size)
    first = build_model()
    sides = {"pipeline": (first, pipeline),
             "in-memory": (build_model(first.get_weights()), memory)}
    print(f"{MODEL} on {DATASET}: {examples:,} examples, batch {args.batch_size}, {steps} steps, "
          f"{args.rounds} rounds, {os.cpu_count()} CPUs", flush=True)

    per_round = run_rounds(sides, args.rounds, examples)
    median = medians(per_round)
    ratio = median["pipeline"] / median["in-memory"]
    print_table(per_round, median)
    print(f"pipeline / in-memory throughput ratio: {ratio:.2f} (goal >= {GOAL})")
    print(f"median of per-round ratios: {statistics.median(round_ratios(per_round)):.2f}")

    write_json(args.json, {
        "benchmark": "pipeline",
        "description": f"{MODEL} training throughput (examples/s) fed by zoo.data.load versus "
                       "the same preprocessed batches held in memory; medians over rounds.",
        "ratio": round(ratio, 4),
        "goal": GOAL,
        "median_of_round_ratios": round(statistics.median(round_ratios(per_round)), 4),
        "median_examples_per_second": median,
        "rounds_detail": per_round,
        "model": MODEL,
        "dataset": DATASET,
        "batch_size": args.batch_size,
        "steps": steps,
        "examples": examples,
        "rounds": args.rounds,
        "command": command,
        "zoo_version": zoo.__version__,
        "tensorflow_version": tf.__version__,
        "python_version": platform.python_version(),
        "date": datetime.date.today().isoformat(),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "cpu_count": os.cpu_count(),
    })
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
