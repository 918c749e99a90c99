"""What an epoch's end costs: zoo's pipelines with tf.data's autotuning model off (as
`zoo.data.feeding` runs them) against the same pipelines with it on (tf.data's default).

    python benchmarks/epoch_ends.py                          # LeNet-5 and ResNet-20, 9 rounds
    python benchmarks/epoch_ends.py --models lenet5 --rounds 5

Two copies of a zoo network (one set of initial weights, each compiled by the card's recipe)
train one epoch per round with validation, by `fit` on zoo's own Fashion-MNIST pipelines:
one side as `zoo.data.load` returns them, the other the very same pipelines with autotuning
turned back on. The sides alternate within a round, the order turning from round to round,
and each `fit` call is timed from call to return, since its end is when Keras drops the
epoch's iterators; that end, from `on_epoch_end` to the return, is recorded on its own too,
free of the machine's speed. The ratio per round is autotuning-on seconds over zoo's (above
1: zoo's epochs are faster), summarised by its median and a distribution-free 90% interval
(`zoo.benchmark.ratio_summary`). An epoch either waits or does not, so the ratio of the
sides' total seconds over all rounds is recorded beside it.

Results land in benchmarks/results/epoch_ends.json (a rerun replaces the rows it measured).
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "epoch_ends.json"
SIDES = ("zoo", "autotune_on")
# The examples each model's epoch trains on: LeNet-5 the whole training split (422 steps of
# 128), ResNet-20 the first 12,800 (100 steps) so that a round takes seconds, not minutes.
EPOCH_LIMITS = {"lenet5": None, "resnet20": 12_800}


def with_autotuning(dataset):
    """`dataset` with tf.data's autotuning model back on, as tf.data runs it by default."""
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = True
    return dataset.with_options(options)


def recipe_model(name: str, weights=None):
    """`name` as zoo builds it for Fashion-MNIST, compiled by its card's recipe."""
    import zoo
    from zoo.registry import card_of
    from zoo.train.fit import compile_with_recipe

    model = zoo.get_model(name, input_shape=(28, 28, 1), num_classes=10)
    if weights is not None:
        model.set_weights(weights)
    compile_with_recipe(model, card_of(name))
    return model


class EpochEnd(keras.callbacks.Callback):
    """Notes when the epoch's `on_epoch_end` ran: what `fit` does after it (validation is
    done by then) is mostly dropping the epoch's iterators."""

    at = None

    def on_epoch_end(self, epoch, logs=None):
        self.at = time.perf_counter()


def measure_epochs(name: str, rounds: int) -> dict:
    import zoo
    from zoo.benchmark import ratio_summary

    limit = EPOCH_LIMITS[name]
    train = zoo.data.load("fashion_mnist", "train", batch_size=128, limit=limit)
    validation = zoo.data.load("fashion_mnist", "validation", batch_size=128)
    first = recipe_model(name)
    models = {"zoo": first, "autotune_on": recipe_model(name, first.get_weights())}
    data = {"zoo": (train, validation),
            "autotune_on": (with_autotuning(train), with_autotuning(validation))}

    def epoch(side):
        """Seconds of one `fit` call, and of its end alone: from `on_epoch_end` to return."""
        ended = EpochEnd()
        started = time.perf_counter()
        models[side].fit(data[side][0], validation_data=data[side][1], epochs=1, verbose=0,
                         callbacks=[ended])
        returned = time.perf_counter()
        return returned - started, returned - ended.at

    for side in SIDES:
        epoch(side)  # warm-up: tracing, the pipelines' caches
    seconds = {side: [] for side in SIDES}
    ends = {side: [] for side in SIDES}
    for round_ in range(rounds):
        for side in SIDES if round_ % 2 == 0 else SIDES[::-1]:
            whole, end = epoch(side)
            seconds[side].append(whole)
            ends[side].append(end)
        print(f"{name} round {round_ + 1}: " + ", ".join(
            f"{side} {seconds[side][-1]:.2f} s (end {ends[side][-1]:.2f} s)" for side in SIDES),
            flush=True)
    per_round = [on / off for on, off in zip(seconds["autotune_on"], seconds["zoo"],
                                            strict=True)]
    return {"model": name, "train_examples": limit or "all (54,000)",
            "steps": int(train.cardinality()),
            **{f"{side}_epoch_seconds": round(statistics.median(seconds[side]), 3)
               for side in SIDES},
            **ratio_summary("speedup", per_round),
            # The waits are all or nothing, so the median can miss them: the whole run's
            # seconds, what a user's training of `rounds` epochs takes, are kept too.
            **{f"{side}_seconds_rounds": [round(t, 3) for t in seconds[side]]
               for side in SIDES},
            "total_speedup": round(sum(seconds["autotune_on"]) / sum(seconds["zoo"]), 3),
            **{f"{side}_end_seconds_rounds": [round(t, 3) for t in ends[side]]
               for side in SIDES},
            "rounds": rounds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=list(EPOCH_LIMITS),
                        choices=list(EPOCH_LIMITS))
    parser.add_argument("--rounds", type=int, default=9,
                        help="rounds (at least 5 for a 90%% interval)")
    args = parser.parse_args(argv)

    from zoo._io import write_json
    from zoo.benchmark import provenance

    command = " ".join(["python benchmarks/epoch_ends.py", *(argv or sys.argv[1:])])
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    epochs = {row["model"]: row for row in previous.get("epochs", [])}
    for name in args.models:
        row = {**measure_epochs(name, args.rounds), **provenance(command)}
        epochs[name] = row
        low, high = row["speedup_interval"]
        print(f"{name:<9} epoch {row['zoo_epoch_seconds']:.2f} s (zoo) / "
              f"{row['autotune_on_epoch_seconds']:.2f} s (autotuning on): autotuning on takes "
              f"{row['speedup']:.3f}x [{low:.3f}, {high:.3f}], {row['total_speedup']:.3f}x "
              f"over all {row['rounds']} epochs", flush=True)
    write_json(RESULTS, {
        "benchmark": "epoch_ends",
        "description": "zoo's Fashion-MNIST pipelines with tf.data's autotuning model off "
                       "(zoo.data.feeding) against the same pipelines with it on: the wall "
                       "time of one-epoch fits with validation and of their ends alone "
                       "(on_epoch_end to the return of fit), alternating in one process "
                       "(speedup = autotuning-on seconds / zoo's, per round; total_speedup "
                       "over all rounds).",
        "cpu_count": os.cpu_count(),
        "epochs": [epochs[name] for name in EPOCH_LIMITS if name in epochs],
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
