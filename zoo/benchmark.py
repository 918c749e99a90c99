"""Measured figures: train registered models with their recipes on real data, evaluate on the
untouched test split, and record rows that model cards and the README read.

The scripts in `benchmarks/` fill `zoo/results/<benchmark>.json` through `record`; the slow
tests call the same measuring functions and check the recorded figures against a fresh run.
Every row carries its provenance: the command, versions, date, seed, epochs, split sizes and
wall time.
"""

from __future__ import annotations

import csv
import datetime
import inspect
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

from zoo._io import directory_lock, write_json
from zoo.tasks import get_task


def results_path(benchmark: str) -> Path:
    return Path(str(resources.files("zoo") / "results" / f"{benchmark}.json"))


def provenance(command: str | None = None) -> dict:
    """Where a figure comes from: the command and the versions and date it ran with."""
    import tensorflow as tf

    import zoo

    return {
        "command": command or " ".join([os.path.basename(sys.argv[0]), *sys.argv[1:]]),
        "zoo_version": zoo.__version__,
        "tensorflow_version": tf.__version__,
        "python_version": platform.python_version(),
        "date": datetime.date.today().isoformat(),
    }


def median_interval(values, confidence: float = 0.9) -> tuple[float, float, float]:
    """The median of `values` with a distribution-free confidence interval for it: the order
    statistics x(k) and x(n+1-k), k the largest rank for which the binomial(n, 1/2) tail
    below k holds at most (1 - confidence) / 2 (the sign-test interval; e.g. Conover,
    *Practical Nonparametric Statistics*, 3.2). No assumption about how the values spread,
    which suits timings on a shared machine: one slow round moves no bound but the outermost.

    Returns (low, median, high). Raises ValueError when there are too few values for the
    confidence asked (five for 0.9: with four, even min..max covers only 87.5%).
    """
    ordered = sorted(values)
    n = len(ordered)
    tail = (1.0 - confidence) / 2.0
    k, below = 0, 0.0  # below: P(Binomial(n, 1/2) < k + 1)
    while True:
        below += math.comb(n, k) / 2**n
        if below > tail:
            break
        k += 1
    if k == 0:
        minimum = math.ceil(math.log2(1.0 / tail))
        raise ValueError(f"a {confidence:.0%} interval for a median needs at least {minimum} "
                         f"values; got {n}.")
    return ordered[k - 1], statistics.median(ordered), ordered[n - k]


def ratio_summary(label: str, per_round, places: int = 3) -> dict:
    """The fields a benchmark records for a ratio measured once per round (zoo / reference
    within a round, so both sides saw the same load): `label`, the median over rounds;
    `<label>_interval`, its 90% interval (`median_interval`); `<label>_rounds`, every
    round's ratio, so that readers and tests can recompute both. All rounded to `places`."""
    low, median, high = median_interval(per_round)
    return {label: round(median, places),
            f"{label}_interval": [round(low, places), round(high, places)],
            f"{label}_rounds": [round(r, places) for r in per_round]}


def split_size(dataset: str, split: str, seed: int) -> int:
    """The examples in one split of a dataset as `zoo.data.load` gives it (the training split
    after the validation carve made with `seed`), counted by reading the pipeline: for the
    datasets `zoo.data.raw_arrays` cannot hold (the TFDS-built canvases)."""
    import zoo

    return int(sum(len(x) for x, _ in zoo.data.load(dataset, split, batch_size=1024,
                                                     shuffle=False, seed=seed)))


