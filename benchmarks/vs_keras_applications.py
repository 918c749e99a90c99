"""zoo models against keras.applications: training-step and inference throughput of the same
architecture, same input shape and batch, measured in one run.

    python benchmarks/vs_keras_applications.py
    python benchmarks/vs_keras_applications.py --models resnet50 vgg16 --size 128 --batch 16

For each pair both models are built with random weights (the zoo model then receives the
keras.applications weights, so both compute the same function), compiled with the same SGD
optimizer and loss, and warmed up once (tracing). Rounds then alternate zoo and keras so that
load from other processes falls on both; each round times `--steps` calls of
`train_on_batch` and of `predict_on_batch`. The table shows each side's median images/s and
their ratio (zoo / keras; goal: at least 1.0). Results land in
benchmarks/results/vs_keras_applications.json.

The zoo models reproduce keras.applications layer for layer, so the two graphs are the same
and their true ratio is 1.0: what a run measures beyond that is the machine's noise. To say how
much, each run also times a second, identical keras.applications model (`keras_copy`, the
A/A control) in the same rotation; a zoo/keras ratio inside the control's distance from 1.0
is parity within noise, and a ratio of at least 1.0 minus that distance is "not slower".
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import zoo  # noqa: E402
from zoo._io import write_json  # noqa: E402
from zoo.benchmark import provenance  # noqa: E402
from zoo.models._porting import port_weights  # noqa: E402

PAIRS = {
    "resnet50": keras.applications.ResNet50,
    "vgg16": keras.applications.VGG16,
    "inception_v3": keras.applications.InceptionV3,
    "densenet121": keras.applications.DenseNet121,
    "xception": keras.applications.Xception,
    "mobilenet_v2": keras.applications.MobileNetV2,
}
RESULTS = Path(__file__).resolve().parent / "results" / "vs_keras_applications.json"


def build_pair(name, size, classes):
    shape = (size, size, 3)
    reference = PAIRS[name](weights=None, input_shape=shape, classes=classes)
    ours = zoo.get_model(name, input_shape=shape, num_classes=classes)
    port_weights(reference, ours)
    control = PAIRS[name](weights=None, input_shape=shape, classes=classes)
    control.set_weights(reference.get_weights())
    for model in (reference, ours, control):
        model.compile(optimizer=keras.optimizers.SGD(1e-3),
                      loss="sparse_categorical_crossentropy")
    return {"zoo": ours, "keras": reference, "keras_copy": control}


def images_per_second(step, batch, steps):
    started = time.perf_counter()
    for _ in range(steps):
        step()
    return batch * steps / (time.perf_counter() - started)


def measure(models, x, y, steps, rounds):
    """Median images/s per side for training and inference, alternating sides each round."""
    for model in models.values():  # warm-up: trace both functions
        model.train_on_batch(x, y)
        model.predict_on_batch(x)
    samples = {(side, kind): [] for side in models for kind in ("train", "infer")}
    for _ in range(rounds):
        for side, model in models.items():
            samples[side, "train"].append(
                images_per_second(lambda m=model: m.train_on_batch(x, y), len(x), steps))
            samples[side, "infer"].append(
                images_per_second(lambda m=model: m.predict_on_batch(x), len(x), steps))
    return {f"{side}_{kind}": round(statistics.median(values), 2)
            for (side, kind), values in samples.items()}


def verdict(row) -> str:
    """"at least as fast" (ratios of 1.0 or more), "not slower (within noise)" (below 1.0 by
    no more than the A/A control strays from 1.0) or "slower", judged on the worse of training
    and inference."""
    worst = "at least as fast"
    for kind in ("train", "infer"):
        ratio, noise = row[f"{kind}_ratio"], abs(row[f"{kind}_control_ratio"] - 1.0)
        if ratio < 1.0 - noise:
            return "slower"
        if ratio < 1.0:
            worst = "not slower (within noise)"
    return worst


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=list(PAIRS), choices=list(PAIRS))
    parser.add_argument("--size", type=int, default=96, help="input height and width")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=3, help="calls timed per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--classes", type=int, default=10)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    x = rng.random((args.batch, args.size, args.size, 3), dtype=np.float32)
    y = rng.integers(0, args.classes, args.batch)

    rows = []
    print(f"{'model':<14} {'train zoo/keras':>16} {'(A/A control)':>14} "
          f"{'infer zoo/keras':>16} {'(A/A control)':>14}   verdict")
    for name in args.models:
        medians = measure(build_pair(name, args.size, args.classes), x, y, args.steps,
                          args.rounds)
        row = {"model": name, **medians}
        for kind in ("train", "infer"):
            row[f"{kind}_ratio"] = round(medians[f"zoo_{kind}"] / medians[f"keras_{kind}"], 3)
            row[f"{kind}_control_ratio"] = round(
                medians[f"keras_copy_{kind}"] / medians[f"keras_{kind}"], 3)
        row["verdict"] = verdict(row)
        rows.append(row)
        print(f"{name:<14} {row['train_ratio']:>16.3f} {row['train_control_ratio']:>14.3f} "
              f"{row['infer_ratio']:>16.3f} {row['infer_control_ratio']:>14.3f}   "
              f"{row['verdict']}", flush=True)

    command = " ".join(["python benchmarks/vs_keras_applications.py",
                        *(argv or sys.argv[1:])])
    write_json(RESULTS, {
        "benchmark": "vs_keras_applications",
        "description": "zoo / keras.applications throughput (images/s), medians over rounds; "
                       "goal: ratios of at least 1.0. keras_copy is an identical "
                       "keras.applications model timed alongside: its ratio to keras is "
                       "the noise of the run (A/A control).",
        "input_shape": [args.size, args.size, 3], "batch": args.batch, "steps": args.steps,
        "rounds": args.rounds, "cpu_count": os.cpu_count(), "results": rows,
        **provenance(command),
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
