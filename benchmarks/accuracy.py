"""Train registered models with their recipes on real data and record test-split figures.

    python benchmarks/accuracy.py                  # every model whose dataset is available
    python benchmarks/accuracy.py lenet5 mlp       # some models
    python benchmarks/accuracy.py --epochs 3 mlp   # a shorter run (recorded as such)

Rows land in zoo/results/accuracy.json, which model cards (`zoo info`, `zoo list`) and the
README model table read. Each row carries the command, versions, date, seed, epochs, split
sizes and wall time.
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import zoo  # noqa: E402
from zoo.benchmark import measure, record  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help="registered names (default: all)")
    parser.add_argument("--epochs", type=int, help="override the recipes' epochs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    command = " ".join(["python benchmarks/accuracy.py", *(argv or sys.argv[1:])])
    for name in args.models or zoo.list_models():
        row = measure(name, epochs=args.epochs, seed=args.seed, command=command)
        print(f"{name:<22} {row['metric']} {row['value']:.4f}  "
              f"({row['epochs_run']} epochs, {row['wall_seconds']} s)", flush=True)
        # After each model, so an interrupted run keeps what it measured.
        record([row], "accuracy",
               "Test-split figures of models trained with their card's recipe.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
