"""Named data augmentations for image pipelines: `zoo.data.load(..., augment="crop_flip")`.

A recipe names its augmentation (a string keeps the recipe JSON-serialisable and the run's
`config.json` readable); `load` applies it to whole batches, after scaling and resizing. The
training helpers (`zoo.train`, `zoo.evaluate`) apply it to the training split only: validation
and test images are never augmented.

- `crop_flip`: zero-pad `pad` pixels on every side, crop a random window of the original size
  and flip it left-right with probability 1/2. This is the augmentation of the CIFAR ResNets
  (He, Zhang, Ren and Sun, 2016, "Deep residual learning for image recognition",
  arXiv:1512.03385, Section 4.2: "4 pixels are padded on each side, and a 32x32 crop is
  randomly sampled from the padded image or its horizontal flip"). The default pad is 1/8 of
  the image side (4 for 32x32, 3 for 28x28). Left-right flips keep Fashion-MNIST's and CIFAR's
  labels; they would not keep digits' labels, so the digit datasets' recipes do not use it.
- `flip`: the left-right flip alone.

Each example draws its own crop and flip, but the work is done on the whole batch at once (one
gather per axis): a per-example `map` costs far more than the arithmetic (see
`zoo.data.pipeline`).
"""

from __future__ import annotations

import tensorflow as tf


def random_flip(images):
    """Flip each image of a (batch, height, width, channels) batch left-right with p = 1/2."""
    flip = tf.random.uniform([tf.shape(images)[0]]) < 0.5
    return tf.where(flip[:, tf.newaxis, tf.newaxis, tf.newaxis], tf.reverse(images, [2]), images)


def random_crop(images, pad):
    """Zero-pad each image by `pad` pixels on every side and cut back a random window of the
    original size, independently per image: a random shift of up to `pad` pixels."""
    batch, height, width = tf.shape(images)[0], tf.shape(images)[1], tf.shape(images)[2]
    padded = tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
    top = tf.random.uniform([batch, 1], maxval=2 * pad + 1, dtype=tf.int32)
    left = tf.random.uniform([batch, 1], maxval=2 * pad + 1, dtype=tf.int32)
    rows = top + tf.range(height)[tf.newaxis, :]
    columns = left + tf.range(width)[tf.newaxis, :]
    cropped = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(cropped, columns, axis=2, batch_dims=1)


def crop_flip(images, pad=None):
    """`random_crop` then `random_flip`; `pad` defaults to 1/8 of the shorter image side."""
    if pad is None:
        pad = max(1, min(images.shape[1], images.shape[2]) // 8)
    return random_flip(random_crop(images, pad))


AUGMENTATIONS = {"crop_flip": crop_flip, "flip": random_flip}

# Options of `zoo.data.load` that only make sense when training: dropped for evaluation.
TRAINING_ONLY_OPTIONS = ("augment",)


def batch_augmentation(name: str):
    """The `(images, labels) -> (images, labels)` batch function for an augmentation's name."""
    if name not in AUGMENTATIONS:
        raise ValueError(f"augment={name!r} is not a known augmentation; choose one of "
                         f"{sorted(AUGMENTATIONS)} or pass a function (x, y) -> (x, y).")
    augment = AUGMENTATIONS[name]
    return lambda images, labels: (augment(images), labels)


def evaluation_options(options):
    """`options` without the training-only ones (augmentation), for validation and test."""
    return {k: v for k, v in options.items() if k not in TRAINING_ONLY_OPTIONS}
