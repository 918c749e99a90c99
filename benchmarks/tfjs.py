"""TF.js against the SavedModel it is converted from: size, accuracy on the whole test split,
and single-image latency and batch throughput, TF.js in Node (pure JavaScript, CPU backend)
against the SavedModel's signature in TensorFlow.

    python benchmarks/tfjs.py                                   # LeNet-5 and MobileNetV2
    python benchmarks/tfjs.py --models lenet5 --epochs 1 --rounds 3

Each model is trained on its card's dataset (`zoo.train`, `--epochs`), exported
(`zoo.export`) and converted by TensorFlow.js' converter (`zoo.export.tfjs`, which needs
`bash .ci/install-tfjs`). Per round, each runtime answers `--calls` single-image requests and
`--batches` batches of 64, TF.js timing its own calls inside one Node process (Node's start
and the model's loading are outside the figures, as a served model's are), the SavedModel
timed in this process; the order alternates from round to round and ratios are taken within
a round (`zoo.benchmark.median_interval`). Rows land in benchmarks/results/tfjs.json.
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
from zoo.export.tfjs import TFJSRunner, convert_saved_model  # noqa: E402
from zoo.train.evaluation import evaluation_pipeline  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "tfjs.json"
BATCH = 64
CHUNK = 1000  # test images per Node call when scoring accuracy
MODEL_OPTIONS = {"mobilenet_v2": {"alpha": 0.35}}  # a browser-sized MobileNetV2


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def saved_model_milliseconds(signature, input_name, images, calls: int) -> list[float]:
    """Milliseconds of each of `calls` signature calls on `images`, after one untimed call."""
    batch = tf.constant(images)
    signature(**{input_name: batch})
    milliseconds = []
    for _ in range(calls):
        started = time.perf_counter()
        signature(**{input_name: batch})["probabilities"].numpy()
        milliseconds.append(1e3 * (time.perf_counter() - started))
    return milliseconds


def measure_model(name: str, args, scratch: Path) -> dict:
    card = zoo.model_card(name)
    model = zoo.train(name, epochs=args.epochs, verbose=0, tensorboard=False,
                      runs_root=scratch / "runs", model_options=MODEL_OPTIONS.get(name)).model
    exported = zoo.export(model, name, root=scratch / "saved_models")
    started = time.perf_counter()
    converted = convert_saved_model(exported, scratch / f"{name}_tfjs")
    convert_seconds = time.perf_counter() - started
    signature = tf.saved_model.load(str(exported)).signatures["serving_default"]
    (input_name,) = signature.structured_input_signature[1]
    runner = TFJSRunner(converted)

    test = [(x.numpy(), y.numpy()) for x, y in
            evaluation_pipeline(model, card, card.dataset, "test", CHUNK)]
    images = np.concatenate([x for x, _ in test])
    labels = np.concatenate([y for _, y in test])
    saved_model_predicted = np.concatenate([
        signature(**{input_name: tf.constant(x)})["class_id"].numpy() for x, _ in test])
    tfjs_predicted = np.concatenate([runner({"image": x})["class_id"] for x, _ in test])

    single, batch = images[:1], images[:BATCH]
    rounds = []
    for number in range(args.rounds):
        measured = {}
        order = ("saved_model", "tfjs") if number % 2 == 0 else ("tfjs", "saved_model")
        for runtime in order:
            if runtime == "tfjs":
                singles = runner.milliseconds({"image": single}, args.calls)
                batches = runner.milliseconds({"image": batch}, args.batches)
            else:
                singles = saved_model_milliseconds(signature, input_name, single, args.calls)
                batches = saved_model_milliseconds(signature, input_name, batch, args.batches)
            measured[runtime] = {"p50_ms": statistics.median(singles),
                                 "p99_ms": float(np.percentile(singles, 99)),
                                 "images_per_second": 1e3 * BATCH / statistics.median(batches)}
        rounds.append(measured)
        print(f"{name} round {number + 1}: " + ", ".join(
            f"{r} {m['p50_ms']:.2f} ms, {m['images_per_second']:.0f} img/s"
            for r, m in measured.items()), flush=True)

    def ratio(figure):
        return [round(v, 3) for v in median_interval(
            [r["tfjs"][figure] / r["saved_model"][figure] for r in rounds])]

    summary = {runtime: {figure: round(statistics.median(r[runtime][figure] for r in rounds), 3)
                         for figure in ("p50_ms", "p99_ms", "images_per_second")}
               for runtime in ("saved_model", "tfjs")}
    summary["saved_model"].update(accuracy=round(float((saved_model_predicted == labels).mean()),
                                                 4), bytes=folder_bytes(exported))
    summary["tfjs"].update(accuracy=round(float((tfjs_predicted == labels).mean()), 4),
                           bytes=folder_bytes(converted))
    return {
        "model": name, "model_options": MODEL_OPTIONS.get(name, {}), "dataset": card.dataset,
        "epochs": args.epochs, "input_shape": list(images.shape[1:]),
        "test_examples": len(images), "runtimes": summary,
        "accuracy_change": round(summary["tfjs"]["accuracy"]
                                 - summary["saved_model"]["accuracy"], 4),
        "predictions_differing": int((tfjs_predicted != saved_model_predicted).sum()),
        "tfjs_vs_saved_model_p50": ratio("p50_ms"),
        "tfjs_vs_saved_model_throughput": ratio("images_per_second"),
        "convert_seconds": round(convert_seconds, 1), "rounds": rounds,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["lenet5", "mobilenet_v2"])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=200, help="single-image calls a round")
    parser.add_argument("--batches", type=int, default=20, help="batches of 64 a round")
    args = parser.parse_args(argv)

    rows = []
    scratch = Path(tempfile.mkdtemp(prefix="zoo-tfjs-"))
    try:
        for name in args.models:
            rows.append(measure_model(name, args, scratch))
            row = rows[-1]
            print(f"{name}: TF.js/SavedModel p50 {row['tfjs_vs_saved_model_p50']}, throughput "
                  f"{row['tfjs_vs_saved_model_throughput']}, accuracy change "
                  f"{row['accuracy_change']:+.4f}, sizes {row['runtimes']['tfjs']['bytes']:,} vs "
                  f"{row['runtimes']['saved_model']['bytes']:,} bytes", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    write_json(RESULTS, {
        "benchmark": "tfjs",
        "description": "TF.js graph models in Node (pure JavaScript, CPU backend) against the "
                       "SavedModels they were converted from: bytes on disk, accuracy on the "
                       "full test split, single-image latency (p50, p99 in ms) and batch-64 "
                       "throughput, medians over rounds; ratios TF.js/SavedModel within "
                       "rounds as [low, median, high] of a 90% interval.",
        "cpu_count": os.cpu_count(), "rounds": args.rounds, "calls": args.calls,
        "batch": BATCH, "results": rows,
        **provenance(" ".join(["python benchmarks/tfjs.py", *(argv or sys.argv[1:])])),
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
