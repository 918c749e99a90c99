"""Box-aware augmentation of detection batches: `zoo.data.load("fashion_digits_canvas",
augment="crop_flip")`. The pixels, the boxes and the per-pixel maps (instance owners, class
map) move together.

The augmentations of SSD (Liu et al., 2016, "SSD: Single Shot MultiBox Detector",
arXiv:1512.02325, Sections 2.2 and 3.6), in its order, each drawn per image:

- `zoom`: SSD's "zoom out" (expansion): the image shrunk to 50-100% of its side and placed at
  random on a black canvas of the original size, so objects become smaller; none is cut.
- `crop`: SSD's random crop ("zoom in"): a window of 50-100% of the side (the aspect kept), at
  random, resized back to the original size. Boxes are clipped to the window
  (`zoo.detection.boxes.clip`); one keeping less than `MIN_VISIBLE` of its area becomes
  padding (class -1, box -1). Its pixels stay in the image and in the maps.
- `flip`: left-right with probability 1/2. It mirrors digits, which are then not the digits
  their labels name: leave it out where that matters (as zoo's digit recipes do).

Named combinations apply them in SSD's order: "crop_flip", "zoom_crop_flip", and
"zoom_crop" for data with digits (objects from half to twice their size, none mirrored). Zoom
and crop compose into one resampling (`augment`), the flip comes last.

Pixel geometry. A box is "xyxy" in pixel edges: pixel (row i, column j) spans [j, j + 1) x
[i, i + 1). `scale_translate` maps a source point x to (x - left) * scale; each output pixel
takes the source value at its centre's preimage, bilinearly for images and by nearest pixel
for maps (an owner or class id is never blended), and boxes go through the same map. So
every mask pixel's centre lies inside its box, exactly; when zooming in (scale >= 1), a box
that no window edge cut has each edge within half a pixel of its mask's; a flip is exact.
(Zooming out, nearest sampling may skip a one-pixel stroke, so a mask may fall short of its
box by a little more.)

Draws are stateless, from one seed per batch (`zoo.data.augment.batch_seeds`), done on the
whole batch at once, as `zoo.data.augment`'s are.
"""

from __future__ import annotations

import tensorflow as tf

from zoo.data.augment import batch_seeds
from zoo.detection import boxes as box_ops

# A box keeps its object when at least this share of its area is left inside the image.
MIN_VISIBLE = 0.5
CROP_SIDES = (0.5, 1.0)  # crop window side, as a share of the image side
ZOOM_SIDES = (0.5, 1.0)  # zoomed-out image side, as a share of the canvas side
MAPS = ("instances", "segmentation")  # per-pixel ids that travel with the pixels


def _size(images):
    return tf.shape(images)[1], tf.shape(images)[2]


def flip(batch, seed):
    """Each example mirrored left-right with probability 1/2: its image, maps and boxes."""
    images = batch["images"]
    flipped = tf.random.stateless_uniform([tf.shape(images)[0]], seed) < 0.5
    width = tf.cast(_size(images)[1], batch["boxes"].dtype)
    out = dict(batch)
    out["images"] = tf.where(flipped[:, None, None, None], tf.reverse(images, [2]), images)
    for name in MAPS:
        if name in batch:
            out[name] = tf.where(flipped[:, None, None], tf.reverse(batch[name], [2]),
                                 batch[name])
    x1, y1, x2, y2 = tf.unstack(batch["boxes"], axis=-1)
    mirrored = tf.stack([width - x2, y1, width - x1, y2], axis=-1)
    mirror = flipped[:, None] & (batch["classes"] >= 0)  # padding stays -1
    out["boxes"] = tf.where(mirror[..., None], mirrored, batch["boxes"])
    return out


def _source_positions(length, scale, start):
    """For each example, the source coordinate of the centre of each of `length` output
    pixels: (j + 0.5) / scale + start, shape [batch, length]."""
    centres = tf.cast(tf.range(length), tf.float32) + 0.5
    return centres[None, :] / scale[:, None] + start[:, None]


def _along(per_position, axis, rank):
    """A [batch, n] tensor shaped to broadcast along `axis` of a tensor of rank `rank`."""
    batch, length = tf.unstack(tf.shape(per_position))
    shape = [batch] + [1] * (axis - 1) + [length] + [1] * (rank - 1 - axis)
    return tf.reshape(per_position, tf.stack(shape))


def _gather(values, indices, axis, size):
    """`values` gathered along `axis` per example at integer `indices` [batch, n]; indices
    outside [0, size) give 0, the black surround."""
    valid = tf.cast((indices >= 0) & (indices < size), values.dtype)
    gathered = tf.gather(values, tf.clip_by_value(indices, 0, size - 1), axis=axis,
                         batch_dims=1)
    return gathered * _along(valid, axis, values.shape.rank)


def _linear(values, positions, axis, size):
    """Bilinear sampling along one axis at continuous source `positions` [batch, n]: the two
    pixels whose centres (i + 0.5) enclose each position, weighted by nearness."""
    below = tf.math.floor(positions - 0.5)
    weight = _along(positions - 0.5 - below, axis, values.shape.rank)
    index = tf.cast(below, tf.int32)
    return (_gather(values, index, axis, size) * (1 - weight)
            + _gather(values, index + 1, axis, size) * weight)


