"""A YOLO-style one-stage detector: Redmon, Divvala, Girshick and Farhadi (2016), "You only
look once: unified, real-time object detection", CVPR, arXiv:1506.02640, as YOLOv3 made it
multi-scale (Redmon and Farhadi (2018), "YOLOv3: an incremental improvement",
arXiv:1804.02767).

What makes it YOLO rather than RetinaNet (`zoo.detection.single_shot`), on the same backbone,
feature pyramid and shared heads:

- **Responsible anchors.** An object is assigned to the grid cell that holds its centre, at
  the one prior (of every level's) whose shape fits its box best: the IoU of the two boxes
  centred on one point (YOLOv3, Section 2.1); with `multi_anchor_iou`, also at every other
  prior that fits it above that IoU (YOLOv4, Section 3.4). RetinaNet instead makes every
  anchor whose box overlaps the object by 0.5 or more a positive, wherever its cell.
- **An objectness score.** Each anchor predicts whether it is responsible for an object
  beside its class scores, and a detection scores sigmoid(objectness) x sigmoid(class), one
  independent logistic classifier per class (YOLOv3, Sections 2.1-2.2). The anchors that are
  not responsible learn "no object", except those whose predicted box already overlaps an
  object by more than `ignore_iou`: they are left out of the objectness loss (YOLOv3, 0.5),
  so that a good box that lost the assignment is not punished.
- **Boxes predicted in the cell.** The centre moves from the cell's centre by
  (2 sigmoid(t) - 1) strides, within one cell on either side: YOLOv3's sigmoid(t) offset from
  the cell's corner cannot reach a centre on the cell's edge, which YOLOv4's grid-sensitivity
  fix (Bochkovskiy, Wang and Liao (2020), arXiv:2004.10934, Section 3.4, "scale_x_y") widens
  as here. The size is the prior's times (2 sigmoid(t))^2, at most four times the prior,
  as Ultralytics' YOLOv5 bounds YOLOv3's prior x exp(t) so that an untrained head's large
  outputs cannot blow up the loss.
- **Losses.** Binary cross-entropy for objectness and for each class, and the GIoU loss of
  the decoded box (Rezatofighi et al. 2019; YOLOv3 regressed the t's with squared error,
  YOLOv4 moved to IoU losses); each summed over the batch and divided by its number of
  responsible anchors, at least one.

The raw outputs are [batch, anchors, 4 + 1 + num_classes]: the box's four t's, the
objectness logit, then the class logits, anchor by anchor in `anchors.anchor_boxes`' order
(each anchor a prior of its level's `anchor_size` and an aspect ratio, centred on its cell).
`detections` serves them under the Object Detection API's names, as `SingleShotDetector`
does, so export, the sweep and `zoo.train` treat both detectors alike.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import keras
import tensorflow as tf
from keras import ops

from zoo import _validate
from zoo.detection import boxes as box_ops
from zoo.detection.detector import BOX_DELTAS
from zoo.detection.heads import PRIOR_PROBABILITY, prior_bias
from zoo.detection.nms import batched_nms
from zoo.detection.single_shot import SingleShotDetector
from zoo.detection.targets import PADDING_CLASS, padded_ground_truth
from zoo.generative.trackers import mean_trackers

YOLO_FAMILY = "yolo"
OBJECTNESS = 1  # logits an anchor predicts beside its class logits
# A YOLO anchor is one prior shape at one scale: the priors' sizes are the levels' sizes.
PRIOR_SCALES = (1.0,)


class ResponsibleAnchors(NamedTuple):
    """Each anchor's target in a batch, [B, A] or [B, A, 4]."""

    responsible: tf.Tensor  # float32: 1 for an anchor an object is assigned to, else 0.
    classes: tf.Tensor  # int32: that object's class, else -1.
    boxes: tf.Tensor  # float32 "xyxy": that object's box, else 0.


