"""Measured figures: train a registered model with its recipe on its real dataset, evaluate on
the untouched test split, and record the row that model cards and README read.

`benchmarks/accuracy.py` is the command that fills `zoo/results/accuracy.json`; the slow
accuracy tests call `measure` too and check the recorded figures against a fresh run.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

from zoo._io import write_json

PRIMARY_METRIC = {"image-classification": "accuracy", "binary-classification": "accuracy",
                  "regression": "rmse"}


def results_path(benchmark: str = "accuracy") -> Path:
    return Path(str(resources.files("zoo") / "results" / f"{benchmark}.json"))


def measure(name: str, *, epochs: int | None = None, seed: int = 0, runs_root=None,
            command: str | None = None) -> dict:
    """Train `name` with its card's recipe and return its test-split figure as a results row."""
    import tensorflow as tf

    import zoo
    from zoo.data import raw_arrays
    from zoo.train.fit import recipe_dataset_options

    card = zoo.model_card(name)
    options = recipe_dataset_options(card, card.dataset)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        result = zoo.train(name, epochs=epochs, seed=seed, runs_root=runs_root or scratch,
                           verbose=0, tensorboard=False)
        metrics = zoo.evaluate(result.model)
    metric = PRIMARY_METRIC[card.task]
    return {
        "model": name,
        "dataset": card.dataset,
        "dataset_options": options,
        "split": "test",
        "metric": metric,
        "value": round(metrics[metric], 4),
        "epochs_run": len(result.history["loss"]),
        "epochs_max": epochs or card.recipe.epochs,
        "seed": seed,
        "train_examples": len(raw_arrays(card.dataset, "train", seed=seed, **options)[0]),
        "test_examples": len(raw_arrays(card.dataset, "test", **options)[0]),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "command": command or " ".join([os.path.basename(sys.argv[0]), *sys.argv[1:]]),
        "zoo_version": zoo.__version__,
        "tensorflow_version": tf.__version__,
        "python_version": platform.python_version(),
        "date": datetime.date.today().isoformat(),
    }


def record(rows: list[dict], path: Path | None = None) -> Path:
    """Merge `rows` into the results file (one row per model and metric), atomically."""
    path = path or results_path("accuracy")
    existing = json.loads(path.read_text())["results"] if path.is_file() else []
    keys = {(r["model"], r["metric"]) for r in rows}
    merged = [r for r in existing if (r["model"], r["metric"]) not in keys] + rows
    merged.sort(key=lambda r: (r["model"], r["metric"]))
    payload = {"benchmark": "accuracy",
               "description": "Test-split figures of models trained with their card's recipe.",
               "results": merged}
    return write_json(path, payload)
