"""Object detection's building blocks, before any model (issue 14):

- `zoo.detection.boxes`: box formats and their conversion, area, IoU, GIoU, clipping.
- `zoo.detection.anchors`: multi-level anchor grids, box encoding against anchors, IoU
  matching of anchors to ground-truth boxes.
- `zoo.detection.nms`: non-maximum suppression, class-agnostic and per class.
- `zoo.detection.losses`: smooth L1, sigmoid focal loss, GIoU loss.
- `zoo.detection.evaluation`: COCO's mAP@[.5:.95] and PASCAL VOC's mAP@0.5 (numpy).
"""
