"""Training recurrent networks well, compared on the same data: gradient clipping, dropout
on the inputs against dropout on the recurrent state, and layer normalisation in the cell.

    python benchmarks/recurrent_training.py                 # every variant, seeds 0 and 1
    python benchmarks/recurrent_training.py --seeds 0 --epochs 4

Every variant is `text_lstm` (or its layer-normalised cell) on Reuters R8 with the same
vocabulary size, sequence length, widths, optimiser, learning rate, epochs and seeds; only
the named technique changes. The baseline has none of them. Each row records the test
accuracy, the best validation accuracy, the largest gradient norm seen in training (what
clipping bounds) and the wall time; the summary gives each variant's mean over seeds.

Results land in benchmarks/results/recurrent_training.json.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import zoo  # noqa: E402
from zoo._io import write_json  # noqa: E402

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "recurrent_training.json"
DATASET = "reuters_r8"
# The shared build: a shorter input than the recipe's 200 tokens keeps ten runs affordable.
COMMON = {"sequence_length": 120, "units": 64, "embedding_dim": 64, "dropout": 0.0,
          "input_dropout": 0.0, "recurrent_dropout": 0.0}
VARIANTS = {
    "baseline": ({}, None),
    "clip_norm_1": ({}, 1.0),
    "input_dropout_0.3": ({"input_dropout": 0.3}, None),
    "recurrent_dropout_0.3": ({"recurrent_dropout": 0.3}, None),
    "layer_norm_cell": ({"cell": "lstm_layernorm"}, None),
    "all_together": ({"cell": "lstm_layernorm", "input_dropout": 0.3}, 1.0),
}


class GradientNormMonitor(keras.callbacks.Callback):
    """The global gradient norm of one fixed training batch at the end of every epoch (before
    any clipping), so the variants' gradients can be compared on equal terms."""

    def __init__(self, batch):
        super().__init__()
        self.batch, self.norms = batch, []

    def on_epoch_end(self, epoch, logs=None):
        texts, labels = self.batch
        with tf.GradientTape() as tape:
            loss = self.model.compute_loss(x=texts, y=labels,
                                           y_pred=self.model(texts, training=True))
        gradients = tape.gradient(loss, self.model.trainable_variables)
        self.norms.append(float(tf.linalg.global_norm(
            [tf.convert_to_tensor(g) for g in gradients if g is not None])))


def run_variant(variant, seed, epochs, learning_rate):
    options, clip = VARIANTS[variant]
    optimizer = keras.optimizers.Adam(learning_rate, clipnorm=clip)
    batch = next(iter(zoo.data.load(DATASET, "train", batch_size=64, shuffle=False)))
    monitor = GradientNormMonitor(batch)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        result = zoo.train("text_lstm", epochs=epochs, seed=seed, optimizer=optimizer,
                           model_options={**COMMON, **options}, runs_root=scratch,
                           early_stopping=False, callbacks=[monitor], verbose=0,
                           tensorboard=False)
    wall = time.perf_counter() - started
    test = zoo.evaluate(result.model)
    return {"variant": variant, "seed": seed, "test_accuracy": round(test["accuracy"], 4),
            "best_val_accuracy": round(max(result.history["val_accuracy"]), 4),
            "final_train_loss": round(result.history["loss"][-1], 4),
            "max_gradient_norm": round(max(monitor.norms), 3),
            "epochs_run": len(result.history["loss"]), "wall_seconds": round(wall, 1),
            "options": options, "clipnorm": clip}


def _earlier_rows(path, settings):
    """Rows of an earlier run with the same settings, so runs of some variants or seeds add
    to it; rows made with other settings are not comparable and are dropped."""
    if not path.is_file():
        return []
    earlier = json.loads(path.read_text())
    same = all(earlier.get(key) == value for key, value in
               json.loads(json.dumps(settings)).items())
    return earlier["results"] if same else []


def _summary(rows):
    summary = {}
    for variant in VARIANTS:
        values = [r["test_accuracy"] for r in rows if r["variant"] == variant]
        if values:
            summary[variant] = {"mean_test_accuracy": round(statistics.mean(values), 4),
                                "spread": round(max(values) - min(values), 4),
                                "seeds": len(values)}
    return summary


def _write(path, settings, rows, command):
    write_json(path, {
        "benchmark": "recurrent_training", "command": command, **settings,
        "zoo_version": zoo.__version__, "tensorflow_version": tf.__version__,
        "python_version": platform.python_version(), "summary": _summary(rows),
        "results": sorted(rows, key=lambda r: (r["seed"], list(VARIANTS).index(r["variant"]))),
    })


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="*", help=f"some of {', '.join(VARIANTS)} (default: all)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = parser.parse_args(argv)
    unknown = sorted(set(args.variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    command = " ".join(["python benchmarks/recurrent_training.py", *(argv or sys.argv[1:])])
    settings = {"dataset": DATASET, "split": "test", "common": COMMON, "epochs": args.epochs,
                "learning_rate": args.learning_rate}
    rows = _earlier_rows(args.json, settings)
    for seed in args.seeds:
        for variant in args.variants or VARIANTS:
            row = {**run_variant(variant, seed, args.epochs, args.learning_rate),
                   "command": command, "date": datetime.date.today().isoformat()}
            rows = [r for r in rows if (r["variant"], r["seed"]) != (variant, seed)] + [row]
            print(f"seed {seed} {variant:<22} test {row['test_accuracy']:.4f}  best val "
                  f"{row['best_val_accuracy']:.4f}  max |g| {row['max_gradient_norm']:.2f}  "
                  f"{row['wall_seconds']:.0f} s", flush=True)
            _write(args.json, settings, rows, command)  # after each run: nothing lost
    for variant, summary in _summary(rows).items():
        print(f"{variant:<22} mean test accuracy {summary['mean_test_accuracy']:.4f} "
              f"(spread {summary['spread']:.4f} over {summary['seeds']} seeds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