def _nearest(values, positions, axis, size):
    """Nearest-pixel sampling along one axis: the pixel that holds each position."""
    return _gather(values, tf.cast(tf.math.floor(positions), tf.int32), axis, size)


def scale_translate(batch, scale, left, top):
    """Each example resampled so that its source point (x, y) lands at ((x - left) * scale,
    (y - top) * scale), at the same image size; `scale`, `left` and `top` have shape [batch].
    Boxes move with the pixels, are clipped to the image, and become padding (-1) when less
    than `MIN_VISIBLE` of their area stays inside."""
    images = batch["images"]
    height, width = _size(images)
    rows = _source_positions(height, scale, top)
    columns = _source_positions(width, scale, left)
    out = dict(batch)
    out["images"] = _linear(_linear(images, rows, 1, height), columns, 2, width)
    for name in MAPS:
        if name in batch:
            out[name] = _nearest(_nearest(batch[name], rows, 1, height), columns, 2, width)
    boxes, classes = batch["boxes"], batch["classes"]
    origin = tf.stack([left, top, left, top], axis=-1)[:, None, :]
    moved = (boxes - origin) * scale[:, None, None]
    clipped = box_ops.clip(moved, tf.stack([height, width]))
    kept_area = box_ops.area(clipped)
    keep = (classes >= 0) & (kept_area > 0) & (
        kept_area >= MIN_VISIBLE * box_ops.area(moved))
    out["boxes"] = tf.where(keep[..., None], clipped, -tf.ones_like(boxes))
    out["classes"] = tf.where(keep, classes, -tf.ones_like(classes))
    return out


def _draws(seed, count):
    """Three independent uniform draws in [0, 1) per example: a side, a left and a top."""
    return tf.unstack(tf.random.stateless_uniform([3, count], seed))


def crop_window(seed, count, height, width):
    """SSD's random crop, as `scale_translate`'s (scale, left, top): a window of `CROP_SIDES`
    of the side, at random, resized back to the full size."""
    side, left, top = _draws(seed, count)
    side = CROP_SIDES[0] + side * (CROP_SIDES[1] - CROP_SIDES[0])
    return 1 / side, left * width * (1 - side), top * height * (1 - side)


def zoom_out(seed, count, height, width):
    """SSD's zoom out, as `scale_translate`'s (scale, left, top): the image shrunk to
    `ZOOM_SIDES` of its side and placed at random on black."""
    side, left, top = _draws(seed, count)
    side = ZOOM_SIDES[0] + side * (ZOOM_SIDES[1] - ZOOM_SIDES[0])
    # Where the shrunk image's corner lands in the output, then as a source coordinate.
    return side, -left * width * (1 - side) / side, -top * height * (1 - side) / side


# Each augmentation: its resampling steps (in SSD's order), and whether a flip follows.
BOX_AUGMENTATIONS = {"flip": ((), True), "crop": ((crop_window,), False),
                     "zoom": ((zoom_out,), False), "crop_flip": ((crop_window,), True),
                     "zoom_crop": ((zoom_out, crop_window), False),
                     "zoom_crop_flip": ((zoom_out, crop_window), True)}


def box_augmentation(name: str):
    """`(resampling steps, flip)` of the box-aware augmentation called `name`."""
    if name not in BOX_AUGMENTATIONS:
        raise ValueError(f"augment={name!r} is not a box-aware augmentation of detection "
                         f"datasets; choose one of {sorted(BOX_AUGMENTATIONS)} (or "
                         "'recompose' for composed canvases, zoo.data.recompose) or pass a "
                         "function (image, targets) -> (image, targets).")
    return BOX_AUGMENTATIONS[name]


def augment(batch, name: str, seed):
    """The augmentation `name` applied to a batch dict ("images", "boxes", "classes", maybe
    `MAPS`), drawing from `seed` (shape [2]).

    The resampling steps compose into one map before any pixel moves: x -> (x - left) *
    scale after x -> (x - left0) * scale0 is x -> (x - left0 - left / scale0) * scale0 *
    scale. Sampling once keeps the masks exact (two nearest-pixel samplings in a row would
    each shift them by up to half a pixel) and the images sharper.
    """
    steps, flips = box_augmentation(name)
    seeds = tf.unstack(tf.random.experimental.stateless_split(seed, len(steps) + 1))
    count = tf.shape(batch["images"])[0]
    height, width = (tf.cast(s, tf.float32) for s in _size(batch["images"]))
    scale, left, top = tf.ones([count]), tf.zeros([count]), tf.zeros([count])
    for step, step_seed in zip(steps, seeds[:-1], strict=True):
        step_scale, step_left, step_top = step(step_seed, count, height, width)
        scale, left, top = scale * step_scale, left + step_left / scale, top + step_top / scale
    if steps:
        batch = scale_translate(batch, scale, left, top)
    return flip(batch, seeds[-1]) if flips else batch


def augment_batches(dataset, name: str, seed: int):
    """`dataset` of batch dicts with the augmentation `name` applied, each batch drawing from
    its own seed (`zoo.data.augment.batch_seeds`)."""
    box_augmentation(name)
    return tf.data.Dataset.zip(dataset, batch_seeds(seed)).map(
        lambda batch, batch_seed: augment(batch, name, batch_seed),
        num_parallel_calls=tf.data.AUTOTUNE)