def measure(name: str, *, epochs: int | None = None, seed: int = 0, runs_root=None,
            command: str | None = None, trained=None) -> dict:
    """Train `name` with its card's recipe and return its test-split figure as a results row.

    `trained`: the result of `zoo.train(name, epochs=epochs, seed=seed)` when it exists
    already (the slow tests measure one training twice); it is trained here when None.
    """
    import zoo
    from zoo.data import raw_arrays
    from zoo.train.fit import recipe_dataset_options

    card = zoo.model_card(name)
    options = recipe_dataset_options(card, card.dataset)
    selection = {k: v for k, v in options.items() if k in ("classes", "limit")}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        result = trained or zoo.train(name, epochs=epochs, seed=seed,
                                      runs_root=runs_root or scratch, verbose=0,
                                      tensorboard=False)
        metrics = zoo.evaluate(result.model)
    metric = get_task(card.task).primary_metric
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
        "train_examples": len(raw_arrays(card.dataset, "train", seed=seed, **selection)[0]),
        "test_examples": len(raw_arrays(card.dataset, "test", **selection)[0]),
        "wall_seconds": round(time.perf_counter() - started, 1),
        **provenance(command),
    }


def add_train_option_flags(parser) -> None:
    """The flags that change how a benchmark's `zoo.train` run trains, beside its recipe:
    --batch-size, --schedule, --no-early-stopping and --model-option (`train_options` reads
    them)."""
    parser.add_argument("--batch-size", type=int, help="override the recipes' batch size")
    parser.add_argument("--schedule", help="a learning-rate schedule over the run "
                        "(zoo.train.schedules: cosine, ...) instead of the recipes' plateaus")
    parser.add_argument("--no-early-stopping", action="store_true",
                        help="run every epoch and score the last")
    parser.add_argument("--model-option", action="append", default=[], type=model_option,
                        metavar="NAME=VALUE", help="build the model with this factory "
                        "argument (a Python literal: canonical_size=32, width=256), over the "
                        "recipe's model_options; repeat for several")


def model_option(text: str) -> tuple[str, object]:
    """`--model-option`'s NAME=VALUE as (name, value), the value a Python literal (a bare
    word is taken as a string)."""
    import argparse
    import ast

    name, equals, value = text.partition("=")
    if not equals or not name.strip().isidentifier():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE (e.g. canonical_size=32)")
    try:
        return name.strip(), ast.literal_eval(value.strip())
    except (ValueError, SyntaxError):
        return name.strip(), value.strip()


def train_options(args) -> dict:
    """The `zoo.train` options `add_train_option_flags`' flags set, and only those (the row
    records them)."""
    options = {"batch_size": args.batch_size, "schedule": args.schedule}
    options = {name: value for name, value in options.items() if value is not None}
    if args.no_early_stopping:
        options["early_stopping"] = False
    if getattr(args, "model_option", None):
        options["model_options"] = dict(args.model_option)
    return options


def record(rows: list[dict], benchmark: str = "accuracy", description: str = "",
           path: Path | None = None, combine=None, keys=("model", "metric")) -> Path:
    """Merge `rows` into `zoo/results/<benchmark>.json` (one row per model and metric, or
    per the fields `keys` names), atomically and under a lock. A new row replaces the
    recorded one, or with `combine` becomes `combine(recorded, new)` (a measurement made in
    parts, as classes held out in turn)."""
    path = Path(path or results_path(benchmark))

    def key(row):
        return tuple(row.get(field) for field in keys)

    # Locked: two benchmark processes recording at once would each merge into the file they
    # read, and the later write would drop the other's rows.
    with directory_lock(path.parent):
        existing = json.loads(path.read_text()) if path.is_file() else {}
        recorded = {key(r): r for r in existing.get("results", [])}
        if combine is not None:
            rows = [combine(recorded[key(r)], r) if key(r) in recorded else r for r in rows]
        new = {key(r) for r in rows}
        merged = [r for r in existing.get("results", []) if key(r) not in new]
        merged = sorted(merged + rows, key=lambda r: tuple(str(v) for v in key(r)))
        return write_json(path, {
            "benchmark": benchmark,
            "description": description or existing.get("description", ""),
            "results": merged,
        })


