"""Train the GANs with their recipes on MNIST and measure their samples with a judge, LeNet-5
trained on the real digits: the classifier-feature FID of 10,000 samples against the test
digits, class coverage, and class consistency for the conditional ones.

    python benchmarks/gans.py                          # every GAN
    python benchmarks/gans.py dcgan conditional_dcgan
    python benchmarks/gans.py gan --epochs 1 --samples 2000 --no-record

The distance between training and test digits in the same features is recorded beside each
figure as its floor. These distances are not Inception FIDs and do not compare with
published ones. Rows land in zoo/results/gans.json; see zoo.generative.sample_quality.
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import zoo  # noqa: E402
from zoo.benchmark import record  # noqa: E402
from zoo.generative.sample_quality import SAMPLES, measure_gan  # noqa: E402

DESCRIPTION = ("GANs trained with their card's recipe, their samples judged by LeNet-5 "
               "trained on the real images: the Frechet distance between the judge's "
               "penultimate features of generated and test images (classifier_fid, lower is "
               "better; real_fid_floor is training against test images), the entropy of the "
               "judged classes over log 10 (class_coverage) and, for conditional GANs, the "
               "share judged as the class asked for (class_consistency).")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help="GANs (default: all)")
    parser.add_argument("--epochs", type=int, help="override the recipes' epochs")
    parser.add_argument("--samples", type=int, default=SAMPLES, help="images generated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-record", action="store_true", help="print, do not record")
    args = parser.parse_args(argv)
    command = " ".join(["python benchmarks/gans.py", *(argv or sys.argv[1:])])
    for name in args.models or zoo.list_models(task="generation"):
        row = measure_gan(name, epochs=args.epochs, seed=args.seed, samples=args.samples,
                          command=command)
        extra = {k: row[k] for k in ("class_coverage", "class_consistency") if k in row}
        print(f"{name:<18} classifier FID {row['value']} (floor {row['real_fid_floor']})  "
              f"{extra}  D accuracy {row['final_d_accuracy']}  {row['epochs_run']} epochs, "
              f"{row['wall_seconds']} s", flush=True)
        if not args.no_record:
            record([row], "gans", DESCRIPTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
