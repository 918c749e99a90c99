"""R-CNN's second look: name each detected object from its own pixels.

R-CNN (Girshick, Donahue, Darrell and Malik, 2014, "Rich feature hierarchies for accurate
object detection and semantic segmentation", CVPR, arXiv:1311.2524, Section 2.1) classified
every region proposal by cutting its pixels out of the image, with 16 pixels of context
around the box, warping them to the CNN's input size and running the CNN on them alone. Fast
and Faster R-CNN replaced that with features pooled from one shared map (RoIPool, later
RoIAlign), for speed. On the detection canvases the pooled features find the objects (with
the classes ignored, Faster R-CNN's boxes reach mAP@0.5 0.97) but name the clothes worse than
a classifier of the item alone: a region's 7x7 read of a stride-8 or -16 map is a blurred view
of a 14- to 56-pixel item. The second look gives each region that view back:

- **Crops.** `region_pixels` warps each box, widened by `context` of its side on every side,
  to a `side` x `side` patch of the image's pixels (RoIAlign at stride 1,
  `zoo.detection.roi_align`: every output pixel averages the image under it, so a large item
  shrinks without aliasing).
- **Training.** The classifier learns from the ground-truth objects of each training batch,
  their boxes jittered (`jittered`, a normal draw of `jitter` times the box's width or height
  on each edge) so that it sees boxes as loose as the detector's; R-CNN fine-tuned on
  proposals overlapping an object by IoU 0.5 or more, to the same end.
- **Scores.** `second_look_scores`: a region's score for class k is the box head's
  probability that it is an object at all (1 - P(background)) times the classifier's
  probability of k, so the detector still decides where objects are and the classifier what
  they are. The classifier runs only on regions the head rates at least `score_threshold` an
  object (no other can score above it).
"""

from __future__ import annotations

import keras
import tensorflow as tf

from zoo import _validate
from zoo.detection.boxes import clip, convert
from zoo.detection.roi_align import roi_align


def region_classifier(name: str, side: int, channels: int, num_classes: int) -> keras.Model:
    """The registered image classifier `name` built for `side` x `side` crops with `channels`
    and a softmax over `num_classes`."""
    import zoo

    if not isinstance(name, str):
        raise ValueError(f"region_classifier={name!r} must be the name of a registered image "
                         "classifier, e.g. 'resnet20'.")
    card = zoo.model_card(name)  # an unknown name fails here, with the close matches
    if card.task != "image-classification":
        raise ValueError(f"region_classifier={name!r} is a {card.task!r} model; the second "
                         "look needs an image classifier (zoo.list_models(task="
                         "'image-classification')), e.g. 'resnet20'.")
    try:
        return zoo.get_model(name, input_shape=(side, side, channels),
                             num_classes=num_classes)
    except ValueError as error:
        raise ValueError(f"region_classifier={name!r} cannot classify {side}x{side} crops of "
                         f"{channels} channel(s): {error}") from error


def region_pixels(pixels, boxes, image_indices, side: int, context: float) -> tf.Tensor:
    """The pixels of `boxes` [N, 4] ("xyxy", image pixels), box n from image
    `image_indices[n]` of `pixels` [B, H, W, C], each widened by `context` times its width
    and height on every side and warped to [N, side, side, C]; beyond the image, zeros."""
    boxes = tf.cast(boxes, tf.float32)
    margin = context * convert(boxes, "xyxy", "xywh")[:, 2:]
    widened = tf.concat([boxes[:, :2] - margin, boxes[:, 2:] + margin], -1)
    return roi_align(pixels, widened, image_indices, (side, side), stride=1)


def jittered(boxes, jitter: float, image_size, seed) -> tf.Tensor:
    """`boxes` [N, 4] ("xyxy") with each edge moved by a normal draw of `jitter` times the
    box's width (x edges) or height (y edges), clipped to the image, then made at least a
    pixel wide and high (so a box squeezed against the far edge may end a pixel past it)."""
    boxes = tf.cast(boxes, tf.float32)
    sizes = tf.tile(convert(boxes, "xyxy", "xywh")[:, 2:], [1, 2])
    moved = clip(boxes + keras.random.normal(tf.shape(boxes), stddev=jitter, seed=seed) * sizes,
                 image_size)
    x1, y1, x2, y2 = tf.unstack(moved, axis=-1)
    return tf.stack([x1, y1, tf.maximum(x2, x1 + 1.0), tf.maximum(y2, y1 + 1.0)], -1)


def _named(classifier, pixels, boxes, image_indices, side: int, context: float,
           training: bool) -> tf.Tensor:
    """`classifier`'s class probabilities [N, C] (float32) for the crops of `boxes` [N, 4]
    of images `image_indices` [N] (`region_pixels`)."""
    # A spare crop, dropped after, keeps the classifier's batch from being empty (TensorFlow's
    # CPU convolution fails on a batch of none). In training it joins the batch statistics:
    # one crop among the batch's objects (about a hundred at 32 canvases).
    crops = region_pixels(pixels, tf.concat([tf.cast(boxes, tf.float32), [[0., 0., 1., 1.]]], 0),
                          tf.concat([tf.cast(image_indices, tf.int32), [0]], 0), side, context)
    return tf.cast(classifier(crops, training=training), tf.float32)[:-1]


def second_look_scores(classifier, pixels, boxes, probabilities, *, side: int,
                       context: float, score_threshold: float) -> tf.Tensor:
    """Class scores [B, R, C] for regions `boxes` [B, R, 4] whose box head gave
    `probabilities` [B, R, 1 + C] (background first; zeros for padding regions): each
    region's object probability times `classifier`'s class probabilities for its crop
    (module docstring); zero where the object probability is below `score_threshold`."""
    # 1 - P(background) for a real region; 0 for padding, whose probabilities are all 0.
    objectness = tf.reduce_sum(probabilities[..., 1:], -1)
    looked = tf.cast(tf.where(objectness >= tf.maximum(score_threshold, 1e-6)), tf.int32)
    named = _named(classifier, pixels, tf.gather_nd(boxes, looked), looked[:, 0], side,
                   context, training=False)
    scores = tf.gather_nd(objectness, looked)[:, None] * named
    return tf.scatter_nd(looked, scores, tf.shape(probabilities[..., 1:]))


def naming_loss(classifier, pixels, gt_boxes, gt_classes, *, side: int, context: float,
                jitter: float, seed, training: bool) -> tf.Tensor:
    """The classifier's mean cross-entropy on the crops of the real objects of padded
    ground truths `gt_boxes` [B, M, 4] and `gt_classes` [B, M] (-1: padding), their boxes
    `jittered` in training; 0 for a batch without objects."""
    real = tf.cast(tf.where(gt_classes >= 0), tf.int32)
    boxes = tf.gather_nd(tf.cast(gt_boxes, tf.float32), real)
    if training and jitter > 0:
        boxes = jittered(boxes, jitter, tf.shape(pixels)[1:3], seed)
    named = _named(classifier, pixels, boxes, real[:, 0], side, context, training)
    entropy = keras.losses.sparse_categorical_crossentropy(tf.gather_nd(gt_classes, real), named)
    return tf.reduce_sum(entropy) / tf.maximum(tf.cast(tf.shape(real)[0], tf.float32), 1.0)


def checked_options(side, context, jitter) -> tuple[int, float, float]:
    """Validated crop side, context and jitter."""
    side = _validate.positive_int("crop_size", side)
    context = _validate.non_negative("crop_context", context)
    jitter = _validate.non_negative("crop_jitter", jitter)
    return side, context, jitter