def training_dataset_options(card, dataset: str, augment: str | None = None) -> dict:
    """The `zoo.data.load` options a benchmark trains `card`'s model with on `dataset`: the
    recipe's own where `dataset` is the card's (they are written for it: recomposing
    canvases, say, means nothing on the tree crowns), with the augmentation replaced by
    `augment` when one is given ("none": no augmentation)."""
    from zoo.train.fit import recipe_dataset_options

    overrides = {} if augment is None else {"augment": None if augment == "none" else augment}
    return recipe_dataset_options(card, dataset, overrides)


def finished_run(run_dir, name: str):
    """`(model, history)` of a run of the model `name` that `zoo.train` has finished in
    `run_dir`: its kept weights (`checkpoints/best.keras`) and its `history.csv` as
    {column: [a float per epoch]}, to score a run again without training it again."""
    import zoo

    run_dir = Path(run_dir)
    weights, history = run_dir / "checkpoints" / "best.keras", run_dir / "history.csv"
    missing = [str(path) for path in (weights, history) if not path.is_file()]
    if missing:
        raise ValueError(f"run_dir={str(run_dir)!r} is not a finished zoo.train run: "
                         f"{' and '.join(missing)} missing.")
    model = zoo.load_model(weights, compile=False)
    if model.name != name:
        raise ValueError(f"run_dir={str(run_dir)!r} trained {model.name}, not {name}.")
    with history.open() as rows:
        epochs = list(csv.DictReader(rows))
    return model, {column: [float(epoch[column]) for epoch in epochs] for column in epochs[0]}


def recipe_departures(row: dict, card) -> str | None:
    """What a training row's run changed of its card's recipe besides the augmentation: its
    epochs, the `zoo.train` options it was given that differ from the recipe's own, and the
    factory arguments (`model_options`) that differ from the model the recipe builds
    (e.g. "epochs=24, schedule=cosine", "canonical_size=32"), or None for a run by the
    recipe."""
    changes = {}
    if row.get("epochs_max") not in (None, card.recipe.epochs):
        changes["epochs"] = row["epochs_max"]
    missing = object()
    options = dict(row.get("train_options") or {})
    built = {name: parameter.default
             for name, parameter in inspect.signature(card.factory).parameters.items()}
    built.update({**card.defaults, **card.recipe.model_options})
    for name, value in options.pop("model_options", {}).items():
        if built.get(name, missing) != value:
            changes[name] = value
    for name, value in options.items():
        if getattr(card.recipe, name, missing) != value:
            changes[name] = value
    return ", ".join(f"{name}={value}" for name, value in sorted(changes.items())) or None


def record_training_row(row: dict, card, benchmark: str, description: str, *,
                        ablations_path: Path, ablations_description: str) -> Path:
    """Record a row of a benchmark that trains a model by its card's recipe where it belongs:
    in `zoo/results/<benchmark>.json`, which the cards read, when it ran the recipe (its
    augmentation, epochs and options) or trained on another dataset than the card's (the
    recipe is written for the card's dataset); otherwise, as an ablation of the recipe, in
    `ablations_path`, one row per model, metric, augmentation and `recipe_departures`
    (the row's "variant"): a two-epoch smoke run never overwrites the figure a card shows."""
    if row["dataset"] != card.dataset:
        return record([row], benchmark, description)
    variant = recipe_departures(row, card)
    if variant is None and row["augment"] == card.recipe.dataset_options.get("augment"):
        return record([row], benchmark, description)
    if variant is not None:
        row = {**row, "variant": variant}
    return record([row], f"{benchmark}_ablations", ablations_description, path=ablations_path,
                  keys=("model", "metric", "augment", "variant"))


def _test_accuracy(model, dataset="fashion_mnist", **options) -> float:
    import zoo

    return round(zoo.evaluate(model, dataset, dataset_options=options)["accuracy"], 4)


