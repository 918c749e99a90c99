"""Anchors: the reference boxes a one-stage detector classifies and regresses from.

- `anchor_boxes`: a grid of anchors over several feature levels, as RetinaNet (Lin, Goyal,
  Girshick, He and Dollar (2017), "Focal loss for dense object detection", ICCV,
  arXiv:1708.02002, Section 4) and SSD (Liu, Anguelov, Erhan, Szegedy, Reed, Fu and Berg
  (2016), "SSD: single shot multibox detector", ECCV, arXiv:1512.02325, Section 2.2) lay
  them: per level a stride and a base size, and at every cell one anchor per scale and
  aspect ratio, centred on the cell.
- `encode` / `decode`: a box as offsets from its anchor, the (dx, dy, dw, dh)
  parameterisation of Faster R-CNN (Ren, He, Girshick and Sun (2015), "Faster R-CNN: towards
  real-time object detection with region proposal networks", NeurIPS, arXiv:1506.01497,
  Eq. 2), weighted as torchvision's `BoxCoder`.
- `match`: which ground-truth box each anchor learns from, by IoU thresholds (RetinaNet:
  positive at IoU >= 0.5, negative below 0.4, ignored between), as torchvision's `Matcher`.

Boxes and anchors are "xyxy" in pixels unless a format is named (`zoo.detection.boxes`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import tensorflow as tf

from zoo import _validate
from zoo.detection import boxes as box_ops

# RetinaNet's anchors (Lin et al., 2017, Section 4): levels P3-P7, base sizes 32^2 to 512^2,
# three scales an octave apart in thirds and three aspect ratios, 9 anchors per cell.
RETINANET_STRIDES = (8, 16, 32, 64, 128)
RETINANET_SIZES = (32, 64, 128, 256, 512)
RETINANET_SCALES = (1.0, 2 ** (1 / 3), 2 ** (2 / 3))
RETINANET_ASPECT_RATIOS = (0.5, 1.0, 2.0)


def feature_shapes(image_shape, strides=RETINANET_STRIDES) -> list[tuple[int, int]]:
    """The (height, width) of each level's feature map: ceil(size / stride), the size a
    "same"-padded network of that total stride gives."""
    height, width = _validate.shape("image_shape", image_shape, rank=2)
    strides = _validate.widths("strides", strides)
    return [(math.ceil(height / s), math.ceil(width / s)) for s in strides]


def _image_size(image_shape):
    """The image's (height, width): two validated Python ints, or the two entries of an int
    tensor [2] (such as `tf.shape(images)[1:3]`) whose values are known only in the graph."""
    if tf.is_tensor(image_shape):
        if image_shape.shape.rank != 1 or image_shape.shape[0] not in (2, None):
            raise ValueError(f"image_shape of shape {tuple(image_shape.shape)} must be the "
                             "image's (height, width).")
        image_shape = tf.cast(image_shape, tf.int32)
        return image_shape[0], image_shape[1]
    return _validate.shape("image_shape", image_shape, rank=2)


def _cells(size, stride: int):
    """ceil(size / stride) for a Python int or an int32 tensor (`feature_shapes`' rule)."""
    return (size + stride - 1) // stride


def anchor_boxes(image_shape, *, strides=RETINANET_STRIDES, sizes=RETINANET_SIZES,
                 scales=RETINANET_SCALES, aspect_ratios=RETINANET_ASPECT_RATIOS,
                 format: str = "xyxy") -> tf.Tensor:
    """Every level's anchors as one [A, 4] float32 tensor, A = sum over levels of
    H * W * len(scales) * len(aspect_ratios).

    Args:
        image_shape: the image's (height, width) in pixels: two ints, or an int tensor [2]
            such as `tf.shape(images)[1:3]`, so that a detector computes its anchors inside
            its graph for whatever image size it is given (A is then known only there).
        strides: each level's stride in pixels; its feature map is `feature_shapes`.
        sizes: each level's base size: the side of its square anchor of scale 1.
        scales: multipliers of the base size, the same at every level.
        aspect_ratios: width / height (keras_cv's and the Object Detection API's sense;
            torchvision's is height / width). An anchor of size s and ratio r has width
            s * sqrt(r) and height s / sqrt(r), so its area stays s^2.
        format: the anchors' format (`zoo.detection.boxes.FORMATS`).

    The anchor of cell (i, j) of a level of stride s is centred at ((j + 0.5) s, (i + 0.5) s).
    Order: level by level; within a level row by row, cell by cell; within a cell scale by
    scale, and within a scale aspect ratio by aspect ratio, which is the order a head's
    output of shape [H, W, len(scales) * len(aspect_ratios) * k] reshapes into.

    Coordinates are computed in float64 and rounded once to float32, so an anchor is the
    float32 nearest its exact value whether the size is known before or inside the graph.
    """
    height, width = _image_size(image_shape)
    strides = _validate.widths("strides", strides)
    sizes = _validate.positive_numbers("sizes", sizes)
    if len(sizes) != len(strides):
        raise ValueError(f"sizes={sizes!r} must give one base size per stride; there are "
                         f"{len(strides)} strides.")
    scales = _validate.positive_numbers("scales", scales)
    aspect_ratios = _validate.positive_numbers("aspect_ratios", aspect_ratios)
    _validate.choice("format", format, box_ops.FORMATS)

    per_level = []
    for stride, size in zip(strides, sizes, strict=True):
        # One (width, height) per anchor of a cell: scale outer, aspect ratio inner.
        half = tf.constant([(size * scale * math.sqrt(ratio) / 2,
                             size * scale / math.sqrt(ratio) / 2)
                            for scale in scales for ratio in aspect_ratios], tf.float64)
        centre_y, centre_x = tf.meshgrid(
            (tf.range(_cells(height, stride), dtype=tf.float64) + 0.5) * stride,
            (tf.range(_cells(width, stride), dtype=tf.float64) + 0.5) * stride, indexing="ij")
        centres = tf.reshape(tf.stack([centre_x, centre_y], axis=-1), [-1, 1, 2])
        per_level.append(tf.reshape(tf.concat([centres - half, centres + half], -1), [-1, 4]))
    anchors = tf.cast(tf.concat(per_level, axis=0), tf.float32)
    return box_ops.convert(anchors, "xyxy", format, image_shape=(height, width))


# torchvision's bbox_xform_clip: a predicted log-scale above log(1000 / 16) is clamped, so
# that exp() of an untrained head's output cannot overflow to inf.
MAX_LOG_SCALE = math.log(1000.0 / 16)


def _weights(weights) -> tuple[float, float, float, float]:
    weights = _validate.positive_numbers("weights", weights)
    if len(weights) != 4:
        raise ValueError(f"weights={weights!r} must be four numbers (wx, wy, ww, wh).")
    return weights


def _centres(boxes):
    x1, y1, x2, y2 = tf.unstack(boxes, axis=-1)
    return (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1


def encode(boxes, anchors, *, weights=(1.0, 1.0, 1.0, 1.0)) -> tf.Tensor:
    """Boxes as regression targets relative to their anchors (Ren et al., 2015, Eq. 2):

        dx = wx (x - xa) / wa,   dy = wy (y - ya) / ha,
        dw = ww log(w / wa),     dh = wh log(h / ha),

    with (x, y, w, h) a box's centre and size and the a-subscripts its anchor's.

    Args:
        boxes: "xyxy" boxes [..., 4], broadcastable against `anchors`.
        anchors: "xyxy" anchors [..., 4] of positive width and height.
        weights: (wx, wy, ww, wh), torchvision's `BoxCoder` weights: (1, 1, 1, 1) for RetinaNet
            and the RPN, (10, 10, 5, 5) for Faster R-CNN's box head. SSD's "variances"
            (0.1, 0.1, 0.2, 0.2) are their inverses, i.e. weights (10, 10, 5, 5).
    """
    wx, wy, ww, wh = _weights(weights)
    anchors = box_ops.as_boxes("anchors", anchors)
    boxes = box_ops.as_boxes("boxes", boxes, dtype=anchors.dtype)
    ax, ay, aw, ah = _centres(anchors)
    x, y, w, h = _centres(boxes)
    # A degenerate box would give log(0) = -inf; the smallest positive ratio keeps it finite.
    tiny = np.finfo(anchors.dtype.as_numpy_dtype).tiny
    return tf.stack([wx * (x - ax) / aw, wy * (y - ay) / ah,
                     ww * tf.math.log(tf.maximum(w / aw, tiny)),
                     wh * tf.math.log(tf.maximum(h / ah, tiny))], axis=-1)


def decode(deltas, anchors, *, weights=(1.0, 1.0, 1.0, 1.0)) -> tf.Tensor:
    """The "xyxy" boxes that `deltas` [..., 4] encode relative to `anchors` (the inverse of
    `encode`, with the same weights). Log-scales above `MAX_LOG_SCALE` are clamped to it."""
    wx, wy, ww, wh = _weights(weights)
    anchors = box_ops.as_boxes("anchors", anchors)
    deltas = box_ops.as_boxes("deltas", deltas, dtype=anchors.dtype)
    ax, ay, aw, ah = _centres(anchors)
    dx, dy, dw, dh = tf.unstack(deltas, axis=-1)
    x, y = ax + dx / wx * aw, ay + dy / wy * ah
    w = aw * tf.exp(tf.minimum(dw / ww, MAX_LOG_SCALE))
    h = ah * tf.exp(tf.minimum(dh / wh, MAX_LOG_SCALE))
    return tf.stack([x - w / 2, y - h / 2, x + w / 2, y + h / 2], axis=-1)


POSITIVE, NEGATIVE, IGNORED = 1, 0, -1


class Matches(NamedTuple):
    """`match`'s answer, one entry per anchor."""

    gt_index: tf.Tensor  # [A] int32: the matched gt box for positive anchors, -1 otherwise.
    label: tf.Tensor  # [A] int32: POSITIVE, NEGATIVE or IGNORED.


def match(anchors, gt_boxes, positive: float = 0.5, negative: float = 0.4, *,
          low_quality_matches: bool = True) -> Matches:
    """Assign each anchor to a ground-truth box, or to the background, by IoU.

    An anchor is POSITIVE for the gt box it overlaps most if that IoU is >= `positive`,
    NEGATIVE (background) if its best IoU is < `negative`, and IGNORED (no loss) between.

    With `low_quality_matches` (torchvision's `Matcher(allow_low_quality_matches=True)`, from
    Faster R-CNN's RPN), every gt box also claims its best anchor(s), however low their IoU,
    so that no object goes without a positive anchor. Unlike torchvision, which leaves such
    an anchor with the gt box it overlaps most (possibly another one), the anchor goes to the
    gt box that claims it, as the Object Detection API's `force_match_for_each_row` and SSD's
    matching do. An anchor claimed by several gt boxes goes to the one it overlaps most, so
    where two gt boxes have the same single best anchor, one of them still goes without. A gt
    box that overlaps no anchor at all (IoU 0) claims none; in torchvision's, every anchor it
    misses would turn positive.

    Args:
        anchors: "xyxy" anchors [A, 4].
        gt_boxes: "xyxy" gt boxes [G, 4]; G may be 0, and then every anchor is NEGATIVE.
        positive, negative: the IoU thresholds, negative <= positive.

    Returns:
        `Matches(gt_index, label)`, each [A] int32.
    """
    positive = _validate.fraction("positive", positive, inclusive_zero=False)
    negative = _validate.fraction("negative", negative)
    if negative > positive:
        raise ValueError(f"negative={negative!r} must not exceed positive={positive!r}.")
    anchors = box_ops.as_boxes("anchors", anchors)
    gt_boxes = box_ops.as_boxes("gt_boxes", gt_boxes, dtype=anchors.dtype)
    if anchors.shape.rank != 2 or gt_boxes.shape.rank != 2:
        raise ValueError(f"anchors of shape {tuple(anchors.shape)} and gt_boxes of shape "
                         f"{tuple(gt_boxes.shape)} must be [A, 4] and [G, 4].")
    overlaps = box_ops.iou(gt_boxes, anchors)  # [G, A]
    # A row of -1 under the gt boxes: argmax and max need a non-empty axis when there are no
    # gt boxes, and -1 is below every IoU, so it wins only then (every anchor NEGATIVE).
    below_all = -tf.ones([1, tf.shape(anchors)[0]], overlaps.dtype)
    best_iou = tf.reduce_max(tf.concat([overlaps, below_all], 0), axis=0)
    best_gt = tf.argmax(tf.concat([overlaps, below_all], 0), axis=0, output_type=tf.int32)
    label = tf.where(best_iou >= positive, POSITIVE,
                     tf.where(best_iou < negative, NEGATIVE, IGNORED))
    if low_quality_matches:
        best_for_gt = tf.reduce_max(overlaps, axis=1, keepdims=True)  # [G, 1]
        claims = (overlaps >= best_for_gt) & (best_for_gt > 0)  # ties: every best anchor
        claimed_iou = tf.where(claims, overlaps, -tf.ones_like(overlaps))
        claimant = tf.argmax(tf.concat([claimed_iou, below_all], 0), axis=0,
                             output_type=tf.int32)
        claimed = tf.reduce_any(claims, axis=0)
        best_gt = tf.where(claimed, claimant, best_gt)
        label = tf.where(claimed, POSITIVE, label)
    return Matches(gt_index=tf.where(label == POSITIVE, best_gt, -1), label=label)
