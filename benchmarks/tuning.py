"""Does tuning pay? A keras-tuner search of a zoo model's search space against its default
recipe, both judged on validation and, once, on test.

    python benchmarks/tuning.py                                     # the MLP, Bayesian search
    python benchmarks/tuning.py --model small_cnn --max-trials 8 --epochs 3

`zoo.tune` searches with validation data carved from the training split (seed 0), then the
configuration it picks and the card's default recipe are each trained with the full recipe
(`zoo.train`, same epochs, callbacks and data) for every seed. A row records each seed's
figures at the epoch `zoo.train` keeps (the best by the recipe's monitor), their medians, the
configuration found, and the search's cost. Rows land in benchmarks/results/tuning.json, one
per model and tuner (a rerun replaces its row).
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras_tuner  # noqa: E402

import zoo  # noqa: E402
from zoo._io import write_json  # noqa: E402
from zoo.benchmark import provenance  # noqa: E402
from zoo.tasks import get_task  # noqa: E402
from zoo.train.fit import monitor_mode  # noqa: E402
from zoo.tune import best_epoch_figures  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "tuning.json"


def train_and_judge(name, seed, runs_root, **options) -> dict:
    """Validation figures of the kept epoch and test figures of one `zoo.train` run."""
    card = zoo.model_card(name)
    result = zoo.train(name, seed=seed, runs_root=runs_root, tensorboard=False, verbose=0,
                       **options)
    monitor = card.recipe.monitor
    kept = best_epoch_figures(result.history, keras_tuner.Objective(
        monitor, monitor_mode(monitor, get_task(card.task))))
    test = zoo.evaluate(result.model)
    return {"seed": seed, "epochs_run": len(result.history["loss"]),
            "validation": {k: round(v, 4) for k, v in kept.items() if k.startswith("val_")},
            "test": {k: round(v, 4) for k, v in test.items()}}


def medians(runs, split) -> dict:
    names = runs[0][split]
    return {k: round(statistics.median(r[split][k] for r in runs), 4) for k in names}


def beats(tuned, default, name, direction) -> bool:
    better = tuned[name] < default[name] if direction == "min" else tuned[name] > default[name]
    return bool(better)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="mlp")
    parser.add_argument("--tuner", default="bayesian", choices=zoo.tune.TUNERS)
    parser.add_argument("--max-trials", type=int, default=15)
    parser.add_argument("--epochs", type=int, default=5, help="each trial's epochs")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)
    card = zoo.model_card(args.model)

    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        found = zoo.tune(args.model, tuner=args.tuner, epochs=args.epochs,
                         max_trials=None if args.tuner == "hyperband" else args.max_trials,
                         directory=scratch, overwrite=True, export_root=None, verbose=0)
        search_seconds = time.perf_counter() - started
        print(f"{len(found.trials)} trials in {search_seconds:.0f} s; best "
              f"{found.best_hyperparameters}", flush=True)
        default, tuned = [], []
        for seed in args.seeds:
            default.append(train_and_judge(args.model, seed, scratch))
            tuned.append(train_and_judge(args.model, seed, scratch,
                                         model_options=found.model_options,
                                         learning_rate=found.learning_rate))
            print(f"seed {seed}: default {default[-1]['test']}, tuned {tuned[-1]['test']}",
                  flush=True)

    task = get_task(card.task)
    figure = task.primary_metric
    direction = "max" if task.higher_is_better else "min"
    summary = {split: {"default": medians(default, split), "tuned": medians(tuned, split)}
               for split in ("validation", "test")}
    row = {
        "model": args.model, "dataset": card.dataset, "tuner": args.tuner,
        "trials": len(found.trials), "trial_epochs": args.epochs,
        "objective": found.objective, "search_seconds": round(search_seconds, 1),
        "best_hyperparameters": found.best_hyperparameters,
        "model_options": {k: list(v) if isinstance(v, tuple) else v
                          for k, v in found.model_options.items()},
        "learning_rate": found.learning_rate, "recipe_epochs": card.recipe.epochs,
        "figure": figure, **summary,
        "tuned_beats_default": {
            "validation": beats(summary["validation"]["tuned"],
                                summary["validation"]["default"], f"val_{figure}", direction),
            "test": beats(summary["test"]["tuned"], summary["test"]["default"], figure,
                          direction)},
        "runs": {"default": default, "tuned": tuned},
        "trial_table": found.trials,
        **provenance(" ".join(["python benchmarks/tuning.py", *(argv or sys.argv[1:])])),
    }
    for split in ("validation", "test"):
        print(f"{split}: default {summary[split]['default']}, tuned {summary[split]['tuned']}")

    previous = json.loads(RESULTS.read_text())["results"] if RESULTS.exists() else []
    rows = [r for r in previous if (r["model"], r["tuner"]) != (args.model, args.tuner)]
    write_json(RESULTS, {
        "benchmark": "tuning",
        "description": "A keras-tuner search (zoo.tune, validation carved from training) "
                       "against the card's default recipe; both retrained with the full "
                       "recipe per seed; medians of the kept epoch's validation figures and "
                       "of the test figures.",
        "results": rows + [row],
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
