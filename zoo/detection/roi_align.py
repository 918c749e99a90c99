"""RoIAlign: a fixed-size map of features for each region of interest, He, Gkioxari, Dollar and
Girshick (2017), "Mask R-CNN", ICCV, arXiv:1703.06870, Section 3, as a two-stage detector's
second stage reads its proposals (Ren et al. 2015, "Faster R-CNN", read them by RoIPool).

RoIPool rounded each region and each of its bins to whole feature cells, so its features
were misaligned with the box by up to a cell: a stride-16 map moved a box's features by up to
16 pixels. RoIAlign rounds nothing: each bin of the output's `output_size` grid averages
`sampling_ratio` x `sampling_ratio` points spread evenly inside it, each read by bilinear
interpolation of the four cells around it.

The conventions are torchvision's `roi_align(..., aligned=True)`: boxes "xyxy" in image
pixels, scaled to the map by `1 / stride`; a map cell i covers [i, i + 1) and holds its value
at its centre, i + 0.5 (hence a half-cell shift before interpolating); a point up to one cell
outside the map reads the border cell, one further out reads zero. The sampling is TensorFlow's
`tf.image.crop_and_resize` at `sampling_ratio` times the output size, on the map padded by one
replicated cell (that reproduces the border rule), averaged in `sampling_ratio` blocks.
"""

from __future__ import annotations

import tensorflow as tf

from zoo import _validate
from zoo.detection.boxes import as_boxes


def roi_align(features, boxes, box_indices, output_size=(7, 7), *, stride: int = 1,
              sampling_ratio: int = 2) -> tf.Tensor:
    """Features [N, out_h, out_w, C] of `boxes` [N, 4] ("xyxy", image pixels), box n read from
    image `box_indices[n]` of `features` [B, H, W, C] (a map of `stride` pixels a cell).

    Args:
        output_size: the (height, width) of each region's map (7x7 in Faster R-CNN's box
            head, 14x14 in Mask R-CNN's mask head).
        stride: the map's stride in image pixels.
        sampling_ratio: points per bin along each side (torchvision's and Detectron's 2; the
            paper: "the result is not sensitive to the exact sampling locations").
    """
    out_h, out_w = _validate.shape("output_size", output_size, rank=2)
    stride = _validate.positive_int("stride", stride)
    sampling_ratio = _validate.positive_int("sampling_ratio", sampling_ratio)
    features = tf.convert_to_tensor(features)
    if features.shape.rank != 4:
        raise ValueError(f"features of shape {tuple(features.shape)} must be [batch, height, "
                         "width, channels].")
    boxes = as_boxes("boxes", boxes, dtype=tf.float32)
    if boxes.shape.rank != 2:
        raise ValueError(f"boxes of shape {tuple(boxes.shape)} must be [regions, 4].")
    box_indices = tf.cast(box_indices, tf.int32)

    # The map padded by one replicated cell on every side: a point within a cell of the map
    # reads its border (torchvision clamps there), and crop_and_resize's extrapolation value
    # of 0 answers beyond.
    padded = tf.pad(tf.cast(features, tf.float32), [[0, 0], [1, 1], [1, 1], [0, 0]],
                    mode="SYMMETRIC")
    size = tf.cast(tf.shape(padded)[1:3] - 1, tf.float32)  # crop_and_resize's unit
    # Box edges in map cells, centre-aligned; then the first and last sampling points.
    x1, y1, x2, y2 = tf.unstack(boxes / stride - 0.5, axis=-1)
    bin_h = (y2 - y1) / out_h / sampling_ratio
    bin_w = (x2 - x1) / out_w / sampling_ratio
    first_y, first_x = y1 + 0.5 * bin_h, x1 + 0.5 * bin_w
    last_y = y1 + (out_h * sampling_ratio - 0.5) * bin_h
    last_x = x1 + (out_w * sampling_ratio - 0.5) * bin_w
    # +1: the padding moved cell 0 to row and column 1.
    normalised = tf.stack([(first_y + 1) / size[0], (first_x + 1) / size[1],
                           (last_y + 1) / size[0], (last_x + 1) / size[1]], axis=-1)
    samples = tf.image.crop_and_resize(
        padded, normalised, box_indices, (out_h * sampling_ratio, out_w * sampling_ratio),
        method="bilinear", extrapolation_value=0.0)
    pooled = tf.nn.avg_pool2d(samples, sampling_ratio, sampling_ratio, "VALID")
    return tf.cast(pooled, features.dtype)
