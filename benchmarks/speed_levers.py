"""One speed lever at a time: the same network trained with and without it, in one process.

    python benchmarks/speed_levers.py                                  # every lever, 15 rounds
    python benchmarks/speed_levers.py --levers covering_conv --rounds 5

Issue 18 asks for each of zoo's speed levers to be measured on its own. A lever's two sides are
one network: the side without it is a clone of the zoo model with the lever's layers swapped
back for Keras' own (same weights, config and outputs) or compiled without the lever's
option. Both train by `keras.Model.fit` on the same cached batches, with the same optimiser
and steps as `benchmarks/vs_pytorch.py` (its `SETTINGS`, `batches` and `ZooSide`), alternating
within each round, the order turning from round to round. The figure is with / without
images per second within a round, summarised by its median and a distribution-free 90%
interval (`zoo.benchmark.median_interval`). Rows land in benchmarks/results/speed_levers.json
(a rerun replaces the rows of the levers it ran).
"""

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from epoch_ends import with_autotuning  # noqa: E402
from vs_pytorch import SETTINGS, ZooSide, zoo_model  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "speed_levers.json"


def _covering_conv():
    import keras

    from zoo.layers.convolution import CoveringConv2D

    return {CoveringConv2D: keras.layers.Conv2D}


def _fused_batch_norm():
    import keras

    from zoo.layers.normalization import FusedBatchNormalization

    return {FusedBatchNormalization: keras.layers.BatchNormalization}


def _pooled_subsample():
    from zoo.layers.residual import ZeroPaddedShortcut

    class SlicedZeroPaddedShortcut(ZeroPaddedShortcut):
        """The shortcut as zoo wrote it before the lever: subsampled by a strided slice."""

        def subsample(self, inputs):
            return inputs[:, ::self.stride, ::self.stride, :]

    return {ZeroPaddedShortcut: SlicedZeroPaddedShortcut}


@dataclasses.dataclass(frozen=True)
class Lever:
    model: str  # a name of vs_pytorch.SETTINGS
    description: str
    swaps: object = None  # () -> {zoo layer class: the Keras class the side without uses}
    compile_without: dict = dataclasses.field(default_factory=dict)  # the side without's
    data_without: object = None  # (the side's tf.data batches) -> the side without's


LEVERS = {
    "covering_conv": Lever(
        "lenet5", "C5 as zoo.layers.convolution.CoveringConv2D (a matrix product) against "
        "keras.layers.Conv2D", swaps=_covering_conv),
    "steps_per_execution": Lever(
        "lenet5", "the recipe's 16 batches per call of the training function against 1",
        compile_without={"steps_per_execution": 1}),
    "fused_batch_norm": Lever(
        "resnet20", "zoo.layers.normalization.FusedBatchNormalization against "
        "keras.layers.BatchNormalization", swaps=_fused_batch_norm),
    "pooled_subsample": Lever(
        "resnet20", "the zero-padded shortcut subsampling by a 1x1 average pool against a "
        "strided slice (the same values and gradients)", swaps=_pooled_subsample),
    "pipeline_options": Lever(
        "resnet20", "batches fed with tf.data's autotuning model off (zoo.data.feeding) "
        "against on, tf.data's default (each timed fit makes and drops one iterator)",
        data_without=with_autotuning),
}


def without(model, swaps: dict):
    """A clone of `model` whose layers of a class in `swaps` are the Keras class it maps to,
    built from the same config and given the same weights."""
    import keras

    def clone(layer):
        cls = swaps.get(type(layer), type(layer))
        return cls.from_config(layer.get_config())

    twin = keras.models.clone_model(model, clone_function=clone)
    twin.set_weights(model.get_weights())
    return twin


def sides(lever_name: str) -> dict:
    """The lever's two sides, compiled and fed: {"with": ZooSide, "without": ZooSide}."""
    lever = LEVERS[lever_name]
    setting = SETTINGS[lever.model]
    model = zoo_model(lever.model, setting)
    # A clone even where no layer changes: two compiled models, one set of weights.
    twin = without(model, lever.swaps() if lever.swaps else {})
    pair = {"with": ZooSide(lever.model, setting, {}, model=model),
            "without": ZooSide(lever.model, setting, lever.compile_without, model=twin)}
    if lever.data_without is not None:
        pair["without"].data = lever.data_without(pair["without"].data)
    return pair


def measure(lever_name: str, rounds: int) -> dict:
    from zoo.benchmark import ratio_summary

    lever = LEVERS[lever_name]
    steps = SETTINGS[lever.model].steps
    pair = sides(lever_name)
    for side in pair.values():
        side.train(2 * side.model.steps_per_execution)  # warm-up: tracing, thread pools
    rates = {name: [] for name in pair}
    for round_ in range(rounds):
        order = list(pair) if round_ % 2 == 0 else list(pair)[::-1]
        for name in order:
            started = time.perf_counter()
            pair[name].train(steps)
            rates[name].append(SETTINGS[lever.model].batch * steps
                               / (time.perf_counter() - started))
    per_round = [a / b for a, b in zip(rates["with"], rates["without"], strict=True)]
    return {"lever": lever_name, "model": lever.model, "description": lever.description,
            "compiled": {name: side.compiled for name, side in pair.items()},
            "with": round(statistics.median(rates["with"]), 1),
            "without": round(statistics.median(rates["without"]), 1),
            **ratio_summary("ratio", per_round)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levers", nargs="+", default=list(LEVERS), choices=list(LEVERS))
    parser.add_argument("--rounds", type=int, default=15,
                        help="rounds (at least 5 for a 90%% interval)")
    args = parser.parse_args(argv)

    from zoo._io import write_json
    from zoo.benchmark import provenance

    command = " ".join(["python benchmarks/speed_levers.py", *(argv or sys.argv[1:])])
    rows = []
    for name in args.levers:
        row = {**measure(name, args.rounds), "rounds": args.rounds, **provenance(command)}
        rows.append(row)
        low, high = row["ratio_interval"]
        print(f"{name:<20} {row['model']:<9} {row['with']:>9.1f} / {row['without']:>9.1f} "
              f"images/s = {row['ratio']:.3f} [{low:.3f}, {high:.3f}]", flush=True)
    previous = json.loads(RESULTS.read_text())["results"] if RESULTS.exists() else []
    kept = [row for row in previous if row["lever"] not in args.levers]
    write_json(RESULTS, {
        "benchmark": "speed_levers",
        "description": "Training images/s of a zoo network with one speed lever against the "
                       "same network without it (same weights, data, optimiser and steps), "
                       "alternating in one process; ratios within each round, their median "
                       "and a distribution-free 90% interval.",
        "cpu_count": os.cpu_count(),
        "results": sorted(kept + rows, key=lambda row: list(LEVERS).index(row["lever"])),
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
