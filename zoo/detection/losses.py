"""The losses of box detectors, as plain functions on tensors.

- `smooth_l1`: Girshick (2015), "Fast R-CNN", ICCV, arXiv:1504.08083, Eq. 3, with PyTorch's
  `beta` (the Huber loss of Huber (1964), divided by beta): quadratic below `beta`, so that
  small errors get small gradients, linear above it, so that outliers do not dominate.
- `sigmoid_focal_loss`: Lin, Goyal, Girshick, He and Dollar (2017), "Focal loss for dense
  object detection", ICCV, arXiv:1708.02002, Eq. 5: binary cross-entropy down-weighted by
  (1 - p_t)^gamma, so that the many easy background anchors do not swamp the few objects;
  the formula of `torchvision.ops.sigmoid_focal_loss`.
- `giou_loss`: 1 - GIoU, Rezatofighi et al. (2019), "Generalized intersection over union",
  CVPR, arXiv:1902.09630, which still has a gradient when the boxes do not overlap.

Each takes `reduction`: "none" (the loss per element, or per box for `giou_loss`), "sum" or
"mean". The mean of no elements is 0, not NaN, so that an image without objects trains.

`single_shot_losses` puts them together as RetinaNet does (Lin et al. 2017, Section 4): a
one-stage detector's class and box losses over its anchors, summed and divided by the number
of positive anchors.
"""

from __future__ import annotations

import tensorflow as tf

from zoo import _validate
from zoo.detection import boxes as box_ops
from zoo.detection.anchors import IGNORED, POSITIVE, decode, encode

REDUCTIONS = ("none", "sum", "mean")
BOX_LOSSES = ("smooth_l1", "giou")


def _reduce(loss, reduction: str):
    if reduction == "none":
        return loss
    total = tf.reduce_sum(loss)
    if reduction == "sum":
        return total
    return tf.math.divide_no_nan(total, tf.cast(tf.size(loss), loss.dtype))


def _same_shape(name_a: str, a, name_b: str, b):
    """`a` and `b` as floating tensors of one dtype, or a ValueError if their static shapes
    differ."""
    b = tf.convert_to_tensor(b)
    if not b.dtype.is_floating:
        b = tf.cast(b, tf.float32)
    a = tf.cast(a, b.dtype)
    if a.shape.is_fully_defined() and b.shape.is_fully_defined() and a.shape != b.shape:
        raise ValueError(f"{name_a} of shape {tuple(a.shape)} and {name_b} of shape "
                         f"{tuple(b.shape)} must have the same shape.")
    return a, b


def smooth_l1(targets, predictions, *, beta: float = 1.0, reduction: str = "mean"):
    """Smooth L1 of `predictions - targets`, element by element:

        0.5 x^2 / beta   where |x| < beta,
        |x| - 0.5 beta   elsewhere;

    beta = 0 is the L1 loss. Fast R-CNN's is beta = 1; torchvision's RetinaNet uses 1 / 9.
    """
    beta = _validate.non_negative("beta", beta)
    _validate.choice("reduction", reduction, REDUCTIONS)
    targets, predictions = _same_shape("targets", targets, "predictions", predictions)
    error = tf.abs(predictions - targets)
    if beta == 0:
        # The quadratic branch would divide by zero; tf.where's gradient reaches it anyway.
        return _reduce(error, reduction)
    return _reduce(tf.where(error < beta, 0.5 * error**2 / beta, error - 0.5 * beta), reduction)


def sigmoid_focal_loss(labels, logits, *, alpha: float | None = 0.25, gamma: float = 2.0,
                       reduction: str = "mean"):
    """Focal loss on logits, one independent sigmoid per element (Lin et al., 2017, Eq. 5):

        FL = -alpha_t (1 - p_t)^gamma log(p_t),

    with p = sigmoid(logit), p_t = p for a label of 1 and 1 - p for 0, and alpha_t = alpha
    for a label of 1 and 1 - alpha for 0. Written, as torchvision's, as binary cross-entropy
    times the two factors, so that soft labels in [0, 1] are accepted. `alpha=None` drops the
    class balancing (torchvision's alpha < 0); gamma = 0 and alpha=None is plain binary
    cross-entropy. Per element it equals `keras.losses.BinaryFocalCrossentropy(
    apply_class_balancing=True, alpha=alpha, gamma=gamma, from_logits=True)` on one element.
    """
    if alpha is not None:
        alpha = _validate.fraction("alpha", alpha)
    gamma = _validate.non_negative("gamma", gamma)
    _validate.choice("reduction", reduction, REDUCTIONS)
    labels, logits = _same_shape("labels", labels, "logits", logits)
    probabilities = tf.sigmoid(logits)
    cross_entropy = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
    p_t = probabilities * labels + (1 - probabilities) * (1 - labels)
    loss = cross_entropy * (1 - p_t) ** gamma
    if alpha is not None:
        loss *= alpha * labels + (1 - alpha) * (1 - labels)
    return _reduce(loss, reduction)


