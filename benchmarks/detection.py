"""Train the detectors by their recipes on the detection canvases and record their test mAP:

    python benchmarks/detection.py                         # every detector
    python benchmarks/detection.py mask_rcnn_resnet18      # masks and boxes
    python benchmarks/detection.py mask_rcnn_resnet18 --run-dir runs/mask_rcnn_resnet18-...
    python benchmarks/detection.py retinanet_resnet18 --epochs 2 --no-record
    python benchmarks/detection.py faster_rcnn_resnet18 --model-option canonical_size=16
    python benchmarks/detection.py retinanet_resnet18 --dataset deepforest_trees --epochs 120 \
        --batch-size 8 --augment crop_flip --schedule cosine --no-early-stopping

COCO's mAP@[.5:.95] is the recorded value; COCO's mAP@0.5 and @0.75 and PASCAL VOC's
all-point mAP@0.5 stand beside it, and the mAP of a baseline that knows only the training
boxes' typical size. `--dataset deepforest_trees` trains on the real aerial tree crowns
instead (the row's metric: deepforest_trees_coco_map). An instance segmenter's row
(mask_coco_map) scores its masks, its boxes beside them (box_...), and the class maps its
masks paint (class_map_...). Every row also says which test objects were found and which
named right, by size (objects_by_size, zoo.detection.objects). `--run-dir` scores a
finished run instead of training one (after a metric is added, say). Rows land in
zoo/results/detection.json, where the cards read them; a run on the card's dataset off
its recipe, with another augmentation (`--augment none` trains YOLO, Faster R-CNN or Mask
R-CNN on the stored canvases, `--augment recompose` RetinaNet on new ones), other epochs,
another schedule or another build of the model (`--model-option NAME=VALUE`, a factory
argument), lands in benchmarks/results/detection_ablations.json instead (the row's 'variant'
names what it changed besides the augmentation). See zoo.detection.measure for how each
figure is computed.
"""

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import zoo  # noqa: E402
from zoo.benchmark import add_train_option_flags, record_training_row, train_options  # noqa: E402
from zoo.detection.measure import DETECTION_TASKS, measure_detector  # noqa: E402

DESCRIPTION = ("Detectors trained by their card's recipe on the Fashion-MNIST and MNIST "
               "canvases, scored on the 1,000 test canvases: COCO's mAP@[.5:.95] (value), "
               "mAP@0.5 and mAP@0.75, and PASCAL VOC's all-point mAP@0.5; rows named "
               "deepforest_trees_coco_map: the same on the 50 test tiles of DeepForest's aerial "
               "tree crowns, beside a baseline that knows only the training boxes' size; rows "
               "named mask_coco_map: instance segmenters' masks scored by COCO's mask AP "
               "(pixel IoU), their boxes as the detectors' (box_...); class_agnostic_...: "
               "COCO's mAP with every class taken as one.")

ABLATIONS = ("Detectors trained by their card's recipe with another augmentation (the row's "
             "'augment') or other epochs and options (its 'variant'), scored as in "
             "zoo/results/detection.json.")
ABLATIONS_PATH = Path(__file__).parent / "results" / "detection_ablations.json"


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
    parser.add_argument("--run-dir", help="score this finished zoo.train run of the one model "
                        "named instead of training (give the flags it was trained with)")
    parser.add_argument("--no-record", action="store_true", help="print, do not record")
    args = parser.parse_args(argv)
    command = " ".join(["python benchmarks/detection.py", *(argv or sys.argv[1:])])
    names = args.models or [name for task in DETECTION_TASKS
                            for name in zoo.list_models(task=task)]
    if args.run_dir and len(names) != 1:
        parser.error("--run-dir scores one run: name its model, and only it")
    for name in names:
        row = measure_detector(name, dataset=args.dataset, epochs=args.epochs,
                               augment=args.augment, train_options=train_options(args),
                               seed=args.seed,
                               runs_root=args.runs_root, command=command,
                               run_dir=args.run_dir)
        scored = {key: value for key, value in row.items()
                  if isinstance(value, float) and key != "wall_seconds"}
        print(f"{name} {row['metric']}: {scored} ({row['epochs_run']} epochs, "
              f"{row['wall_seconds']} s; the size-only baseline: {row['baseline']})",
              flush=True)
        if not args.no_record:
            record_training_row(row, zoo.model_card(name), "detection", DESCRIPTION,
                                ablations_path=ABLATIONS_PATH, ablations_description=ABLATIONS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