@keras.saving.register_keras_serializable(package="zoo")
class YoloDetector(SingleShotDetector):
    """A YOLOv3-style detector (see the module docstring).

    Args:
        num_classes, backbone, channels, backbone_options, strides, feature_pyramid, width,
        head_depth, prior_probability, score_threshold, iou_threshold, max_detections:
            as `SingleShotDetector`'s (the prior probability is objectness's start;
            `initial_score_bias`).
        anchor_sizes: each level's prior size in pixels, one per stride; with
            `aspect_ratios` (width / height) they make each level's priors, one anchor per
            ratio at every cell (YOLOv3's nine k-means priors, three a level).
        multi_anchor_iou: None for YOLOv3's one anchor per object; a number makes every
            other prior whose shape IoU with the object exceeds it responsible too, at the
            cell of the object's centre on its level (YOLOv4, Section 3.4: more positives
            to learn from; darknet's `iou_thresh=0.213`).
        ignore_iou: a predicted box that overlaps an object by more than this is left out of
            the objectness loss when its anchor is not the object's (YOLOv3: 0.5).
        box_weight: the GIoU loss's weight in the total.
    """

    def __init__(self, num_classes=20, backbone="resnet18", channels=1, backbone_options=None,
                 strides=(8, 16, 32), anchor_sizes=(16, 32, 64), aspect_ratios=(0.5, 1.0, 2.0),
                 feature_pyramid=True, width=128, head_depth=2,
                 prior_probability=PRIOR_PROBABILITY, multi_anchor_iou=None, ignore_iou=0.5,
                 box_weight=1.0, score_threshold=0.05, iou_threshold=0.5, max_detections=100,
                 **kwargs):
        self.multi_anchor_iou = None if multi_anchor_iou is None \
            else _validate.fraction("multi_anchor_iou", multi_anchor_iou)
        self.ignore_iou = _validate.fraction("ignore_iou", ignore_iou)
        self.box_weight = _validate.non_negative("box_weight", box_weight)
        for fixed in ("anchor_scales", "positive_iou", "negative_iou", "focal_alpha",
                      "focal_gamma", "box_loss", "smooth_l1_beta"):
            if fixed in kwargs:
                raise ValueError(f"{fixed}={kwargs[fixed]!r} is RetinaNet's; a YOLO detector "
                                 "has one prior per aspect ratio, learns each object at the "
                                 "cell of its centre and its box by GIoU.")
        super().__init__(num_classes=num_classes, backbone=backbone, channels=channels,
                         backbone_options=backbone_options, strides=strides,
                         anchor_sizes=anchor_sizes, anchor_scales=PRIOR_SCALES,
                         aspect_ratios=aspect_ratios, feature_pyramid=feature_pyramid,
                         width=width, head_depth=head_depth,
                         prior_probability=prior_probability, box_loss="giou",
                         score_threshold=score_threshold, iou_threshold=iou_threshold,
                         max_detections=max_detections, **kwargs)
        self.trackers = mean_trackers("loss", "object_loss", "class_loss", "box_loss")

    @property
    def scores_per_anchor(self) -> int:
        return OBJECTNESS + self.num_classes

    def initial_score_bias(self) -> list[float]:
        """Objectness starts at `prior_probability` (few anchors hold an object) and each
        class at 1 / num_classes: a class score is the class's probability given an object,
        so a uniform start adds no rarity that objectness already says (YOLOv5's start,
        0.6 / (num_classes - 0.99), is nearly the same). Per anchor: objectness, classes."""
        start = [prior_bias(self.prior_probability)]
        if self.num_classes > 1:
            start += [prior_bias(1 / self.num_classes)] * self.num_classes
        else:  # one class: the class score is certain given an object
            start += [prior_bias(1 - self.prior_probability)]
        return start * self.anchors_per_cell

    @staticmethod
    def split_outputs(outputs):
        """(box t's [..., 4], objectness logit [...], class logits [..., num_classes])."""
        return (outputs[..., :BOX_DELTAS], outputs[..., BOX_DELTAS],
                outputs[..., BOX_DELTAS + OBJECTNESS:])

    # --- geometry ------------------------------------------------------------------------

    def _priors(self) -> tf.Tensor:
        """Every level's prior (width, height), level by level: [levels x ratios, 2]."""
        return tf.constant([(size * math.sqrt(ratio), size / math.sqrt(ratio))
                            for size in self.anchor_sizes for ratio in self.aspect_ratios],
                           tf.float32)

    def _grid(self, image_size):
        """Each level's (rows, columns) [levels, 2] and the index of its first anchor
        [levels], for images of `image_size` (ints or an int tensor)."""
        height, width = tf.cast(image_size[0], tf.int32), tf.cast(image_size[1], tf.int32)
        cells = tf.stack([tf.stack([(height + s - 1) // s, (width + s - 1) // s])
                          for s in self.strides])
        counts = cells[:, 0] * cells[:, 1] * self.anchors_per_cell
        return cells, tf.cumsum(counts, exclusive=True)

    def _anchor_strides(self, image_size) -> tf.Tensor:
        """Each anchor's stride [A], float32."""
        cells, _ = self._grid(image_size)
        return tf.repeat(tf.constant(self.strides, tf.float32),
                         cells[:, 0] * cells[:, 1] * self.anchors_per_cell)

    def decode(self, box_outputs, image_size, anchors=None) -> tf.Tensor:
        """The "xyxy" boxes [B, A, 4] that the t's [B, A, 4] predict on the anchors of images
        of `image_size` (the module docstring's parameterisation); `anchors` are those
        anchors when the caller has them already."""
        if anchors is None:
            anchors = self.anchors_for(image_size)
        strides = self._anchor_strides(image_size)[:, None]
        centre = (anchors[:, :2] + anchors[:, 2:]) / 2
        prior = anchors[:, 2:] - anchors[:, :2]
        offsets = tf.sigmoid(box_outputs)
        xy = centre + (2 * offsets[..., :2] - 1) * strides
        half = prior * (2 * offsets[..., 2:]) ** 2 / 2
        return tf.concat([xy - half, xy + half], axis=-1)

    # --- outputs ---------------------------------------------------------------------------

    def detections(self, outputs, image_size, score_threshold=None, iou_threshold=None,
                   max_detections=None) -> dict:
        """Raw `outputs` decoded, each class scored sigmoid(objectness) x sigmoid(class) and
        reduced by per-class non-maximum suppression; `SingleShotDetector.detections`' names
        and shapes."""
        outputs = ops.cast(outputs, "float32")
        anchors = self._anchors_of(image_size, outputs)  # checked against the outputs
        box_outputs, objectness, logits = self.split_outputs(outputs)
        boxes = box_ops.clip(self.decode(box_outputs, image_size, anchors), image_size)
        scores = tf.sigmoid(objectness)[..., None] * tf.sigmoid(logits)
        most = self.max_detections if max_detections is None else max_detections
        return batched_nms(
            boxes, scores, self.iou_threshold if iou_threshold is None else iou_threshold,
            max_output_per_class=most, max_output=most,
            score_threshold=self.score_threshold if score_threshold is None
            else score_threshold)

    # --- training --------------------------------------------------------------------------

    def _responsible_in_image(self, image_size, boxes, classes):
        """One image's targets: each valid object's anchors (the prior of best shape IoU, and
        with `multi_anchor_iou` every prior above it, at the cell of the object's centre on
        that prior's level)."""
        valid = classes != PADDING_CLASS
        boxes, classes = tf.boolean_mask(boxes, valid), tf.boolean_mask(classes, valid)
        priors = self._priors()
        sizes = boxes[:, 2:] - boxes[:, :2]
        overlap = tf.reduce_prod(tf.minimum(sizes[:, None], priors[None]), -1)
        union = (tf.reduce_prod(sizes, -1)[:, None] + tf.reduce_prod(priors, -1)[None]
                 - overlap)
        shape_iou = tf.math.divide_no_nan(overlap, union)  # [objects, priors]
        # A degenerate box fits no prior (all IoUs 0) and takes the first, finest one.
        chosen = tf.one_hot(tf.argmax(shape_iou, axis=1), tf.shape(priors)[0]) > 0
        if self.multi_anchor_iou is not None:
            chosen |= shape_iou > self.multi_anchor_iou
        pairs = tf.cast(tf.where(chosen), tf.int32)  # (object, prior), object by object
        boxes, classes = tf.gather(boxes, pairs[:, 0]), tf.gather(classes, pairs[:, 0])
        level = pairs[:, 1] // self.anchors_per_cell
        ratio = pairs[:, 1] % self.anchors_per_cell
        cells, first = self._grid(image_size)
        stride = tf.gather(tf.constant(self.strides, tf.float32), level)
        rows, cols = tf.gather(cells[:, 0], level), tf.gather(cells[:, 1], level)
        centre = (boxes[:, :2] + boxes[:, 2:]) / 2
        # A centre outside the image (a box hanging off its edge) takes the nearest cell.
        col = tf.clip_by_value(tf.cast(tf.floor(centre[:, 0] / stride), tf.int32), 0, cols - 1)
        row = tf.clip_by_value(tf.cast(tf.floor(centre[:, 1] / stride), tf.int32), 0, rows - 1)
        index = (tf.gather(first, level) + (row * cols + col) * self.anchors_per_cell
                 + ratio)[:, None]
        count = first[-1] + cells[-1, 0] * cells[-1, 1] * self.anchors_per_cell
        # Two objects given the same anchor: one of them keeps it (YOLO's known limit).
        return (tf.tensor_scatter_nd_update(tf.zeros([count]), index,
                                            tf.ones_like(index[:, 0], tf.float32)),
                tf.tensor_scatter_nd_update(tf.fill([count], PADDING_CLASS), index, classes),
                tf.tensor_scatter_nd_update(tf.zeros([count, 4]), index, boxes))

    def responsible_anchors(self, image_size, boxes, classes) -> ResponsibleAnchors:
        """Every image's targets for a padded batch (`targets.padded_ground_truth`)."""
        signature = (tf.TensorSpec([None], tf.float32), tf.TensorSpec([None], tf.int32),
                     tf.TensorSpec([None, 4], tf.float32))
        return ResponsibleAnchors(*tf.map_fn(
            lambda image: self._responsible_in_image(image_size, *image), (boxes, classes),
            fn_output_signature=signature))

    def detection_losses(self, images, targets, outputs) -> dict:
        """`{"loss", "object_loss", "class_loss", "box_loss"}` of raw `outputs` for `images`
        against padded `targets` (the module docstring's losses); `loss` adds them, the box
        loss times `box_weight`."""
        gt_boxes, gt_classes = padded_ground_truth(targets, self.num_classes)
        image_size = tf.shape(images)[1:3]
        outputs = ops.cast(outputs, "float32")
        anchors = self._anchors_of(image_size, outputs)
        assigned = self.responsible_anchors(image_size, gt_boxes, gt_classes)
        box_outputs, objectness, logits = self.split_outputs(outputs)
        predicted = self.decode(box_outputs, image_size, anchors)
        # Best IoU of each (not responsible) prediction with its image's objects; padding
        # rows are degenerate boxes of IoU 0.
        best_iou = tf.reduce_max(box_ops.iou(tf.stop_gradient(predicted), gt_boxes), axis=-1)
        responsible = assigned.responsible
        ignored = (1 - responsible) * tf.cast(best_iou > self.ignore_iou, tf.float32)
        count = tf.maximum(tf.reduce_sum(responsible), 1.0)
        object_loss = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(
            labels=responsible, logits=objectness) * (1 - ignored)) / count
        one_hot = tf.one_hot(assigned.classes, self.num_classes)
        class_loss = tf.reduce_sum(tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(
            labels=one_hot, logits=logits), -1) * responsible) / count
        # The anchors no object is assigned to regress onto their prediction: finite,
        # and masked out.
        matched = tf.where(responsible[..., None] > 0, assigned.boxes,
                           tf.stop_gradient(predicted))
        box_loss = tf.reduce_sum((1 - box_ops.giou(matched, predicted, aligned=True))
                                 * responsible) / count
        return {"loss": object_loss + class_loss + self.box_weight * box_loss,
                "object_loss": object_loss, "class_loss": class_loss, "box_loss": box_loss}

    def get_config(self):
        config = super().get_config()
        for fixed in ("anchor_scales", "positive_iou", "negative_iou", "focal_alpha",
                      "focal_gamma", "box_loss", "smooth_l1_beta"):
            config.pop(fixed)
        return {**config, "multi_anchor_iou": self.multi_anchor_iou,
                "ignore_iou": self.ignore_iou, "box_weight": self.box_weight}
