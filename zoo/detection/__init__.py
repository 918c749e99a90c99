"""Object detection (issue 14): the building blocks, then the detectors made of them.

- `zoo.detection.boxes`: box formats and their conversion, area, IoU, GIoU, clipping.
- `zoo.detection.anchors`: multi-level anchor grids (for a size known before or inside the
  graph), box encoding against anchors, IoU matching of anchors to ground-truth boxes.
- `zoo.detection.nms`: non-maximum suppression, class-agnostic and per class.
- `zoo.detection.losses`: smooth L1, sigmoid focal loss, GIoU loss, and RetinaNet's sum of
  them over a batch's anchors.
- `zoo.detection.evaluation`: COCO's mAP@[.5:.95] of boxes or instance masks and PASCAL
  VOC's mAP@0.5 (numpy); `zoo.detection.measure`: a detector trained and scored as the
  benchmarks record it.
- `zoo.detection.targets`: a padded batch of objects matched to anchors, image by image.
- `zoo.detection.backbones`: the registered classifiers a detector extracts maps from.
- `zoo.detection.pyramid`, `zoo.detection.heads`: the feature pyramid and the shared
  class and box heads.
- `zoo.detection.roi_align`, `zoo.detection.proposals`: a two-stage detector's parts
  (Faster R-CNN, Ren et al. 2015): Mask R-CNN's RoIAlign (a fixed-size map per region), the
  region proposals made from a proposal network's outputs, and the regions its second stage
  learns from; `zoo.detection.two_stage`: `FasterRCNN` made of them;
  `zoo.detection.mask_rcnn`: `MaskRCNN`, Faster R-CNN with a mask head (He et al. 2017), and
  `zoo.detection.masks`, its masks moved between a region's frame and the image.
- `zoo.detection.detector`: what every detector shares (images of any size, fit on padded
  targets).
- `zoo.detection.single_shot`: `SingleShotDetector`, RetinaNet/SSD-style;
  `zoo.detection.yolo`: `YoloDetector`, YOLO-style on the same network (objects learned
  at their centre's cell by the priors that fit them, an objectness score);
  `zoo.detection.signatures`, what an exported one serves.
"""
