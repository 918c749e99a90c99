"""zoo models against keras.applications: training-step and inference throughput of the same
architecture, same input shape and batch, measured in one run.

    python benchmarks/vs_keras_applications.py
    python benchmarks/vs_keras_applications.py --models resnet50 vgg16 --size 128 --batch 16

For each pair both models are built with random weights (the zoo model then receives the
keras.applications weights, so both compute the same function), compiled with the same SGD
optimizer and loss, and warmed up once (tracing). Each round then times `--steps` calls of
`train_on_batch` and of `predict_on_batch` on every side, in an order that rotates from round
to round, so that neither load from other processes nor the position in the round favours a
side. Results land in benchmarks/results/vs_keras_applications.json.

The zoo models reproduce keras.applications layer for layer, so in inference the two graphs
are the same and their true ratio is 1.0: what a run measures beyond that is the machine's
noise. In training zoo's batch normalisation runs TensorFlow's fused kernel
(`zoo.layers.normalization.FusedBatchNormalization`), so there zoo may be faster. The
figure of merit is therefore the zoo/keras ratio within each round (both sides saw the same
load), summarised by its median over rounds and a distribution-free 90% interval for that
median (`zoo.benchmark.median_interval`). A side is "slower" only when the whole interval lies
below 1.0; "at least as fast" when the median ratio is 1.0 or more; otherwise "not slower
(within noise)". As an A/A control each run also times a second, identical
keras.applications model (`keras_copy`) in the same rotation and judges it the same way: a
control judged "slower" means the run itself was too noisy to judge, and the verdict says so.
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
from zoo.benchmark import median_interval, provenance, ratio_summary  # noqa: E402
from zoo.models.vision._porting import port_weights  # noqa: E402

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
    """Images/s per side, kind ("train", "infer") and round; the order of the sides rotates
    every round."""
    for model in models.values():  # warm-up: trace both functions
        model.train_on_batch(x, y)
        model.predict_on_batch(x)
    sides = list(models)
    samples = {(side, kind): [] for side in sides for kind in ("train", "infer")}
    for round_ in range(rounds):
        shift = round_ % len(sides)
        for side in sides[shift:] + sides[:shift]:
            model = models[side]
            samples[side, "train"].append(
                images_per_second(lambda m=model: m.train_on_batch(x, y), len(x), steps))
            samples[side, "infer"].append(
                images_per_second(lambda m=model: m.predict_on_batch(x), len(x), steps))
    return samples


def judge(low, median, high) -> str:
    """The verdict on one ratio (side / keras) from its median and interval."""
    if high < 1.0:
        return "slower"
    return "at least as fast" if median >= 1.0 else "not slower (within noise)"


def summarise(name, samples) -> dict:
    """One result row: median images/s per side, and per kind the per-round zoo/keras and
    control/keras ratios with their medians, 90% intervals and verdicts."""
    row = {"model": name}
    for (side, kind), values in samples.items():
        row[f"{side}_{kind}"] = round(statistics.median(values), 2)
    verdicts = []
    for kind in ("train", "infer"):
        judged = []
        for side, label in (("zoo", "ratio"), ("keras_copy", "control_ratio")):
            per_round = [ours / theirs for ours, theirs
                         in zip(samples[side, kind], samples["keras", kind], strict=True)]
            row.update(ratio_summary(f"{kind}_{label}", per_round))
            judged.append(judge(*median_interval(per_round)))
        verdicts.append(tuple(judged))
    row["verdict"] = verdict(verdicts)
    return row


def verdict(verdicts) -> str:
    """The pair's verdict from (zoo, control) verdicts per kind: the worse of training and
    inference, unless the A/A control itself came out "slower" (the run was too noisy)."""
    if any(control == "slower" for _, control in verdicts):
        return "inconclusive (the A/A control differs)"
    order = ("slower", "not slower (within noise)", "at least as fast")
    return min((zoo_verdict for zoo_verdict, _ in verdicts), key=order.index)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=list(PAIRS), choices=list(PAIRS))
    parser.add_argument("--size", type=int, default=96, help="input height and width")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=3, help="calls timed per round")
    parser.add_argument("--rounds", type=int, default=9,
                        help="rounds (at least 5 for a 90%% interval)")
    parser.add_argument("--classes", type=int, default=10)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    x = rng.random((args.batch, args.size, args.size, 3), dtype=np.float32)
    y = rng.integers(0, args.classes, args.batch)

    rows = []
    print(f"{'model':<14} {'train zoo/keras [90%]':>24} {'(A/A control)':>14} "
          f"{'infer zoo/keras [90%]':>24} {'(A/A control)':>14}   verdict")
    for name in args.models:
        samples = measure(build_pair(name, args.size, args.classes), x, y, args.steps,
                          args.rounds)
        row = summarise(name, samples)
        rows.append(row)
        cells = []
        for kind in ("train", "infer"):
            low, high = row[f"{kind}_ratio_interval"]
            cells += [f"{row[f'{kind}_ratio']:.3f} [{low:.3f}, {high:.3f}]",
                      f"{row[f'{kind}_control_ratio']:.3f}"]
        print(f"{name:<14} {cells[0]:>24} {cells[1]:>14} {cells[2]:>24} {cells[3]:>14}   "
              f"{row['verdict']}", flush=True)

    command = " ".join(["python benchmarks/vs_keras_applications.py",
                        *(argv or sys.argv[1:])])
    write_json(RESULTS, {
        "benchmark": "vs_keras_applications",
        "description": "zoo / keras.applications throughput (images/s), medians over rounds; "
                       "ratios are taken within each round, with their median and a "
                       "distribution-free 90% interval for it. Goal: never slower (no "
                       "interval wholly below 1.0). keras_copy is an identical "
                       "keras.applications model timed alongside and judged the same way "
                       "(A/A control).",
        "input_shape": [args.size, args.size, 3], "batch": args.batch, "steps": args.steps,
        "rounds": args.rounds, "cpu_count": os.cpu_count(), "results": rows,
        **provenance(command),
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
