"""Classical learners against a zoo CNN as the training set grows: where do the curves cross?

    python benchmarks/classical_baselines.py
    python benchmarks/classical_baselines.py --sizes 100 1000 10000 --learners knn lenet5

Fashion-MNIST training sets of 100 to 60,000 images: the first n of zoo's training split
(`zoo.data.arrays(..., limit=n)`, after the validation carve, exactly the images `zoo.train`
gives the CNN with `dataset_options={"limit": n}`), raw pixels for the scikit-learn models.
Every learner is judged on the full 10,000-image test split. The kernel SVM's training grows
with the square of n (Bottou and Lin 2007), so it stops at `--max-svm` images, and gradient
boosting (ten trees an iteration, one per class) at `--max-boosting`. Rows land in
benchmarks/results/classical_baselines.json, one per learner and size.
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

import zoo  # noqa: E402
from zoo._io import write_json  # noqa: E402
from zoo.benchmark import provenance  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "classical_baselines.json"


def learners(seed):
    """scikit-learn's classical learners, each with the textbook default for image pixels."""
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import SVC

    return {
        "logistic_regression": lambda: LogisticRegression(max_iter=1000),
        "svm_rbf": lambda: SVC(kernel="rbf", C=10, gamma="scale"),
        "random_forest": lambda: RandomForestClassifier(n_estimators=200, n_jobs=-1,
                                                        random_state=seed),
        "gradient_boosting": lambda: HistGradientBoostingClassifier(early_stopping=True,
                                                                    random_state=seed),
        "knn": lambda: KNeighborsClassifier(n_neighbors=5, n_jobs=-1),
    }


def measure(learner, size, args, test) -> dict:
    started = time.perf_counter()
    if learner == "lenet5":
        model = zoo.train("lenet5", dataset_options={"limit": size}, seed=args.seed,
                          verbose=0, tensorboard=False, runs_root=args.runs).model
        accuracy = zoo.evaluate(model)["accuracy"]
        examples = len(zoo.data.arrays("fashion_mnist", "train", limit=size)[1])
    else:
        x, y = zoo.data.arrays("fashion_mnist", "train", limit=size)
        estimator = learners(args.seed)[learner]()
        estimator.fit(x.reshape(len(x), -1), y)
        accuracy = float((estimator.predict(test[0]) == test[1]).mean())
        examples = len(y)
    return {"learner": learner, "size": size, "train_examples": examples,
            "test_accuracy": round(float(accuracy), 4),
            "seconds": round(time.perf_counter() - started, 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+",
                        default=[100, 300, 1000, 3000, 10000, 60000])
    parser.add_argument("--learners", nargs="+",
                        default=["logistic_regression", "svm_rbf", "random_forest",
                                 "gradient_boosting", "knn", "lenet5"])
    parser.add_argument("--max-svm", type=int, default=10000)
    parser.add_argument("--max-boosting", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", default="runs/classical_baselines")
    args = parser.parse_args(argv)

    x_test, y_test = zoo.data.arrays("fashion_mnist", "test")
    test = (x_test.reshape(len(x_test), -1), y_test)
    rows = []
    for size in args.sizes:
        for learner in args.learners:
            if (learner == "svm_rbf" and size > args.max_svm) or \
                    (learner == "gradient_boosting" and size > args.max_boosting):
                continue
            rows.append(measure(learner, size, args, test))
            print(rows[-1], flush=True)
    write_json(RESULTS, {
        "benchmark": "classical_baselines",
        "description": "Fashion-MNIST test accuracy of scikit-learn's classical learners on "
                       "raw pixels and of zoo's LeNet-5 (its card's recipe), trained on the "
                       "first n images of zoo's training split.",
        "max_svm": args.max_svm, "max_boosting": args.max_boosting, "results": rows,
        **provenance(" ".join(["python benchmarks/classical_baselines.py",
                               *(argv or sys.argv[1:])])),
    })
    crossing = crossover(rows)
    print(f"LeNet-5 leads every classical learner from {crossing} images on" if crossing
          else "LeNet-5 never leads every classical learner")
    return 0


def crossover(rows) -> int | None:
    """The smallest size from which LeNet-5's accuracy beats every classical learner's at
    that size and every larger one."""
    sizes = sorted({row["size"] for row in rows})
    leads = []
    for size in sizes:
        at = {row["learner"]: row["test_accuracy"] for row in rows if row["size"] == size}
        if "lenet5" in at:
            leads.append((size, at["lenet5"] > max(v for k, v in at.items() if k != "lenet5")))
    crossing = None
    for size, lead in reversed(leads):
        if not lead:
            break
        crossing = size
    return crossing


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    sys.exit(main())
