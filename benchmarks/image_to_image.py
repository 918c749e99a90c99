"""Train the image-to-image GANs with their recipes and measure their translations of test
images. pix2pix on MNIST (and each one's U-Net on L1 alone): the restored test digits beside
the classical answer (bicubic upsampling; the hole filled with black): PSNR, the MNIST judge's
accuracy on them, and the classifier-feature FID to the clean images. CycleGAN between two
Fashion-MNIST classes: the share of translations the judge calls the target class, their
FID to it, and what they keep of their input (silhouette IoU, round-trip PSNR).

    python benchmarks/image_to_image.py
    python benchmarks/image_to_image.py pix2pix_inpainting --epochs 1 --no-record

Rows land in zoo/results/image_to_image.json; see zoo.generative.measure_image_to_image.
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import zoo  # noqa: E402
from zoo.benchmark import record  # noqa: E402
from zoo.generative.measure_image_to_image import (  # noqa: E402
    measure_cyclegan,
    measure_image_to_image,
)

MEASURES = {"image-to-image": measure_image_to_image, "unpaired-translation": measure_cyclegan}
DESCRIPTION = ("Image-to-image GANs (pix2pix) on corrupted MNIST test digits (shrunk to 14x14, "
               "or with a 12x12 square masked): PSNR of the restored images (psnr_db), the "
               "MNIST judge's accuracy on them and their classifier-feature FID to the clean "
               "digits, for pix2pix, the same U-Net trained on L1 alone (l1_only_*) and the "
               "classical answer (classical_*). Unpaired translation (CycleGAN) between two "
               "Fashion-MNIST classes: the share of translated test images the judge "
               "classifies as the target class (judged_as_target), their classifier-feature "
               "FID to its real images, silhouette IoU with their input beside a random "
               "pairing's, and round-trip PSNR.")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help="image-to-image models (default: all)")
    parser.add_argument("--epochs", type=int, help="override the recipes' epochs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-record", action="store_true", help="print, do not record")
    args = parser.parse_args(argv)
    command = " ".join(["python benchmarks/image_to_image.py", *(argv or sys.argv[1:])])
    names = args.models or (zoo.list_models(task="image-to-image")
                            + zoo.list_models(task="unpaired-translation"))
    for name in names:
        measure = MEASURES[zoo.model_card(name).task]
        row = measure(name, epochs=args.epochs, seed=args.seed, command=command)
        print(name, {k: v for k, v in row.items()
                     if isinstance(v, float) and k != "value"}, flush=True)
        if not args.no_record:
            record([row], "image_to_image", DESCRIPTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
