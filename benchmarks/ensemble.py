"""An ensemble of three against its best member, on the Fashion-MNIST test split.

    python benchmarks/ensemble.py                    # three LeNet-5s, seeds 0, 1, 2
    python benchmarks/ensemble.py --member mlp

Each member trains with its card's recipe and its own seed; the "ensemble" model averages
their probabilities (and, as a second figure, takes their majority vote). Rows land in
zoo/results/ensemble.json with every member's accuracy, so the "ensemble" card shows them.
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from zoo.benchmark import measure_ensemble, record  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--member", default="lenet5", help="registered classifier")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)
    command = " ".join(["python benchmarks/ensemble.py", *(argv or sys.argv[1:])])
    rows = measure_ensemble(args.member, tuple(args.seeds), command=command)
    for name, accuracy in rows[0]["members"].items():
        print(f"{name:<24} accuracy {accuracy:.4f}")
    for row in rows:
        print(f"ensemble ({row['method']:<7})      accuracy {row['value']:.4f}  "
              f"(best member {row['best_member']:.4f}, "
              f"{row['value'] - row['best_member']:+.4f})")
    record(rows, "ensemble", "Ensembles of independently trained members versus their best "
           "member, Fashion-MNIST test split.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
