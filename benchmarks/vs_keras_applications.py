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
    for model in (reference, ours):
        model.compile(optimizer=keras.optimizers.SGD(1e-3),
                      loss="sparse_categorical_crossentropy")
    return {"zoo": ours, "keras": reference}


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
    print(f"{'model':<14} {'train zoo/keras':>16} {'infer zoo/keras':>16}   images/s (zoo, keras)")
    for name in args.models:
        medians = measure(build_pair(name, args.size, args.classes), x, y, args.steps,
                          args.rounds)
        row = {"model": name, **medians,
               "train_ratio": round(medians["zoo_train"] / medians["keras_train"], 3),
               "infer_ratio": round(medians["zoo_infer"] / medians["keras_infer"], 3)}
        rows.append(row)
        print(f"{name:<14} {row['train_ratio']:>16.3f} {row['infer_ratio']:>16.3f}   "
              f"train {medians['zoo_train']:.1f}, {medians['keras_train']:.1f}; "
              f"infer {medians['zoo_infer']:.1f}, {medians['keras_infer']:.1f}", flush=True)

    command = " ".join(["python benchmarks/vs_keras_applications.py",
                        *(argv or sys.argv[1:])])
    write_json(RESULTS, {
        "benchmark": "vs_keras_applications",
        "description": "zoo / keras.applications throughput (images/s), medians over rounds; "
                       "goal: ratios of at least 1.0.",
        "input_shape": [args.size, args.size, 3], "batch": args.batch, "steps": args.steps,
        "rounds": args.rounds, "cpu_count": os.cpu_count(), "results": rows,
        **provenance(command),
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
