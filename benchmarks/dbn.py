"""Train the deep belief network by its recipe on MNIST, greedy RBM pretraining then
fine-tuning, and the same network from random initialisation with the same recipe and seed;
record both test accuracies:

    python benchmarks/dbn.py
    python benchmarks/dbn.py --epochs 2 --no-record

Published: 1.25% test error for a 784-500-500-2000 DBN (Hinton, Osindero and Teh, 2006).
Rows land in zoo/results/dbn.json; see zoo.generative.measure.measure_dbn.
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import zoo  # noqa: E402
from zoo.benchmark import record  # noqa: E402
from zoo.generative.measure import measure_dbn  # noqa: E402

DESCRIPTION = ("Deep belief networks on MNIST: test accuracy after greedy layer-wise RBM "
               "pretraining (CD-1) and supervised fine-tuning, beside the same network "
               "fine-tuned from random initialisation with the same recipe and seed "
               "(random_init_accuracy).")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help="deep belief networks (default: all)")
    parser.add_argument("--epochs", type=int, help="override the recipe's fine-tuning epochs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-record", action="store_true", help="print, do not record")
    args = parser.parse_args(argv)
    command = " ".join(["python benchmarks/dbn.py", *(argv or sys.argv[1:])])
    for name in args.models or zoo.list_models(family="dbn"):
        row = measure_dbn(name, epochs=args.epochs, seed=args.seed, command=command)
        print(f"{name}: test error {row['test_error_percent']}% pretrained "
              f"({row['epochs_run']} epochs, {row['wall_seconds']} s), "
              f"{row['random_init_error_percent']}% from random weights "
              f"({row['random_init_epochs_run']} epochs, {row['random_init_wall_seconds']} s); "
              f"published {row['published_error_percent']}%", flush=True)
        if not args.no_record:
            record([row], "dbn", DESCRIPTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
