"""Pretrain a detector backbone to name the canvases' items one at a time, and record how well
it names the test items at each size:

    python benchmarks/item_pretraining.py --weights runs/item_backbone/resnet18.weights.h5
    python benchmarks/item_pretraining.py --weights /tmp/r18.weights.h5 --epochs 1 \
        --items-per-epoch 2000 --no-record                                  # a quick look

`zoo.detection.item_pretraining` says what the items are and what stays apart (no validation
or test object is ever seen). The backbone's weights are written to `--weights`; a detector or
segmenter starts from them with

    python benchmarks/detection.py faster_rcnn_resnet18 \
        --model-option "backbone_options={'weights': 'runs/item_backbone/resnet18.weights.h5'}"

which lands in benchmarks/results/detection_ablations.json as its own variant. The row here
(benchmarks/results/item_pretraining.json) holds the test accuracy overall, per class and by
the longer side of the item's box (`zoo.detection.objects.SIZE_EDGES`, the detection rows'
bins): the naming a classifier that sees one whole item reaches at each size.
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from zoo.benchmark import provenance, record  # noqa: E402
from zoo.detection.item_pretraining import pretrain_backbone  # noqa: E402
from zoo.detection.objects import pooled  # noqa: E402

DESCRIPTION = ("A detector backbone trained to classify the canvases' single items (the "
               "sources' training items minus those of the validation canvases, each rendered "
               "as the canvases paste it at 14-56 px on a black 64x64 square, new sizes and "
               "places every epoch); scored on the sources' test items rendered the same way: "
               "accuracy overall and 'by_size', the share of items named right per class and "
               "size bin (longer side of the box).")
RESULTS_PATH = Path(__file__).parent / "results" / "item_pretraining.json"
FASHION, DIGITS = range(10), range(10, 20)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", required=True,
                        help="where to write the backbone's weights (.weights.h5)")
    parser.add_argument("--backbone", default="resnet18")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--items-per-epoch", type=int, default=40_000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-record", action="store_true", help="print, do not record")
    args = parser.parse_args(argv)
    command = " ".join(["python benchmarks/item_pretraining.py", *(argv or sys.argv[1:])])
    started = time.perf_counter()
    row = pretrain_backbone(args.weights, backbone=args.backbone, epochs=args.epochs,
                            items_per_epoch=args.items_per_epoch, batch_size=args.batch_size,
                            learning_rate=args.learning_rate, seed=args.seed, verbose=2)
    summary = row["by_size"]
    names = list(summary["objects"])[1:]
    row = {**row, "epochs_max": args.epochs, "learning_rate": args.learning_rate,
           "seed": args.seed, "wall_seconds": round(time.perf_counter() - started, 1),
           **provenance(command)}
    print(f"{args.backbone}: test accuracy {row['accuracy']} (best validation "
          f"{row['best_val_accuracy']}, {row['epochs_run']} epochs)")
    print(f"named by size {summary['bins']}: all {summary['named']['all']}, Fashion-MNIST "
          f"{pooled(summary, 'named', [names[c] for c in FASHION])}, digits "
          f"{pooled(summary, 'named', [names[c] for c in DIGITS])}")
    if not args.no_record:
        print("recorded in", record([row], "item_pretraining", DESCRIPTION, path=RESULTS_PATH,
                                    keys=("backbone", "dataset")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
