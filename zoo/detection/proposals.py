"""The two stages' bookkeeping in a Faster R-CNN-style detector: Ren, He, Girshick and Sun
(2015), "Faster R-CNN: towards real-time object detection with region proposal networks",
NeurIPS, arXiv:1506.01497, Section 3.

- `region_proposals`: the region proposal network's (RPN's) per-anchor objectness and box
  deltas turned into each image's proposals: decoded on the anchors, clipped to the image,
  the `pre_nms` most object-like kept, non-maximum suppression at IoU 0.7, the `post_nms`
  best kept (Section 3.1.3: 6,000 and 300 in the paper at test time; torchvision's 1,000
  and 1,000 per level).
- `sample_regions`: the regions the second stage learns from in an image: its proposals and
  its ground-truth boxes (Detectron and torchvision add them, so that every object has a
  perfect region from the first step), matched by IoU: foreground at 0.5 or more, background
  below it; `regions_per_image` drawn at random with at most `positive_fraction` of
  foreground (Fast R-CNN, Girshick 2015, Section 2.3: 128 a image at 25%; torchvision's
  512).

Each works on a batch under `tf.map_fn` (images hold different numbers of proposals and
objects) and returns fixed-size, padded tensors with a count or a mask, so that both run
inside `fit` and a SavedModel.
"""

from __future__ import annotations

from typing import NamedTuple

import tensorflow as tf

from zoo import _validate
from zoo.detection import boxes as box_ops
from zoo.detection.anchors import decode
from zoo.detection.nms import nms
from zoo.detection.targets import PADDING_CLASS


class Proposals(NamedTuple):
    """Each image's proposals, best first: `boxes` [B, post_nms, 4] ("xyxy" pixels),
    `scores` [B, post_nms] (objectness logits), zero past `count` [B] (int32)."""

    boxes: tf.Tensor
    scores: tf.Tensor
    count: tf.Tensor


def region_proposals(deltas, objectness, anchors, image_size, *, pre_nms: int = 1000,
                     post_nms: int = 300, iou_threshold: float = 0.7,
                     min_size: float = 1e-3) -> Proposals:
    """Each image's proposals from the RPN's outputs.

    Args:
        deltas: [B, A, 4] box deltas (`anchors.encode`'s parameterisation).
        objectness: [B, A] logits.
        anchors: "xyxy" anchors [A, 4], the same for every image.
        image_size: the images' (height, width): ints or an int tensor [2].
        pre_nms: the most object-like boxes kept before suppression (all if fewer).
        post_nms: the most proposals kept after it; the outputs are padded to it.
        iou_threshold: suppression's (0.7 in the paper).
        min_size: boxes narrower or shorter than this, in pixels, after clipping are
            dropped (a box clipped to nothing is no region).
    """
    pre_nms = _validate.positive_int("pre_nms", pre_nms)
    post_nms = _validate.positive_int("post_nms", post_nms)
    iou_threshold = _validate.fraction("iou_threshold", iou_threshold)
    min_size = _validate.non_negative("min_size", min_size)
    deltas = tf.cast(deltas, tf.float32)
    scores = tf.cast(objectness, tf.float32)
    if deltas.shape.rank != 3 or scores.shape.rank != 2:
        raise ValueError(f"deltas of shape {tuple(deltas.shape)} and objectness of shape "
                         f"{tuple(scores.shape)} must be [batch, anchors, 4] and "
                         "[batch, anchors].")
    boxes = box_ops.clip(decode(deltas, anchors), image_size)
    size = boxes[..., 2:] - boxes[..., :2]
    lowest = tf.fill(tf.shape(scores), scores.dtype.min)
    scores = tf.where(tf.reduce_all(size >= min_size, -1), scores, lowest)
    best = tf.math.top_k(scores, k=tf.minimum(pre_nms, tf.shape(scores)[1]))
    kept = nms(tf.gather(boxes, best.indices, batch_dims=1), best.values,
               iou_threshold=iou_threshold, max_output=post_nms,
               score_threshold=scores.dtype.min)
    return Proposals(kept["detection_boxes"], kept["detection_scores"],
                     kept["num_detections"])


