"""Instance masks in a region's frame and back: what Mask R-CNN's mask head learns from and
what its predictions become on the image (He, Gkioxari, Dollar and Girshick (2017), "Mask
R-CNN", ICCV, arXiv:1703.06870, Section 3).

- `region_mask_targets`: each region's target, its object's full-image mask read inside the
  region's box by RoIAlign at the head's resolution (m x m, 28 in the paper): "the
  intersection between an RoI and its associated ground-truth mask". The values are the
  mask's coverage of each bin, in [0, 1], which the binary cross-entropy takes as they are
  (torchvision does the same).
- `paste_masks`: the head's m x m masks back onto the image, each stretched over its box by
  bilinear interpolation (Section 3: "the m x m floating-number mask output is then resized
  to the RoI size, and binarized at a threshold of 0.5"); the TF Object Detection API's
  `reframe_box_masks_to_image_masks` serves the same purpose.

Both are TensorFlow ops that run in `fit` and in a SavedModel.
"""

from __future__ import annotations

import tensorflow as tf

from zoo import _validate
from zoo.detection.boxes import as_boxes
from zoo.detection.roi_align import roi_align


def region_mask_targets(masks, objects, boxes, box_indices, size: int = 28) -> tf.Tensor:
    """Targets [N, size, size] in [0, 1]: for region n, the mask of object `objects[n]` of
    image `box_indices[n]` inside `boxes[n]`.

    Args:
        masks: the batch's instance masks, [B, M, H, W] (bool or float), one per object slot.
        objects: [N] the slot of each region's object in `masks`.
        boxes: [N, 4] "xyxy" image pixels, the regions.
        box_indices: [N] the image each region belongs to.
        size: the side of the targets (the mask head's output).
    """
    size = _validate.positive_int("size", size)
    masks = tf.convert_to_tensor(masks)
    if masks.shape.rank != 4:
        raise ValueError(f"masks of shape {tuple(masks.shape)} must be [batch, objects, "
                         "height, width], one mask per object slot.")
    shape = tf.shape(masks)
    slots = shape[1]
    images = tf.reshape(tf.cast(masks, tf.float32), [-1, shape[2], shape[3], 1])
    flat_index = tf.cast(box_indices, tf.int32) * slots + tf.cast(objects, tf.int32)
    targets = roi_align(images, boxes, flat_index, (size, size), stride=1)
    return targets[..., 0]


def paste_masks(masks, boxes, image_size) -> tf.Tensor:
    """Masks [B, D, m, m] in their boxes' frames (probabilities) pasted on the image:
    [B, D, height, width], 0 outside each box.

    Pixel (row, column) of the image, at centre (row + 0.5, column + 0.5), reads the mask at
    ((row + 0.5 - y1) / h * m - 0.5, ...) in mask cells (cell centres at integers), by
    bilinear interpolation on the mask padded with a ring of zeros, so that a mask fades to 0
    over the half cell outside its box instead of stopping sharply. `boxes` [B, D, 4] are
    "xyxy" image pixels; `image_size` the (height, width) to paste on.
    """
    masks = tf.convert_to_tensor(masks)
    if masks.shape.rank != 4:
        raise ValueError(f"masks of shape {tuple(masks.shape)} must be [batch, detections, "
                         "m, m].")
    boxes = as_boxes("boxes", boxes, dtype=tf.float32)
    if boxes.shape.rank != 3:
        raise ValueError(f"boxes of shape {tuple(boxes.shape)} must be [batch, detections, 4].")
    image_size = tf.cast(image_size, tf.int32)
    shape = tf.shape(masks)
    side = tf.cast(shape[2], tf.float32)
    padded = tf.pad(tf.reshape(tf.cast(masks, tf.float32), [-1, shape[2], shape[3], 1]),
                    [[0, 0], [1, 1], [1, 1], [0, 0]])
    x1, y1, x2, y2 = tf.unstack(tf.reshape(boxes, [-1, 4]), axis=-1)
    height = tf.maximum(y2 - y1, 1e-6)
    width = tf.maximum(x2 - x1, 1e-6)
    rows, cols = tf.unstack(tf.cast(image_size, tf.float32))

    def in_padded_mask(pixel_centre, start, extent):
        # Mask cell coordinates, +1 for the zero ring, over crop_and_resize's unit (m + 1).
        return ((pixel_centre - start) / extent * side - 0.5 + 1.0) / (side + 1.0)

    normalised = tf.stack([in_padded_mask(0.5, y1, height), in_padded_mask(0.5, x1, width),
                           in_padded_mask(rows - 0.5, y1, height),
                           in_padded_mask(cols - 0.5, x1, width)], axis=-1)
    pasted = tf.image.crop_and_resize(padded, normalised, tf.range(tf.shape(normalised)[0]),
                                      image_size, method="bilinear", extrapolation_value=0.0)
    return tf.reshape(pasted, tf.concat([shape[:2], image_size], 0))
