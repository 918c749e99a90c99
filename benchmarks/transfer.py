"""Transfer learning against training from scratch, on a few hundred real MNIST digits.

    python benchmarks/transfer.py                    # 300 digits, LeNet-5 pretrained on
                                                     # Fashion-MNIST
    python benchmarks/transfer.py --examples 1000

LeNet-5 is pretrained on Fashion-MNIST, its top replaced and trained on the digits with the
backbone frozen, then its last layers fine-tuned at a low learning rate; the same network is
trained from scratch on the same digits for as many epochs. Both are scored on the full
10,000-image MNIST test split; rows land in zoo/results/transfer.json.
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from zoo.benchmark import measure_transfer, record  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=300, help="target training images")
    parser.add_argument("--pretrain-epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    command = " ".join(["python benchmarks/transfer.py", *(argv or sys.argv[1:])])
    rows = measure_transfer(examples=args.examples, pretrain_epochs=args.pretrain_epochs,
                            seed=args.seed, command=command)
    for row in rows:
        print(f"{row['metric']:<32} {row['value']:.4f}")
    record(rows, "transfer", "Transfer from Fashion-MNIST versus training from scratch on a "
           "few hundred MNIST digits; MNIST test split.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
