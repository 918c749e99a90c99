"""Bounding boxes: their formats, area, overlap (IoU and GIoU) and clipping.

A box is the last axis of a tensor of shape [..., 4]. Its format names what the four numbers
are, with the names of torchvision's `ops.box_convert` ("xyxy", "xywh", "cxcywh") and of
KerasHub's `utils.bounding_box` (after keras_cv): "xyxy", "yxyx", "xywh", "center_xywh",
"center_yxhw", and the relative formats "rel_xyxy", "rel_yxyx", "rel_xywh", "rel_center_xywh",
whose coordinates are fractions of the image's width and height. "cxcywh" and "center_xywh"
are the same format under torchvision's and KerasHub's names.

Everything but `convert` takes boxes as "xyxy" in any consistent unit: (x_min, y_min, x_max,
y_max). The functions are TensorFlow ops, so they run inside `tf.function` and a SavedModel;
numpy arrays are accepted and become tensors.

- IoU: intersection over union (Jaccard index), the overlap measure of the PASCAL VOC
  challenge, Everingham et al. (2010), "The PASCAL Visual Object Classes (VOC) Challenge",
  IJCV 88(2).
- GIoU: Rezatofighi, Tsoi, Gwak, Sadeghian, Reid and Savarese (2019), "Generalized
  intersection over union: a metric and a loss for bounding box regression", CVPR,
  arXiv:1902.09630: IoU minus the share of the smallest enclosing box that the union leaves
  empty, so that it still ranks boxes that do not overlap (IoU 0).

Degenerate boxes (zero or negative width or height) have area 0 and IoU 0 with everything,
never NaN: where a ratio's denominator is 0 its value is taken as 0 (`tf.math.divide_no_nan`).
"""

from __future__ import annotations

import tensorflow as tf

from zoo import _validate

ABSOLUTE_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "cxcywh", "center_yxhw")
RELATIVE_FORMATS = ("rel_xyxy", "rel_yxyx", "rel_xywh", "rel_center_xywh")
FORMATS = ABSOLUTE_FORMATS + RELATIVE_FORMATS


def as_boxes(arg: str, boxes, dtype=None) -> tf.Tensor:
    """`boxes` as a floating tensor whose last axis has 4 entries (float32 unless already
    floating, or `dtype`), or a ValueError naming `arg` and the shape it got."""
    boxes = tf.convert_to_tensor(boxes)
    if dtype is not None:
        boxes = tf.cast(boxes, dtype)
    elif not boxes.dtype.is_floating:
        boxes = tf.cast(boxes, tf.float32)
    shape = boxes.shape
    if shape.rank == 0 or (shape.rank is not None and shape[-1] not in (None, 4)):
        raise ValueError(f"{arg} of shape {tuple(shape)} must have shape [..., 4] (one box "
                         "per last axis).")
    return boxes


def _height_width(image_shape, dtype):
    """The image's (height, width) as two scalars of `dtype`: from a pair of numbers or a
    tensor of shape [2]."""
    if isinstance(image_shape, (tuple, list)):
        if len(image_shape) != 2:
            raise ValueError(f"image_shape={image_shape!r} must be the image's (height, width).")
        for name, size in zip(("height", "width"), image_shape, strict=True):
            if not tf.is_tensor(size):
                _validate.positive(f"image_shape {name}", size)
    image_shape = tf.cast(tf.convert_to_tensor(image_shape), dtype)
    if image_shape.shape.rank is not None and tuple(image_shape.shape) not in ((2,), (None,)):
        raise ValueError(f"image_shape of shape {tuple(image_shape.shape)} must be the image's "
                         "(height, width).")
    return image_shape[0], image_shape[1]


def _to_xyxy(a, b, c, d, base: str):
    """The four coordinates of an absolute format (no "rel_" prefix) as x1, y1, x2, y2."""
    if base == "xyxy":
        return a, b, c, d
    if base == "yxyx":
        return b, a, d, c
    if base == "xywh":
        return a, b, a + c, b + d
    if base in ("center_xywh", "cxcywh"):
        return a - c / 2, b - d / 2, a + c / 2, b + d / 2
    # center_yxhw: (y, x, height, width) of the centre.
    return b - d / 2, a - c / 2, b + d / 2, a + c / 2