class SampledRegions(NamedTuple):
    """The regions an image's second stage learns from, [B, R] or [B, R, 4]."""

    boxes: tf.Tensor  # float32 "xyxy": the region.
    classes: tf.Tensor  # int32: the matched object's class, -1 for background.
    targets: tf.Tensor  # float32 "xyxy": the matched object's box (the region for background).
    valid: tf.Tensor  # bool: a sampled region (False: padding past the image's regions).
    objects: tf.Tensor  # int32: the matched object's slot in the padded ground truth, -1 for
    # background (Mask R-CNN reads that object's mask).


def _sample_image(proposals, count, gt_boxes, gt_classes, regions, positives, foreground):
    valid = gt_classes != PADDING_CLASS
    slots = tf.cast(tf.where(valid)[:, 0], tf.int32)
    gt_boxes = tf.boolean_mask(gt_boxes, valid)
    gt_classes = tf.boolean_mask(gt_classes, valid)
    # A degenerate object (no area) is matched but is no region: its box could not be
    # encoded relative to itself.
    candidates = tf.concat([proposals[:count],
                            tf.boolean_mask(gt_boxes, box_ops.area(gt_boxes) > 0)], axis=0)
    overlaps = box_ops.iou(candidates, gt_boxes)  # [N, G]
    # A column of -1 beside the objects: an image without objects matches nothing.
    padded = tf.concat([overlaps, -tf.ones([tf.shape(candidates)[0], 1])], axis=1)
    best = tf.argmax(padded, axis=1, output_type=tf.int32)
    is_foreground = tf.reduce_max(padded, axis=1) >= foreground
    # Random foreground first (up to `positives`), then random background to fill.
    fg = tf.random.shuffle(tf.where(is_foreground)[:, 0])[:positives]
    bg = tf.random.shuffle(tf.where(~is_foreground)[:, 0])[:regions - tf.size(fg)]
    chosen = tf.cast(tf.concat([fg, bg], 0), tf.int32)
    chosen_fg = tf.gather(is_foreground, chosen)
    matched = tf.gather(best, chosen)
    gt_with_none = tf.concat([gt_boxes, tf.zeros([1, 4])], 0)
    classes = tf.where(chosen_fg, tf.gather(tf.concat([gt_classes, [PADDING_CLASS]], 0),
                                            matched), PADDING_CLASS)
    boxes = tf.gather(candidates, chosen)
    targets = tf.where(chosen_fg[:, None], tf.gather(gt_with_none, matched), boxes)
    objects = tf.where(chosen_fg, tf.gather(tf.concat([slots, [-1]], 0), matched), -1)
    padding = regions - tf.size(chosen)
    return (tf.pad(boxes, [[0, padding], [0, 0]]),
            tf.pad(classes, [[0, padding]], constant_values=PADDING_CLASS),
            tf.pad(targets, [[0, padding], [0, 0]]),
            tf.pad(tf.ones_like(chosen, tf.bool), [[0, padding]]),
            tf.pad(objects, [[0, padding]], constant_values=-1))


def sample_regions(proposals: Proposals, gt_boxes, gt_classes, *, regions_per_image: int = 128,
                   positive_fraction: float = 0.25,
                   foreground_iou: float = 0.5) -> SampledRegions:
    """The second stage's training regions for a batch (the module docstring's rule).

    Args:
        proposals: `region_proposals`' answer (the first `count` boxes of each image count).
        gt_boxes, gt_classes: the batch's objects, padded (`targets.padded_ground_truth`).
        regions_per_image: regions sampled an image; fewer when an image has fewer
            candidates (its proposals and objects), the rest marked invalid.
        positive_fraction: the most foreground regions, as a fraction of
            `regions_per_image`; background fills the rest.
        foreground_iou: a region is foreground, for the object it overlaps most, at this
            IoU or more.
    """
    regions = _validate.positive_int("regions_per_image", regions_per_image)
    fraction = _validate.fraction("positive_fraction", positive_fraction)
    foreground = _validate.fraction("foreground_iou", foreground_iou, inclusive_zero=False)
    positives = int(round(regions * fraction))
    signature = (tf.TensorSpec([regions, 4], tf.float32), tf.TensorSpec([regions], tf.int32),
                 tf.TensorSpec([regions, 4], tf.float32), tf.TensorSpec([regions], tf.bool),
                 tf.TensorSpec([regions], tf.int32))
    return SampledRegions(*tf.map_fn(
        lambda image: _sample_image(*image, regions, positives, foreground),
        (tf.cast(proposals.boxes, tf.float32), proposals.count,
         tf.cast(gt_boxes, tf.float32), tf.cast(gt_classes, tf.int32)),
        fn_output_signature=signature))