def giou_loss(target_boxes, predicted_boxes, *, reduction: str = "mean"):
    """1 - GIoU of each predicted "xyxy" box with its target, in [0, 2]; shape [...] for
    boxes [..., 4] under reduction "none". Finite for degenerate boxes (`boxes.giou`)."""
    _validate.choice("reduction", reduction, REDUCTIONS)
    target_boxes = box_ops.as_boxes("target_boxes", target_boxes)
    predicted_boxes = box_ops.as_boxes("predicted_boxes", predicted_boxes)
    target_boxes, predicted_boxes = _same_shape("target_boxes", target_boxes,
                                                "predicted_boxes", predicted_boxes)
    return _reduce(1 - box_ops.giou(target_boxes, predicted_boxes, aligned=True), reduction)


def single_shot_losses(box_deltas, class_logits, anchors, targets, *, alpha: float = 0.25,
                       gamma: float = 2.0, box_loss: str = "smooth_l1", beta: float = 1 / 9,
                       weights=(1.0, 1.0, 1.0, 1.0)) -> tuple[tf.Tensor, tf.Tensor]:
    """(class loss, box loss) of a one-stage detector's outputs for a batch, RetinaNet's
    (Lin et al. 2017, Section 4):

    - class: `sigmoid_focal_loss` of every class of every anchor that is not IGNORED, against
      the one-hot class of a positive anchor and all zeros for a negative one (background is
      no class of its own);
    - box: over the positive anchors, `smooth_l1` of the predicted deltas against the matched
      box encoded on the anchor (`anchors.encode`, summed over the four deltas), or with
      `box_loss="giou"` the `giou_loss` of the decoded box;

    each summed over the batch and divided by its number of positive anchors, at least 1. Lin
    et al. normalise by the anchors assigned to objects because the focal loss of the many
    easy negatives is small; the floor of 1 keeps a batch without objects finite (its loss is
    then its background's alone).

    Args:
        box_deltas: [B, A, 4] predicted (dx, dy, dw, dh), `anchors.encode`'s parameterisation.
        class_logits: [B, A, C] one logit per class.
        anchors: "xyxy" anchors [A, 4].
        targets: `zoo.detection.targets.AnchorTargets` of the batch.
        alpha, gamma: the focal loss's.
        box_loss: "smooth_l1" or "giou"; `beta` is smooth L1's (Detectron's RetinaNet: 0.11).
        weights: the box coder's `anchors.encode` weights.
    """
    _validate.choice("box_loss", box_loss, BOX_LOSSES)
    class_logits = tf.convert_to_tensor(class_logits)
    positive = tf.cast(targets.label == POSITIVE, class_logits.dtype)
    counted = tf.cast(targets.label != IGNORED, class_logits.dtype)
    positives = tf.maximum(tf.reduce_sum(positive), 1.0)
    # tf.one_hot of -1 (a negative anchor's class) is all zeros: background.
    one_hot = tf.one_hot(targets.classes, class_logits.shape[-1], dtype=class_logits.dtype)
    focal = sigmoid_focal_loss(one_hot, class_logits, alpha=alpha, gamma=gamma,
                               reduction="none")
    class_loss = tf.reduce_sum(focal * counted[..., None]) / positives
    # Anchors without an object regress onto themselves: finite targets, masked out below.
    matched = tf.where(positive[..., None] > 0, targets.boxes, anchors)
    if box_loss == "smooth_l1":
        per_anchor = tf.reduce_sum(smooth_l1(encode(matched, anchors, weights=weights),
                                             box_deltas, beta=beta, reduction="none"), -1)
    else:
        per_anchor = giou_loss(matched, decode(box_deltas, anchors, weights=weights),
                               reduction="none")
    return class_loss, tf.reduce_sum(per_anchor * positive) / positives
