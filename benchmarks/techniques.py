"""What each training technique does, measured: an ablation against one baseline.

    python benchmarks/techniques.py                       # both tasks, 3 seeds
    python benchmarks/techniques.py --tasks fashion_mnist --seeds 0 --only baseline dropout

Every technique of `zoo.train.techniques`, the MLP's options and `zoo.data.augment` changes
one thing of a baseline and keeps the rest:

- fashion_mnist: the `mlp` card (784-128-32-10, ReLU, Glorot, Adam at 1e-3, batch 128,
  early stopping on validation loss) trained on the first 10,000 images of zoo's training
  split (the effects of regularisation show on a small set; every run fits in seconds);
  test accuracy on the full 10,000 test images.
- reuters_r8: the `text_bow_mlp` card (multi-hot bag of words, 64-64-8) on all 5,485
  training documents, for the techniques that apply to a bag of words (the optimisers,
  schedules, clipping, weight decay, dropout, label smoothing, early stopping); test accuracy
  on the 2,189 test documents.

Each variant runs with every seed; the rows record each seed's test accuracy, their mean and
standard deviation, and the mean's difference from the baseline's in the same run.
Rows land in benchmarks/results/techniques.json.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import zoo  # noqa: E402
from zoo._io import write_json  # noqa: E402
from zoo.benchmark import provenance  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "techniques.json"
FASHION_LIMIT = 10_000


def _model(**options):
    return {"model_options": options}


def _augment(spec):
    return {"dataset_options": {"augment": spec}}


# (group, technique) -> zoo.train options changed from the baseline. SGD's learning rates are
# its usual ones (Adam's 1e-3 would barely move it); single-example SGD takes a tenth of
# mini-batch SGD's, the whole-set batch ten times it, as their noise and step counts ask.
COMMON = {
    ("baseline", "baseline"): {},
    ("optimizer", "SGD, mini-batch 128"): {"optimizer": "sgd", "learning_rate": 0.05},
    ("optimizer", "SGD, one example a step"): {"optimizer": "sgd", "learning_rate": 0.005,
                                               "batch_size": 1},
    ("optimizer", "SGD, momentum 0.9"): {"optimizer": "sgd", "learning_rate": 0.01,
                                         "optimizer_options": {"momentum": 0.9}},
    ("optimizer", "SGD, Nesterov momentum 0.9"): {
        "optimizer": "sgd", "learning_rate": 0.01,
        "optimizer_options": {"momentum": 0.9, "nesterov": True}},
    ("optimizer", "AdaGrad"): {"optimizer": "adagrad", "learning_rate": 0.05},
    ("optimizer", "RMSprop"): {"optimizer": "rmsprop"},
    ("optimizer", "AdamW (weight decay 0.004)"): {"optimizer": "adamw"},
    ("schedule", "step"): {"schedule": "step"},
    ("schedule", "exponential"): {"schedule": "exponential"},
    ("schedule", "cosine"): {"schedule": "cosine"},
    ("schedule", "cosine after 1 warm-up epoch"): {"schedule": "cosine", "warmup_epochs": 1},
    ("optimizer", "gradient clipping (norm 1)"): {"gradient_clip_norm": 1.0},
    ("regularisation", "decoupled weight decay 1e-4"): {"weight_decay": 1e-4},
    ("regularisation", "label smoothing 0.1"): {"label_smoothing": 0.1},
    ("regularisation", "no early stopping"): {"early_stopping": False},
}
FASHION = {
    **COMMON,
    ("optimizer", "gradient descent, whole set a step"): {
        "optimizer": "sgd", "learning_rate": 0.5, "batch_size": FASHION_LIMIT},
    ("initialiser", "zeros"): _model(kernel_initializer="zeros"),
    ("initialiser", "He normal"): _model(kernel_initializer="he_normal"),
    ("initialiser", "LeCun normal"): _model(kernel_initializer="lecun_normal"),
    ("activation", "sign (straight-through)"): _model(activation="sign"),
    ("activation", "sigmoid"): _model(activation="sigmoid"),
    ("activation", "tanh"): _model(activation="tanh"),
    ("activation", "hard tanh"): _model(activation="hard_tanh"),
    ("activation", "leaky ReLU"): _model(activation="leaky_relu"),
    ("activation", "ELU"): _model(activation="elu"),
    ("activation", "GELU"): _model(activation="gelu"),
    ("regularisation", "L1 1e-5"): _model(l1=1e-5),
    ("regularisation", "L2 1e-4"): _model(l2=1e-4),
    ("regularisation", "dropout 0.2"): _model(dropout=0.2),
    ("regularisation", "batch normalisation"): _model(normalization="batch"),
    ("regularisation", "layer normalisation"): _model(normalization="layer"),
    ("augmentation", "flip"): _augment("flip"),
    ("augmentation", "shift (3 px)"): _augment("shift"),
    ("augmentation", "random resized crop"): _augment("crop"),
    ("augmentation", "rotation (15 degrees)"): _augment("rotate"),
    ("augmentation", "random erasing"): _augment("erase"),
    ("augmentation", "mixup (alpha 0.2)"): _augment("mixup"),
}
REUTERS = {
    **COMMON,
    ("regularisation", "dropout 0.5"): _model(dropout=0.5),
}
TASKS = {"fashion_mnist": ("mlp", {"limit": FASHION_LIMIT}, FASHION),
         "reuters_r8": ("text_bow_mlp", {}, REUTERS)}


def run(task: str, options: dict, seed: int, runs: str) -> dict:
    """Train the task's model with `options` changed and measure it on the test split."""
    model, limit, _ = TASKS[task]
    options = dict(options)
    dataset_options = {**limit, **options.pop("dataset_options", {})}
    started = time.perf_counter()
    result = zoo.train(model, dataset_options=dataset_options, seed=seed, verbose=0,
                       tensorboard=False, runs_root=runs, **options)
    test = zoo.evaluate(result.model)
    return {"test_accuracy": test["accuracy"], "epochs_run": len(result.history["loss"]),
            "seconds": time.perf_counter() - started}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--only", nargs="+", help="techniques whose name starts so")
    parser.add_argument("--runs", default=None, help="run directories (default: a temp dir)")
    args = parser.parse_args(argv)

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for task in args.tasks:
            baseline = None
            for (group, technique), options in TASKS[task][2].items():
                if args.only and group != "baseline" and \
                        not any(technique.startswith(o) for o in args.only):
                    continue
                runs = [run(task, options, seed, args.runs or scratch) for seed in args.seeds]
                accuracies = [r["test_accuracy"] for r in runs]
                mean = statistics.fmean(accuracies)
                baseline = mean if group == "baseline" else baseline
                rows.append({
                    "task": task, "model": TASKS[task][0], "group": group,
                    "technique": technique, "options": options, "seeds": args.seeds,
                    "test_accuracy": [round(a, 4) for a in accuracies],
                    "mean": round(mean, 4),
                    "std": round(statistics.stdev(accuracies), 4) if len(runs) > 1 else 0.0,
                    "difference": round(mean - baseline, 4),
                    "epochs_run": [r["epochs_run"] for r in runs],
                    "seconds": round(statistics.fmean(r["seconds"] for r in runs), 1),
                })
                print(f"{task:14} {group:15} {technique:36} {mean:.4f} "
                      f"({rows[-1]['difference']:+.4f})", flush=True)
    write_json(RESULTS, {
        "benchmark": "techniques",
        "description": "Test accuracy of one baseline per task with one training technique "
                       "changed (benchmarks/techniques.py's docstring has the set-up): each "
                       "seed's, their mean and standard deviation, and the mean's difference "
                       "from the baseline's.",
        "fashion_mnist_train_examples": FASHION_LIMIT, "results": rows,
        **provenance(" ".join(["python benchmarks/techniques.py", *(argv or sys.argv[1:])])),
    })
    print(markdown_table(rows))
    return 0


def markdown_table(rows) -> str:
    """README's table: each technique's mean test accuracy +- its standard deviation over
    the seeds, and the difference from the baseline, one column per task."""
    tasks = list(dict.fromkeys(row["task"] for row in rows))
    cells: dict[tuple[str, str], dict[str, str]] = {}
    for row in rows:
        cell = f"{row['mean']:.4f} ± {row['std']:.4f}"
        if row["group"] != "baseline":
            cell += f" ({row['difference']:+.4f})"
        cells.setdefault((row["group"], row["technique"]), {})[row["task"]] = cell
    order = ["baseline", "optimizer", "schedule", "initialiser", "activation",
             "regularisation", "augmentation"]
    lines = ["| group | technique | " + " | ".join(tasks) + " |",
             "|---|---|" + "---|" * len(tasks)]
    for (group, technique), by_task in sorted(cells.items(),
                                              key=lambda item: order.index(item[0][0])):
        lines.append(f"| {group} | {technique} | "
                     + " | ".join(by_task.get(task, "-") for task in tasks) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
