"""Non-maximum suppression: of the boxes that overlap by more than an IoU threshold, keep only
the highest-scoring one, greedily in order of score (as in Felzenszwalb, Girshick, McAllester
and Ramanan (2010), "Object detection with discriminatively trained part-based models", PAMI,
and every detector since).

Both functions are TensorFlow's own kernels (`tf.image.non_max_suppression`,
`tf.image.combined_non_max_suppression`), so they run inside `tf.function` and a SavedModel,
and return fixed-size, zero-padded outputs named as the TensorFlow Object Detection API's:
`detection_boxes`, `detection_scores`, `detection_classes`, `num_detections`. Both drop a box
whose IoU with a kept box is above the threshold (not equal to it) and keep only boxes that
score above `score_threshold`, as torchvision's `nms` and its detectors' score filter do.

`tf.image.non_max_suppression_padded` is not used: since TensorFlow 2.3 it is a tiled
algorithm for TPUs that fails on an image with no boxes, never selects a box whose four
coordinates are all <= 0 (it marks suppressed boxes by zeroing them) and suppresses at IoU
equal to the threshold too (measured with TensorFlow 2.21). The classic kernel has none of
these, and padding its output is one `tf.pad`.

Boxes are "xyxy". TensorFlow's kernels document [y1, x1, y2, x2], but IoU does not change when
x and y swap roles, so "xyxy" boxes give the same selection and come back as they went in.
"""

from __future__ import annotations

import numbers

import tensorflow as tf

from zoo import _validate
from zoo.detection.boxes import as_boxes


def _score_threshold(value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"score_threshold={value!r} must be a number (-inf keeps every box).")
    return float(value)


def _nms_one_image(boxes, scores, iou_threshold, max_output, score_threshold):
    indices = tf.image.non_max_suppression(boxes, scores, max_output,
                                           iou_threshold=iou_threshold,
                                           score_threshold=score_threshold)
    count = tf.size(indices)
    padding = [[0, max_output - count]]
    kept_boxes = tf.pad(tf.gather(boxes, indices), padding + [[0, 0]])
    return {
        "detection_boxes": tf.ensure_shape(kept_boxes, [max_output, 4]),
        "detection_scores": tf.ensure_shape(tf.pad(tf.gather(scores, indices), padding),
                                            [max_output]),
        "detection_indices": tf.ensure_shape(tf.pad(indices, padding, constant_values=-1),
                                             [max_output]),
        "num_detections": count,
    }


def nms(boxes, scores, iou_threshold: float = 0.5, max_output: int = 100,
        score_threshold: float = float("-inf")) -> dict[str, tf.Tensor]:
    """Class-agnostic non-maximum suppression of one image's boxes, or a batch's.

    Args:
        boxes: "xyxy" boxes, [N, 4] or batched [B, N, 4].
        scores: [N] or [B, N].
        iou_threshold: a box whose IoU with a kept, higher-scoring box is above this is dropped.
        max_output: the most boxes kept per image; the outputs are padded to it.
        score_threshold: boxes scoring this or less are dropped before suppression.

    Returns:
        `detection_boxes` [..., max_output, 4] and `detection_scores` [..., max_output], in
        descending order of score and zero past `num_detections` ([] or [B], int32);
        `detection_indices` [..., max_output], int32, the kept boxes' positions in `boxes`
        (-1 past `num_detections`), for gathering their classes or anything else.
    """
    iou_threshold = _validate.fraction("iou_threshold", iou_threshold)
    max_output = _validate.positive_int("max_output", max_output)
    score_threshold = _score_threshold(score_threshold)
    # TensorFlow's kernel takes float32 (or half) only.
    boxes = as_boxes("boxes", boxes, dtype=tf.float32)
    scores = tf.cast(scores, tf.float32)
    if boxes.shape.rank not in (2, 3) or scores.shape.rank != boxes.shape.rank - 1:
        raise ValueError(f"boxes of shape {tuple(boxes.shape)} and scores of shape "
                         f"{tuple(scores.shape)} must be [N, 4] and [N], or [B, N, 4] and "
                         "[B, N].")
    options = (iou_threshold, max_output, score_threshold)
    if boxes.shape.rank == 2:
        return _nms_one_image(boxes, scores, *options)
    signature = {
        "detection_boxes": tf.TensorSpec([max_output, 4], tf.float32),
        "detection_scores": tf.TensorSpec([max_output], tf.float32),
        "detection_indices": tf.TensorSpec([max_output], tf.int32),
        "num_detections": tf.TensorSpec([], tf.int32),
    }
    return tf.map_fn(lambda pair: _nms_one_image(*pair, *options), (boxes, scores),
                     fn_output_signature=signature)


def batched_nms(boxes, scores, iou_threshold: float = 0.5, max_output_per_class: int = 100,
                max_output: int = 100, score_threshold: float = float("-inf"),
                ) -> dict[str, tf.Tensor]:
    """Per-class non-maximum suppression of a batch (boxes of different classes never
    suppress each other), then the `max_output` best of all classes per image.

    Args:
        boxes: "xyxy" boxes [B, N, 4] shared by every class, or [B, N, C, 4] one per class.
        scores: [B, N, C], one score per box and class (e.g. sigmoid probabilities).
        iou_threshold, score_threshold: as `nms`, within each class.
        max_output_per_class: the most boxes kept per image and class.
        max_output: the most boxes kept per image over all classes; the outputs' size.

    Returns:
        `detection_boxes` [B, max_output, 4], `detection_scores` [B, max_output] and
        `detection_classes` [B, max_output] (int32, 0-based column of `scores`; the Object
        Detection API's are float and 1-based), in descending order of score and zero past
        `num_detections` [B] (int32).
    """
    iou_threshold = _validate.fraction("iou_threshold", iou_threshold)
    max_output_per_class = _validate.positive_int("max_output_per_class", max_output_per_class)
    max_output = _validate.positive_int("max_output", max_output)
    score_threshold = _score_threshold(score_threshold)
    # TensorFlow's kernel takes float32 only.
    boxes = as_boxes("boxes", boxes, dtype=tf.float32)
    scores = tf.cast(scores, tf.float32)
    if boxes.shape.rank not in (3, 4) or scores.shape.rank != 3:
        raise ValueError(f"boxes of shape {tuple(boxes.shape)} and scores of shape "
                         f"{tuple(scores.shape)} must be [B, N, 4] or [B, N, C, 4], and "
                         "[B, N, C].")
    if boxes.shape.rank == 3:
        boxes = boxes[:, :, None, :]
    selected = tf.image.combined_non_max_suppression(
        boxes, scores, max_output_per_class, max_output, iou_threshold=iou_threshold,
        score_threshold=score_threshold, pad_per_class=False,
        # The kernel's default clips to [0, 1], which would ruin boxes in pixels.
        clip_boxes=False)
    return {
        "detection_boxes": selected.nmsed_boxes,
        "detection_scores": selected.nmsed_scores,
        "detection_classes": tf.cast(selected.nmsed_classes, tf.int32),
        "num_detections": selected.valid_detections,
    }
