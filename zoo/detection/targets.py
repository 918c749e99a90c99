"""What each anchor of a one-stage detector learns from: the ground-truth box and class it is
matched to, for a batch given in keras_cv's padded convention.

A batch's ground truth is a dict, as keras_cv's (and KerasHub's) dense bounding boxes:

    {"boxes": [B, M, 4] "xyxy" in pixels, "classes": [B, M] int}

padded to the most objects of any image in the batch, M, with rows whose class is -1 (their
boxes are ignored, -1 by convention). An image may have no objects at all. Each image's anchors
are matched to its own valid boxes by `zoo.detection.anchors.match` (RetinaNet's IoU rule,
Lin, Goyal, Girshick, He and Dollar (2017), "Focal loss for dense object detection", ICCV,
Section 4), one image at a time under `tf.map_fn`, since images hold different numbers of
objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import tensorflow as tf

from zoo.detection.anchors import POSITIVE, match
from zoo.detection.boxes import as_boxes

PADDING_CLASS = -1  # the class of a padding row (keras_cv's convention)


class AnchorTargets(NamedTuple):
    """Each anchor's target, [B, A] or [B, A, 4]."""

    label: tf.Tensor  # int32: anchors.POSITIVE, NEGATIVE or IGNORED.
    classes: tf.Tensor  # int32: the matched object's class for a positive anchor, else -1.
    boxes: tf.Tensor  # float32 "xyxy": the matched object's box for a positive anchor, else 0.


def padded_ground_truth(targets, num_classes: int) -> tuple[tf.Tensor, tf.Tensor]:
    """(boxes [B, M, 4] float32, classes [B, M] int32) from a batch's ground-truth dict,
    checked: the keys, the shapes, and (in the graph, where the values are known) that every
    class is -1 (padding) or in [0, num_classes)."""
    if not isinstance(targets, Mapping) or not {"boxes", "classes"} <= set(targets):
        got = sorted(targets) if isinstance(targets, Mapping) else type(targets).__name__
        raise ValueError(f"detection targets must be a dict with 'boxes' [batch, objects, 4] "
                         f"and 'classes' [batch, objects] (-1 for padding); got {got}.")
    boxes = as_boxes("targets['boxes']", targets["boxes"], dtype=tf.float32)
    classes = tf.convert_to_tensor(targets["classes"])
    if boxes.shape.rank != 3 or classes.shape.rank != 2:
        raise ValueError(f"targets['boxes'] of shape {tuple(boxes.shape)} and "
                         f"targets['classes'] of shape {tuple(classes.shape)} must be "
                         "[batch, objects, 4] and [batch, objects].")
    if classes.dtype.is_floating:  # a pipeline may carry them as floats; ids are whole
        classes = tf.round(classes)
    classes = tf.cast(classes, tf.int32)
    checks = [
        tf.debugging.assert_greater_equal(
            classes, PADDING_CLASS, message="targets['classes'] must be >= -1 (-1: padding)"),
        tf.debugging.assert_less(
            classes, num_classes,
            message=f"targets['classes'] must be < num_classes = {num_classes}"),
    ]
    with tf.control_dependencies(checks):
        return tf.identity(boxes), tf.identity(classes)


def _one_image(anchors, boxes, classes, positive, negative):
    valid = classes != PADDING_CLASS
    boxes, classes = tf.boolean_mask(boxes, valid), tf.boolean_mask(classes, valid)
    matches = match(anchors, boxes, positive, negative)
    # An unmatched anchor points at one extra row past the valid boxes (a zero box of class
    # -1): a gather needs a row to read even when the image has no objects.
    row = tf.where(matches.label == POSITIVE, matches.gt_index, tf.shape(boxes)[0])
    return (matches.label,
            tf.gather(tf.concat([classes, [PADDING_CLASS]], 0), row),
            tf.gather(tf.concat([boxes, tf.zeros([1, 4])], 0), row))


def assign(anchors, boxes, classes, *, positive: float = 0.5,
           negative: float = 0.4) -> AnchorTargets:
    """Match every image's anchors to its objects (`anchors.match`, with low-quality matches,
    so that every object that overlaps an anchor has a positive one).

    Args:
        anchors: "xyxy" anchors [A, 4], the same for every image of the batch.
        boxes, classes: a padded batch as `padded_ground_truth` returns it.
        positive, negative: `match`'s IoU thresholds.
    """
    anchors = as_boxes("anchors", anchors, dtype=tf.float32)
    signature = (tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.int32),
                 tf.TensorSpec([None, 4], tf.float32))
    return AnchorTargets(*tf.map_fn(
        lambda image: _one_image(anchors, *image, positive, negative), (boxes, classes),
        fn_output_signature=signature))
