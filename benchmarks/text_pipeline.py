"""Does the TFDS-backed text pipeline keep a small text model fed? Training throughput on
Reuters R8 from `zoo.data.load` against the same string batches already in memory.

    python benchmarks/text_pipeline.py                  # 9 rounds, batch 128
    python benchmarks/text_pipeline.py --rounds 5 --batch-size 64

What is compared. Side A ("pipeline") is `zoo.data.load("reuters_r8", "train", batch_size=B)`
as training uses it: TFDS's files read once into the cache, shuffled every epoch, batched and
prefetched (text needs no map). Side B ("in-memory") holds the very same examples
(`zoo.data.raw_arrays`, the same validation carve) as string batches of the same size in a
`Dataset.from_tensor_slices(...).batch(B).cache()` that one full pass fills before any fit.
An epoch of B only hands out batches already in memory.

The model, built here: `TextVectorization` (20,000 tokens, sequences cut or padded to 256
tokens, vocabulary adapted once on the training texts and shared by both sides) inside the
model, then `Embedding(20000, 64)`, `GlobalAveragePooling1D` and a softmax `Dense(8)`. With a
fixed sequence length the work per batch does not depend on which texts it holds, so the two
sides' different orders cost the same.

Why it is fair. Both sides are `tf.data.Dataset`s, so Keras takes the same code path; both
train the same architecture from the same initial weights, with the same batch size, the same
examples and the same number of steps. Each side first runs one warm-up epoch (tracing, and
filling A's cache from TFDS's files), not timed. Timed epochs then alternate, the side that
goes first swapping every round, so that load from other processes and the position in the
round fall on both. The figure is the pipeline / in-memory ratio within each round (a pair
timed back to back), summarised by its median and a distribution-free 90% interval for that
median (`zoo.benchmark.median_interval`); the goal is a median of at least 0.95. An epoch is
timed by a callback from `on_epoch_begin` to `on_epoch_end`, so it includes creating the
epoch's iterator (for A, the shuffle buffer filling from the cache) but not `fit`'s own setup.
Beside the wall time, each epoch's CPU time of this process is recorded, and its
in-memory / pipeline ratio summarised the same way: the work the pipeline adds, which other
processes on a shared machine do not disturb as much as they disturb wall time. Last, each
side's dataset is iterated alone, without the model, to time what handing out one epoch's
batches costs by itself.

Results land in benchmarks/results/text_pipeline.json (see `--json`).
"""

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import zoo  # noqa: E402
from zoo._io import write_json  # noqa: E402
from zoo.benchmark import median_interval, provenance  # noqa: E402

DATASET = "reuters_r8"
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "text_pipeline.json"
GOAL = 0.95
SIDES = ("pipeline", "in-memory")
MAX_TOKENS, SEQUENCE_LENGTH, EMBEDDING = 20_000, 256, 64
MODEL = (f"TextVectorization({MAX_TOKENS}, length {SEQUENCE_LENGTH}) + Embedding("
         f"{EMBEDDING}) + GlobalAveragePooling1D + Dense(softmax)")


class EpochTimer(keras.callbacks.Callback):
    """Records the wall time and this process' CPU time of each epoch, from `on_epoch_begin`
    to `on_epoch_end`."""

    def __init__(self):
        super().__init__()
        self.seconds, self.cpu_seconds = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self._started = (time.perf_counter(), time.process_time())

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._started[0])
        self.cpu_seconds.append(time.process_time() - self._started[1])


def pipeline_dataset(batch_size):
    """Side A: the zoo pipeline exactly as training gets it."""
    return zoo.data.load(DATASET, "train", batch_size=batch_size)


def in_memory_dataset(texts, labels, batch_size):
    """Side B: the same examples, batched once and held in a filled cache."""
    dataset = tf.data.Dataset.from_tensor_slices((texts.astype(str), labels))
    dataset = dataset.batch(batch_size).cache()
    for _ in dataset:  # one full pass fills the cache; later epochs only read it
        pass
    return dataset


def build_model(vocabulary, num_classes, weights=None):
    """The small text classifier, compiled; `weights` makes two sides start alike."""
    vectorize = keras.layers.TextVectorization(
        max_tokens=MAX_TOKENS, output_sequence_length=SEQUENCE_LENGTH, vocabulary=vocabulary)
    inputs = keras.Input(shape=(), dtype="string")
    x = keras.layers.Embedding(MAX_TOKENS, EMBEDDING)(vectorize(inputs))
    x = keras.layers.GlobalAveragePooling1D()(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs, name="text_bag_of_embeddings")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    if weights is not None:
        model.set_weights(weights)
    return model


def timed_epoch(model, dataset):
    """(wall seconds, CPU seconds) one training epoch of `model` on `dataset` takes."""
    timer = EpochTimer()
    model.fit(dataset, epochs=1, verbose=0, shuffle=False, callbacks=[timer])  # A shuffles itself
    return timer.seconds[0], timer.cpu_seconds[0]


