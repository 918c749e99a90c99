"""Train the autoencoders with their recipes on Fashion-MNIST and record what they are worth
beside the classical answers (see zoo.generative.measure for how each figure is computed):

    python benchmarks/autoencoders.py                    # every measurement
    python benchmarks/autoencoders.py pca separation     # some of them
    python benchmarks/autoencoders.py anomaly --held-out 1 --no-record
    python benchmarks/autoencoders.py anomaly --model f_anogan --held-out 0 1   # adds to its row

  pca         linear_autoencoder: largest principal angle to PCA's subspace, MSE over PCA's
  separation  deep_autoencoder: kNN accuracy of its 2-D test codes, and of PCA's 2 components
  denoising   denoising_autoencoder: PSNR of its output and of the noisy input
  anomaly     conv_autoencoder (or --model f_anogan): ROC AUC of the anomaly score for a
              held-out class, each class in turn (ten trainings); a run for some classes
              adds them to the model's recorded row

Rows land in zoo/results/autoencoders.json.
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from zoo.benchmark import record  # noqa: E402
from zoo.generative import measure  # noqa: E402

DESCRIPTION = ("Autoencoders trained with their card's recipe on Fashion-MNIST, beside the "
               "classical answer on the same images: the linear one against PCA (largest "
               "principal angle, test MSE ratio), 2-D codes against PCA's 2 components (kNN "
               "accuracy on test codes), denoising (PSNR gain over the noisy input), and "
               "novelty detection by reconstruction error with one class held out (ROC AUC).")
MEASUREMENTS = {
    "pca": measure.measure_pca_subspace,
    "separation": measure.measure_code_separation,
    "denoising": measure.measure_denoising,
    "anomaly": measure.measure_anomaly,
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("measurements", nargs="*", choices=[[], *MEASUREMENTS],
                        help="which (default: all)")
    parser.add_argument("--model", help="measure this autoencoder instead of the default one")
    parser.add_argument("--held-out", type=int, nargs="+",
                        help="anomaly: the classes held out, in turn (default: each)")
    parser.add_argument("--epochs", type=int, help="override the recipes' epochs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-record", action="store_true", help="print, do not record")
    args = parser.parse_args(argv)
    command = " ".join(["python benchmarks/autoencoders.py", *(argv or sys.argv[1:])])
    for which in args.measurements or MEASUREMENTS:
        options = {"epochs": args.epochs, "seed": args.seed, "command": command}
        if args.model:
            options["name"] = args.model
        if which == "anomaly":
            options["held_out"] = args.held_out
        row = MEASUREMENTS[which](**options)
        extras = {k: v for k, v in row.items() if k in (
            "mse_ratio_to_pca", "pca_knn_accuracy", "noisy_psnr_db", "denoised_psnr_db",
            "per_class")}
        print(f"{row['model']:<22} {row['metric']} {row['value']}  {extras}  "
              f"({row['wall_seconds']} s)", flush=True)
        if not args.no_record:
            # Classes held out in separate runs add up to one row (f-AnoGAN takes half an
            # hour a class on two cores).
            combine = measure.combine_held_out if which == "anomaly" else None
            record([row], "autoencoders", DESCRIPTION, combine=combine)
    return 0


if __name__ == "__main__":
    sys.exit(main())
