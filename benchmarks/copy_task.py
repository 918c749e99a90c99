"""Train the Neural Turing Machine and the LSTM baseline on the copy task (Graves et al.
2014, Section 4.1) with their recipes, and record each one's bit error rate on fixed test
sequences of the trained lengths (1 to 10 vectors of 8 bits) and of twice the longest (20).

    python benchmarks/copy_task.py                 # ntm and lstm_sequence
    python benchmarks/copy_task.py ntm --epochs 20 --no-record

Rows land in zoo/results/copy_task.json (the cards read them).
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import zoo  # noqa: E402
from zoo.benchmark import record  # noqa: E402
from zoo.sequence.measure import measure_copy  # noqa: E402

DESCRIPTION = ("Bit error rate on the copy task's test sequences, at the trained lengths "
               "(1-10) and at twice the longest (20), of memory networks trained with their "
               "card's recipe.")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help="sequence models (default: all)")
    parser.add_argument("--epochs", type=int, help="override the recipes' epochs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-record", action="store_true", help="print, do not record")
    args = parser.parse_args(argv)
    command = " ".join(["python benchmarks/copy_task.py", *(argv or sys.argv[1:])])
    for name in args.models or zoo.list_models(task="sequence-transduction"):
        rows = measure_copy(name, epochs=args.epochs, seed=args.seed, command=command)
        for row in rows:
            print(f"{name:<15} {row['metric']:<26} {row['value']:.5f}  ({row['epochs_run']} "
                  f"epochs, {row['wall_seconds']} s)", flush=True)
        if not args.no_record:
            record(rows, "copy_task", DESCRIPTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