def run_rounds(sides, rounds, examples):
    """Warm each side up once, then time one epoch per side per round, the first side
    swapping every round."""
    for model, dataset in sides.values():
        timed_epoch(model, dataset)
    per_round = []
    for number in range(1, rounds + 1):
        row = {"round": number, "order": list(SIDES if number % 2 else SIDES[::-1])}
        for name in row["order"]:
            model, dataset = sides[name]
            seconds, cpu_seconds = timed_epoch(model, dataset)
            row[name] = {"seconds": round(seconds, 4), "cpu_seconds": round(cpu_seconds, 4),
                         "examples_per_second": round(examples / seconds, 1)}
        row["ratio"] = round(row["in-memory"]["seconds"] / row["pipeline"]["seconds"], 4)
        row["cpu_ratio"] = round(row["in-memory"]["cpu_seconds"]
                                 / row["pipeline"]["cpu_seconds"], 4)
        per_round.append(row)
        print(f"  round {number}: " + "  ".join(
            f"{name} {row[name]['examples_per_second']:,.0f}/s" for name in SIDES)
            + f"  ratio {row['ratio']:.3f}", flush=True)
    return per_round


def iteration_ms(sides, repeats=20):
    """Each side's dataset alone, without the model: median milliseconds (wall and CPU) to
    hand out one epoch's batches. The pipeline's own cost, which other processes' load hardly
    blurs, against which the training ratio can be read."""
    times = {name: ([], []) for name in SIDES}
    for _ in range(repeats):
        for name in SIDES:
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in sides[name][1]:
                pass
            times[name][0].append(time.perf_counter() - wall)
            times[name][1].append(time.process_time() - cpu)
    return {name: {"wall_ms": round(1000 * statistics.median(wall), 2),
                   "cpu_ms": round(1000 * statistics.median(cpu), 2)}
            for name, (wall, cpu) in times.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=9,
                        help="rounds (at least 5 for a 90%% interval)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="results file")
    args = parser.parse_args(argv)
    if args.rounds < 5:
        parser.error("--rounds must be at least 5 (a 90% interval for the median needs 5)")
    command = " ".join(["python benchmarks/text_pipeline.py",
                        *(sys.argv[1:] if argv is None else argv)])
    started = time.perf_counter()
    keras.utils.set_random_seed(args.seed)

    texts, labels = zoo.data.raw_arrays(DATASET, "train")
    vectorize = keras.layers.TextVectorization(max_tokens=MAX_TOKENS)
    vectorize.adapt(texts.astype(str))
    vocabulary = vectorize.get_vocabulary()
    classes = zoo.data.dataset_info(DATASET).num_classes
    first = build_model(vocabulary, classes)
    sides = {"pipeline": (first, pipeline_dataset(args.batch_size)),
             "in-memory": (build_model(vocabulary, classes, first.get_weights()),
                           in_memory_dataset(texts, labels, args.batch_size))}
    examples, steps = len(texts), math.ceil(len(texts) / args.batch_size)
    print(f"{MODEL} on {DATASET}: {examples:,} examples, batch {args.batch_size}, {steps} steps, "
          f"{args.rounds} rounds, {os.cpu_count()} CPUs", flush=True)

    per_round = run_rounds(sides, args.rounds, examples)
    alone = iteration_ms(sides)
    low, ratio, high = median_interval([row["ratio"] for row in per_round])
    cpu_low, cpu_ratio, cpu_high = median_interval([row["cpu_ratio"] for row in per_round])
    median = {name: round(statistics.median(row[name]["examples_per_second"]
                                            for row in per_round), 1) for name in SIDES}
    print(f"\npipeline / in-memory throughput ratio, median of rounds: {ratio:.3f} "
          f"(90% interval {low:.3f}-{high:.3f}; goal >= {GOAL}); medians "
          f"{median['pipeline']:,.0f} vs {median['in-memory']:,.0f} examples/s")
    print(f"CPU time (this process) in-memory / pipeline, median of rounds: {cpu_ratio:.3f} "
          f"(90% interval {cpu_low:.3f}-{cpu_high:.3f})")
    print("one epoch of batches without the model: " + ", ".join(
        f"{name} {alone[name]['wall_ms']:.1f} ms ({alone[name]['cpu_ms']:.1f} ms CPU)"
        for name in SIDES))

    write_json(args.json, {
        "benchmark": "text_pipeline",
        "description": "Training throughput (examples/s) of a small text classifier on "
                       "reuters_r8 fed by zoo.data.load (TFDS files, cache, shuffle, batch, "
                       "prefetch) versus the same string batches held in memory; ratio = "
                       "median of the per-round pipeline/in-memory throughput ratios, with a "
                       "distribution-free 90% interval for that median; cpu_ratio the same "
                       "for this process' CPU time per epoch (in-memory/pipeline).",
        "ratio": round(ratio, 4),
        "ratio_interval": [round(low, 4), round(high, 4)],
        "goal": GOAL,
        "meets_goal": ratio >= GOAL,
        "cpu_ratio": round(cpu_ratio, 4),
        "cpu_ratio_interval": [round(cpu_low, 4), round(cpu_high, 4)],
        "median_examples_per_second": median,
        "iteration_ms_per_epoch": alone,
        "rounds_detail": per_round,
        "model": MODEL,
        "dataset": DATASET,
        "split": "train",
        "batch_size": args.batch_size,
        "steps": steps,
        "examples": examples,
        "rounds": args.rounds,
        "seed": args.seed,
        **provenance(command),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "cpu_count": os.cpu_count(),
    })
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
