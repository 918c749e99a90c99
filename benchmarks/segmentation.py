"""Train the segmenters by their recipes on the canvases' class maps and record their test
mean IoU:

    python benchmarks/segmentation.py                        # every segmenter
    python benchmarks/segmentation.py fcn8s_resnet18 --epochs 2 --no-record
    python benchmarks/segmentation.py fcn8s_resnet18 --augment zoom_crop   # an ablation
    python benchmarks/segmentation.py unet_resnet18 --run-dir runs/unet_resnet18-...
    python benchmarks/segmentation.py unet_resnet18 --dataset stardist_nuclei --epochs 300 \
        --batch-size 16 --augment flip --schedule cosine --no-early-stopping

Mean IoU over the 21 classes (background included, as PASCAL VOC counts it) is the recorded
value; the object classes' mean IoU, pixel accuracy and each class' IoU stand beside it, and
each class' share of test objects named right by their pixels' vote, by size
(objects_by_size). `--run-dir` scores a finished run instead of training one. With
`--dataset stardist_nuclei` a segmenter trains on the real nuclei tiles instead (two classes,
background and nucleus; the row's metric is stardist_nuclei_mean_iou).
Rows land in zoo/results/segmentation.json, where the cards read them; a run on the card's
dataset off its recipe (another `--augment`, `--epochs`, `--schedule` or `--model-option
NAME=VALUE`, e.g. `"backbone_options={'weights': PATH}"` from benchmarks/item_pretraining.py)
lands in
benchmarks/results/segmentation_ablations.json instead (the row's 'variant' names what it
changed besides the augmentation). See zoo.segmentation.measure.
"""

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import zoo  # noqa: E402
from zoo.benchmark import add_train_option_flags, record_training_row, train_options  # noqa: E402
from zoo.segmentation.measure import measure_segmenter  # noqa: E402

DESCRIPTION = ("Segmenters trained by their card's recipe on the class maps of the Fashion-MNIST "
               "and MNIST canvases, scored on every pixel of the 1,000 test canvases: mean IoU "
               "over the 21 classes with the background (value), over the 20 object classes, "
               "pixel accuracy and each class' IoU; rows named stardist_nuclei_mean_iou: the "
               "same on the 16 test tiles of the StarDist nuclei (background and nucleus).")

ABLATIONS = ("Segmenters trained by their card's recipe with another augmentation (the row's "
             "'augment') or other epochs and options (its 'variant'), scored as in "
             "zoo/results/segmentation.json.")
ABLATIONS_PATH = Path(__file__).parent / "results" / "segmentation_ablations.json"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help="segmenters (default: all)")
    parser.add_argument("--dataset", help="another detection dataset's class maps "
                        "(default: each card's, the canvases), e.g. stardist_nuclei")
    parser.add_argument("--epochs", type=int, help="override the recipes' epochs")
    add_train_option_flags(parser)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs-root", help="keep the runs' checkpoints here")
    parser.add_argument("--augment", help="replace the recipes' augmentation (none: none)")
    parser.add_argument("--run-dir", help="score this finished zoo.train run of the one model "
                        "named instead of training (give the flags it was trained with)")
    parser.add_argument("--no-record", action="store_true", help="print, do not record")
    args = parser.parse_args(argv)
    command = " ".join(["python benchmarks/segmentation.py", *(argv or sys.argv[1:])])
    names = args.models or zoo.list_models(task="semantic-segmentation")
    if args.run_dir and len(names) != 1:
        parser.error("--run-dir scores one run: name its model, and only it")
    for name in names:
        row = measure_segmenter(name, dataset=args.dataset, epochs=args.epochs,
                                train_options=train_options(args), seed=args.seed,
                                runs_root=args.runs_root, augment=args.augment,
                                command=command, run_dir=args.run_dir)
        by_size = row["objects_by_size"]
        print(f"{name}: mean IoU {row['value']}, objects' mean IoU {row['objects_mean_iou']}, "
              f"pixel accuracy {row['pixel_accuracy']} ({row['epochs_run']} epochs, "
              f"{row['wall_seconds']} s); objects named right by size "
              f"{dict(zip(by_size['bins'], by_size['named']['all'], strict=True))}",
              flush=True)
        if args.no_record:
            continue
        record_training_row(row, zoo.model_card(name), "segmentation", DESCRIPTION,
                            ablations_path=ABLATIONS_PATH, ablations_description=ABLATIONS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
