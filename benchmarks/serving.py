"""Serving speed and the deployment formats: the exported SavedModel's signature against the
Keras model called in-process, and TFLite (float, int8) and ONNX against the SavedModel.

    python benchmarks/serving.py                          # LeNet-5, the MLP and MobileNetV2
    python benchmarks/serving.py --models mobilenet_v2 --epochs 5 --rounds 9

Each model is trained on Fashion-MNIST (`zoo.train`, `--epochs`), exported as a SavedModel
(`zoo.export`, loaded back by `tf.saved_model.load`), as TFLite float and int8 (calibrated on
256 training images) and as ONNX (`zoo.export.formats`), and run in its own runtime:
TensorFlow, LiteRT's interpreter and ONNX Runtime, each with every core. The Keras reference
is the model's call compiled by `tf.function` (what `predict` runs, without its per-call
bookkeeping).

Per round, every runtime in turn answers `--calls` single-image requests (latency: p50 and
p99 of the calls) and `--batches` batches of 64 (throughput); the order rotates from round to
round. Ratios are taken within a round and quoted as a median with a 90% interval
(`zoo.benchmark.median_interval`), since this machine's speed drifts. Accuracy is each
runtime's on the 10,000 test images. Rows land in benchmarks/results/serving.json.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import zoo  # noqa: E402
from zoo._io import write_json  # noqa: E402
from zoo.benchmark import median_interval, provenance  # noqa: E402
from zoo.export.formats import LiteRTRunner, ONNXRunner, export_format  # noqa: E402
from zoo.train.evaluation import evaluation_pipeline  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "serving.json"
BATCH = 64
RUNTIMES = ("keras", "saved_model", "tflite", "tflite_int8", "onnx")


def runtimes_for(model, card, scratch: Path) -> tuple[dict, dict]:
    """Each runtime as a function of a float32 batch, and the size of each artifact."""
    keras_call = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    exported = zoo.export(model, model.name, root=scratch / "saved_models")
    signature = tf.saved_model.load(str(exported)).signatures["serving_default"]
    (input_name,) = signature.structured_input_signature[1]
    calibration = evaluation_pipeline(model, card, card.dataset, "train", 256).take(1)
    files = {fmt: export_format(model, scratch / f"{model.name}_{fmt}{suffix}", fmt,
                                representative_data=calibration)
             for fmt, suffix in (("tflite", ".tflite"), ("tflite_int8", ".tflite"),
                                 ("onnx", ".onnx"))}
    runners = {
        "keras": lambda x: keras_call(tf.constant(x)).numpy(),
        # A classifier's signature names its outputs "probabilities" and "class_id".
        "saved_model": lambda x: signature(**{input_name: tf.constant(x)})[
            "probabilities"].numpy(),
        "tflite": LiteRTRunner(files["tflite"]),
        "tflite_int8": LiteRTRunner(files["tflite_int8"]),
        "onnx": ONNXRunner(files["onnx"]),
    }
    sizes = {"saved_model": sum(p.stat().st_size for p in exported.rglob("*") if p.is_file()),
             **{fmt: path.stat().st_size for fmt, path in files.items()}}
    return runners, sizes


def timed_calls(run, batches) -> list[float]:
    """Seconds of each call, after one untimed call (graph tracing, buffer allocation)."""
    run(batches[0])
    seconds = []
    for batch in batches:
        started = time.perf_counter()
        run(batch)
        seconds.append(time.perf_counter() - started)
    return seconds


def accuracy(run, test) -> float:
    correct = total = 0
    for images, labels in test:
        predicted = run(images).argmax(-1)
        correct += int((predicted == labels).sum())
        total += len(labels)
    return correct / total


def measure_model(name, args, scratch: Path) -> dict:
    card = zoo.model_card(name)
    result = zoo.train(name, epochs=args.epochs, verbose=0, tensorboard=False,
                       runs_root=scratch / "runs")
    model = result.model
    runners, sizes = runtimes_for(model, card, scratch)
    test = [(x.numpy(), y.numpy()) for x, y in
            evaluation_pipeline(model, card, card.dataset, "test", 500)]
    images = np.concatenate([x for x, _ in test])
    rng = np.random.default_rng(0)
    singles = [images[i:i + 1] for i in rng.integers(0, len(images), args.calls)]
    batches = [images[i:i + BATCH] for i in rng.integers(0, len(images) - BATCH, args.batches)]

    rounds = []
    for number in range(args.rounds):
        order = RUNTIMES[number % len(RUNTIMES):] + RUNTIMES[:number % len(RUNTIMES)]
        measured = {}
        for runtime in order:
            latency = timed_calls(runners[runtime], singles)
            batch_seconds = timed_calls(runners[runtime], batches)
            measured[runtime] = {
                "p50_ms": 1e3 * statistics.median(latency),
                "p99_ms": 1e3 * float(np.percentile(latency, 99)),
                "images_per_second": BATCH / statistics.median(batch_seconds)}
        rounds.append(measured)
        print(f"{name} round {number + 1}: " + ", ".join(
            f"{r} {m['p50_ms']:.2f} ms" for r, m in measured.items()), flush=True)

    def ratio(runtime, reference, figure):
        return median_interval([r[runtime][figure] / r[reference][figure] for r in rounds])

    summary = {}
    for runtime in RUNTIMES:
        summary[runtime] = {
            figure: round(statistics.median(r[runtime][figure] for r in rounds), 3)
            for figure in ("p50_ms", "p99_ms", "images_per_second")}
        summary[runtime]["accuracy"] = round(accuracy(runners[runtime], test), 4)
        summary[runtime]["bytes"] = sizes.get(runtime)
    return {
        "model": name, "dataset": card.dataset, "epochs": args.epochs,
        "input_shape": list(images.shape[1:]), "test_examples": len(images),
        "runtimes": summary,
        "saved_model_vs_keras_p50": [round(v, 3) for v in ratio("saved_model", "keras",
                                                                 "p50_ms")],
        "speedup_vs_saved_model_p50": {
            fmt: [round(1 / v, 3) for v in reversed(ratio(fmt, "saved_model", "p50_ms"))]
            for fmt in ("tflite", "tflite_int8", "onnx")},
        "speedup_vs_saved_model_throughput": {
            fmt: [round(v, 3) for v in ratio(fmt, "saved_model", "images_per_second")]
            for fmt in ("tflite", "tflite_int8", "onnx")},
        "int8_accuracy_change": round(summary["tflite_int8"]["accuracy"]
                                      - summary["saved_model"]["accuracy"], 4),
        "rounds": rounds,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["lenet5", "mlp", "mobilenet_v2"])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300, help="single-image calls a round")
    parser.add_argument("--batches", type=int, default=20, help="batches of 64 a round")
    args = parser.parse_args(argv)

    rows = []
    scratch = Path(tempfile.mkdtemp(prefix="zoo-serving-"))
    try:
        for name in args.models:
            rows.append(measure_model(name, args, scratch))
            row = rows[-1]
            print(f"{name}: SavedModel/Keras p50 {row['saved_model_vs_keras_p50'][1]:.2f}x; "
                  f"speed-up over SavedModel (p50) {row['speedup_vs_saved_model_p50']}; "
                  f"int8 accuracy change {row['int8_accuracy_change']:+.4f}", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    write_json(RESULTS, {
        "benchmark": "serving",
        "description": "Single-image latency (p50, p99 in ms) and batch-64 throughput of each "
                       "runtime, medians over rounds; ratios within rounds as [low, median, "
                       "high] of a 90% interval; accuracy on the full test split.",
        "cpu_count": os.cpu_count(), "rounds": args.rounds, "calls": args.calls,
        "batch": BATCH, "results": rows,
        **provenance(" ".join(["python benchmarks/serving.py", *(argv or sys.argv[1:])])),
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
