"""Train the variational autoencoders with their recipes on binarised MNIST and record their
test negative log-likelihood bound (importance sampled) and negative ELBO, in nats:

    python benchmarks/vae.py                        # every VAE, 5,000 samples per image
    python benchmarks/vae.py conv_vae --samples 500
    python benchmarks/vae.py vae --epochs 2 --samples 50 --no-record

Published for a dense VAE on dynamically binarised MNIST: 86.76 nats with 5,000 importance
samples (Burda, Grosse and Salakhutdinov, 2016, Table 1: one stochastic layer of 50 units,
two deterministic layers of 200, 3,280 epochs). Rows land in zoo/results/vae.json; see
zoo.generative.measure.measure_vae.
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import zoo  # noqa: E402
from zoo.benchmark import record  # noqa: E402
from zoo.generative.measure import measure_vae  # noqa: E402

DESCRIPTION = ("Variational autoencoders trained with their card's recipe on dynamically "
               "binarised MNIST: the test split's negative log-likelihood bound from "
               "importance samples (nll) and negative ELBO, in nats per image, on test digits "
               "binarised once with a fixed seed.")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help="VAEs (default: all)")
    parser.add_argument("--samples", type=int, default=5000, help="importance samples per image")
    parser.add_argument("--epochs", type=int, help="override the recipes' epochs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-record", action="store_true", help="print, do not record")
    args = parser.parse_args(argv)
    command = " ".join(["python benchmarks/vae.py", *(argv or sys.argv[1:])])
    for name in args.models or zoo.list_models(task="density-estimation"):
        row = measure_vae(name, samples=args.samples, epochs=args.epochs, seed=args.seed,
                          command=command)
        print(f"{name:<10} nll {row['value']} (K={row['importance_samples']})  negative ELBO "
              f"{row['negative_elbo']}  {row['epochs_run']} epochs, {row['wall_seconds']} s "
              f"+ {row['evaluation_seconds']} s", flush=True)
        if not args.no_record:
            record([row], "vae", DESCRIPTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
