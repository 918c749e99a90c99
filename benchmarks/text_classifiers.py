"""Train text classifiers with their recipes on real corpora and record test-split figures,
each beside a scikit-learn TF-IDF + logistic-regression baseline on the same split.

    python benchmarks/text_classifiers.py                         # every text classifier, R8
    python benchmarks/text_classifiers.py text_cnn --dataset rotten_tomatoes
    python benchmarks/text_classifiers.py text_tfidf_mlp --dataset sms_spam --epochs 5

Rows land in zoo/results/text_classification.json (model cards and the README table read it):
`accuracy` on the card's own dataset (Reuters R8), `<dataset>_accuracy` on another, and
`<dataset>_f1` (positive class) for two-class corpora.
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import zoo  # noqa: E402
from zoo.benchmark import record  # noqa: E402
from zoo.text.measure import measure_text  # noqa: E402

DESCRIPTION = ("Test-split figures of text classifiers trained with their card's recipe, each "
               "beside a scikit-learn TF-IDF + logistic-regression baseline on the same split.")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help="text classifiers (default: all)")
    parser.add_argument("--dataset", help="a text-classification dataset (default: the card's)")
    parser.add_argument("--epochs", type=int, help="override the recipes' epochs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    command = " ".join(["python benchmarks/text_classifiers.py", *(argv or sys.argv[1:])])
    for name in args.models or zoo.list_models(task="text-classification"):
        rows = measure_text(name, args.dataset, epochs=args.epochs, seed=args.seed,
                            command=command)
        for row in rows:
            print(f"{name:<22} {row['metric']:<26} {row['value']:.4f}  baseline "
                  f"{row['baseline_value']:.4f}  ({row['epochs_run']} epochs, "
                  f"{row['wall_seconds']} s)", flush=True)
        # After each model, so an interrupted run keeps what it measured.
        record(rows, "text_classification", DESCRIPTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