def measure_ensemble(member: str = "lenet5", seeds=(0, 1, 2), *, runs_root=None,
                     command: str | None = None, trained=None) -> list[dict]:
    """Train `member` once per seed with its recipe, then average (and vote) the three: rows
    for the "ensemble" model's test accuracy, with every member's accuracy inside.

    `trained`: {seed: result of `zoo.train(member, seed=seed)`} for members trained already;
    the seeds it lacks are trained here.
    """
    import zoo

    card = zoo.model_card(member)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        members = []
        for seed in seeds:
            result = (trained or {}).get(seed) or zoo.train(
                member, seed=seed, runs_root=runs_root or scratch, verbose=0,
                tensorboard=False)
            model = result.model
            model.name = f"{member}_seed{seed}"  # nested models need distinct names
            members.append(model)
    accuracies = {m.name: _test_accuracy(m, card.dataset) for m in members}
    rows = []
    for method, metric in (("average", "accuracy"), ("vote", "vote_accuracy")):
        ensemble = zoo.get_model("ensemble", members=members, method=method)
        ensemble.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        rows.append({
            "model": "ensemble", "dataset": card.dataset, "split": "test", "metric": metric,
            "value": _test_accuracy(ensemble, card.dataset), "method": method,
            "members": accuracies, "best_member": max(accuracies.values()),
            "epochs_run": card.recipe.epochs, "seed": list(seeds),
            "train_examples": 54000, "test_examples": 10000,
            "wall_seconds": round(time.perf_counter() - started, 1), **provenance(command),
        })
    return rows


def measure_transfer(backbone: str = "lenet5_functional", target: str = "mnist",
                     examples: int = 300, *, pretrain_epochs: int = 5, epochs: int = 40,
                     fine_tune_layers: int = 4, fine_tune_learning_rate: float = 1e-3,
                     seed: int = 0, runs_root=None, command: str | None = None) -> list[dict]:
    """Pretrain `backbone` on its card's dataset, transfer it to `examples` training images of
    `target` (head first, then fine-tuning), and train the same network from scratch on the
    same images: one row each, test accuracy on the whole `target` test split."""
    import zoo
    from zoo.transfer_learning import fine_tune, transfer

    options = {"limit": examples}
    fit = dict(dataset=target, dataset_options=options, seed=seed, verbose=0, batch_size=32,
               tensorboard=False, loss="sparse_categorical_crossentropy",
               metrics=["accuracy"])
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        root = runs_root or scratch
        pretrained = zoo.train(backbone, epochs=pretrain_epochs, seed=seed, runs_root=root,
                               verbose=0, tensorboard=False).model
        model = transfer(pretrained, num_classes=zoo.data.dataset_info(target).num_classes)
        head = zoo.train(model, epochs=epochs, runs_root=root, **fit)
        fine_tune(model, last=fine_tune_layers, learning_rate=fine_tune_learning_rate)
        tuned = zoo.train(model, epochs=epochs, runs_root=root, **{**fit, "loss": None})
        transferred = _test_accuracy(model, target)
        scratch = zoo.train(backbone, epochs=2 * epochs, runs_root=root, **fit)
        from_scratch = _test_accuracy(scratch.model, target)
    common = {
        "model": backbone, "dataset": target, "split": "test",
        "pretrained_on": zoo.model_card(backbone).dataset, "pretrain_epochs": pretrain_epochs,
        "train_examples": examples, "epochs_max": 2 * epochs, "seed": seed,
        "fine_tune_layers": fine_tune_layers, "fine_tune_learning_rate": fine_tune_learning_rate,
        "test_examples": len(zoo.data.raw_arrays(target, "test")[0]),
        "wall_seconds": round(time.perf_counter() - started, 1), **provenance(command),
    }
    return [{**common, "metric": f"transfer_{target}{examples}_accuracy", "value": transferred,
             "epochs_run": len(head.history["loss"]) + len(tuned.history["loss"])},
            {**common, "metric": f"scratch_{target}{examples}_accuracy", "value": from_scratch,
             "epochs_run": len(scratch.history["loss"])}]