def _from_xyxy(x1, y1, x2, y2, base: str):
    if base == "xyxy":
        return x1, y1, x2, y2
    if base == "yxyx":
        return y1, x1, y2, x2
    if base == "xywh":
        return x1, y1, x2 - x1, y2 - y1
    if base in ("center_xywh", "cxcywh"):
        return (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1
    return (y1 + y2) / 2, (x1 + x2) / 2, y2 - y1, x2 - x1


def convert(boxes, source: str, target: str, *, image_shape=None) -> tf.Tensor:
    """Boxes of shape [..., 4] converted from format `source` to format `target`.

    Args:
        boxes: a tensor or array of shape [..., 4].
        source, target: one of `FORMATS`.
        image_shape: the image's (height, width), needed when exactly one of the two formats
            is relative ("rel_*"): relative x coordinates and widths are fractions of the
            width, y coordinates and heights fractions of the height.

    Every format is linear in the x coordinates and in the y coordinates separately, so the
    conversion goes through absolute "xyxy" and scales x by the width and y by the height.
    """
    _validate.choice("source", source, FORMATS)
    _validate.choice("target", target, FORMATS)
    boxes = as_boxes("boxes", boxes)
    if source == target:
        return boxes
    source_relative, target_relative = source in RELATIVE_FORMATS, target in RELATIVE_FORMATS
    if source_relative != target_relative and image_shape is None:
        relative = source if source_relative else target
        raise ValueError(f"image_shape is needed to convert from {source!r} to {target!r}: "
                         f"{relative!r} is relative to the image's (height, width).")
    x1, y1, x2, y2 = _to_xyxy(*tf.unstack(boxes, axis=-1), source.removeprefix("rel_"))
    if source_relative != target_relative:
        height, width = _height_width(image_shape, boxes.dtype)
        if source_relative:
            x1, y1, x2, y2 = x1 * width, y1 * height, x2 * width, y2 * height
        else:
            x1, y1, x2, y2 = x1 / width, y1 / height, x2 / width, y2 / height
    return tf.stack(_from_xyxy(x1, y1, x2, y2, target.removeprefix("rel_")), axis=-1)


def area(boxes) -> tf.Tensor:
    """The area of "xyxy" boxes, shape [...]; 0 for boxes with x2 < x1 or y2 < y1."""
    x1, y1, x2, y2 = tf.unstack(as_boxes("boxes", boxes), axis=-1)
    return tf.nn.relu(x2 - x1) * tf.nn.relu(y2 - y1)


def _paired(a, b, aligned: bool):
    """`a` and `b` as tensors of one dtype, shaped so that they broadcast to the pairs to
    compare: box for box when `aligned`, every box of `a` with every box of `b` otherwise."""
    a = as_boxes("a", a)
    b = as_boxes("b", b, dtype=a.dtype)
    if aligned:
        if a.shape.is_fully_defined() and b.shape.is_fully_defined() and a.shape != b.shape:
            raise ValueError(f"a of shape {tuple(a.shape)} and b of shape {tuple(b.shape)} "
                             "must have the same shape when aligned=True.")
        return a, b
    if a.shape.rank not in (2, 3) or b.shape.rank != a.shape.rank:
        raise ValueError(f"a of shape {tuple(a.shape)} and b of shape {tuple(b.shape)} must "
                         "both be [N, 4] and [M, 4], or both [B, N, 4] and [B, M, 4].")
    if a.shape.rank == 3 and None not in (a.shape[0], b.shape[0]) and a.shape[0] != b.shape[0]:
        raise ValueError(f"a of shape {tuple(a.shape)} and b of shape {tuple(b.shape)} must "
                         "have the same batch size.")
    return a[..., :, None, :], b[..., None, :, :]


def _overlap(a, b):
    """Intersection, union and the smallest enclosing box's area of broadcast "xyxy" boxes."""
    ax1, ay1, ax2, ay2 = tf.unstack(a, axis=-1)
    bx1, by1, bx2, by2 = tf.unstack(b, axis=-1)
    intersection = (tf.nn.relu(tf.minimum(ax2, bx2) - tf.maximum(ax1, bx1))
                    * tf.nn.relu(tf.minimum(ay2, by2) - tf.maximum(ay1, by1)))
    union = (tf.nn.relu(ax2 - ax1) * tf.nn.relu(ay2 - ay1)
             + tf.nn.relu(bx2 - bx1) * tf.nn.relu(by2 - by1) - intersection)
    enclosing = (tf.nn.relu(tf.maximum(ax2, bx2) - tf.minimum(ax1, bx1))
                 * tf.nn.relu(tf.maximum(ay2, by2) - tf.minimum(ay1, by1)))
    return intersection, union, enclosing


def iou(a, b, *, aligned: bool = False) -> tf.Tensor:
    """Intersection over union of "xyxy" boxes.

    Pairwise by default: `a` [N, 4] and `b` [M, 4] give [N, M]; batched, [B, N, 4] and
    [B, M, 4] give [B, N, M]. With `aligned=True`, `a` and `b` have the same shape [..., 4]
    and box i of `a` is compared with box i of `b`, giving [...] (mmdetection's `is_aligned`).
    Two boxes whose union is empty (both degenerate) have IoU 0.
    """
    intersection, union, _ = _overlap(*_paired(a, b, aligned))
    return tf.math.divide_no_nan(intersection, union)


def giou(a, b, *, aligned: bool = False) -> tf.Tensor:
    """Generalized IoU of "xyxy" boxes (Rezatofighi et al., 2019, Algorithm 1), in [-1, 1]:
    IoU - (C - U) / C, with U the union and C the smallest box enclosing both.

    Shapes as `iou`. Where C is empty (both boxes degenerate and collinear) the penalty is 0.
    """
    intersection, union, enclosing = _overlap(*_paired(a, b, aligned))
    return (tf.math.divide_no_nan(intersection, union)
            - tf.math.divide_no_nan(enclosing - union, enclosing))


def clip(boxes, image_shape) -> tf.Tensor:
    """"xyxy" boxes clipped to the image: x to [0, width], y to [0, height]. A box wholly
    outside the image becomes degenerate (area 0)."""
    boxes = as_boxes("boxes", boxes)
    height, width = _height_width(image_shape, boxes.dtype)
    x1, y1, x2, y2 = tf.unstack(boxes, axis=-1)
    zero = tf.zeros([], boxes.dtype)
    return tf.stack([tf.clip_by_value(x1, zero, width), tf.clip_by_value(y1, zero, height),
                     tf.clip_by_value(x2, zero, width), tf.clip_by_value(y2, zero, height)],
                    axis=-1)
