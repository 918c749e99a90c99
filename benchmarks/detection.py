"""Train the detectors by their recipes on the detection canvases and record their test mAP:

    python benchmarks/detection.py                         # every detector
    python benchmarks/detection.py retinanet_resnet18 --epochs 2 --no-record
    python benchmarks/detection.py retinanet_resnet18 --dataset deepforest_trees --epochs 120 \
        --batch-size 8 --augment crop_flip --schedule cosine --no-early-stopping

COCO's mAP@[.5:.95] is the recorded value; COCO's mAP@0.5 and @0.75 and PASCAL VOC's
all-point mAP@0.5 stand beside it, and the mAP of a baseline that knows only the training
boxes' typical size. `--dataset deepforest_trees` trains on the real aerial tree crowns
instead (the row's metric: deepforest_trees_coco_map). Rows land in
zoo/results/detection.json; see zoo.detection.measure for how each figure is computed.
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import zoo  # noqa: E402
from zoo.benchmark import add_train_option_flags, record, train_options  # noqa: E402
from zoo.detection.measure import measure_detector  # noqa: E402

DESCRIPTION = ("Detectors trained by their card's recipe on the Fashion-MNIST and MNIST "
               "canvases, scored on the 1,000 test canvases: COCO's mAP@[.5:.95] (value), "
               "mAP@0.5 and mAP@0.75, and PASCAL VOC's all-point mAP@0.5; rows named "
               "deepforest_trees_coco_map: the same on the 50 test tiles of DeepForest's aerial "
               "tree crowns, beside a baseline that knows only the training boxes' size.")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help="detectors (default: all)")
    parser.add_argument("--dataset", help="another detection dataset (default: each card's, "
                        "the canvases), e.g. deepforest_trees")
    parser.add_argument("--epochs", type=int, help="override the recipes' epochs")
    add_train_option_flags(parser)
    parser.add_argument("--augment", help="replace the recipes' augmentation (none: none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs-root", help="keep the runs' checkpoints here")
    parser.add_argument("--no-record", action="store_true", help="print, do not record")
    args = parser.parse_args(argv)
    command = " ".join(["python benchmarks/detection.py", *(argv or sys.argv[1:])])
    for name in args.models or zoo.list_models(task="object-detection"):
        row = measure_detector(name, dataset=args.dataset, epochs=args.epochs,
                               augment=args.augment, train_options=train_options(args),
                               seed=args.seed,
                               runs_root=args.runs_root, command=command)
        print(f"{name}: COCO mAP {row['value']}, mAP@0.5 {row['map_50']}, mAP@0.75 "
              f"{row['map_75']}, VOC mAP@0.5 {row['voc_map_50']} ({row['epochs_run']} epochs, "
              f"{row['wall_seconds']} s; the size-only baseline: COCO mAP "
              f"{row['baseline']['coco_map']}, mAP@0.5 {row['baseline']['map_50']})",
              flush=True)
        if not args.no_record:
            record([row], "detection", DESCRIPTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
