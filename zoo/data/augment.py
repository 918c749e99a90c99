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
- `binarize`: each pixel set to 1 with probability its grey level, else 0, drawn anew every
  epoch: the "dynamically binarised" MNIST on which VAEs and RBMs report log-likelihoods
  (e.g. Burda, Grosse and Salakhutdinov, 2016). Images must be scaled to [0, 1] (zoo's are).

Each example draws its own crop and flip, but the work is done on the whole batch at once (one
gather per axis): a per-example `map` costs far more than the arithmetic (see
`zoo.data.pipeline`). The draws are stateless, from a seed the pipeline gives each batch:
Keras starts a new iterator every epoch, and stateful random ops under a fixed global seed
would replay the same crops and flips each time, where the per-batch seeds come from a stream
that draws anew on every iteration (as the shuffle's do).
"""

from __future__ import annotations

import tensorflow as tf


def random_flip(images, seed):
    """Flip each image of a (batch, height, width, channels) batch left-right with p = 1/2;
    `seed` (shape [2]) fixes the draws."""
    flip = tf.random.stateless_uniform([tf.shape(images)[0]], seed) < 0.5
    return tf.where(flip[:, tf.newaxis, tf.newaxis, tf.newaxis], tf.reverse(images, [2]), images)


def random_crop(images, pad, seed):
    """Zero-pad each image by `pad` pixels on every side and cut back a random window of the
    original size, independently per image: a random shift of up to `pad` pixels. `seed`
    (shape [2]) fixes the draws."""
    batch, height, width = tf.shape(images)[0], tf.shape(images)[1], tf.shape(images)[2]
    padded = tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
    top_seed, left_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    top = tf.random.stateless_uniform([batch, 1], top_seed, maxval=2 * pad + 1, dtype=tf.int32)
    left = tf.random.stateless_uniform([batch, 1], left_seed, maxval=2 * pad + 1,
                                       dtype=tf.int32)
    rows = top + tf.range(height)[tf.newaxis, :]
    columns = left + tf.range(width)[tf.newaxis, :]
    cropped = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(cropped, columns, axis=2, batch_dims=1)


def crop_flip(images, seed, pad=None):
    """`random_crop` then `random_flip`; `pad` defaults to 1/8 of the shorter image side."""
    if pad is None:
        pad = max(1, min(images.shape[1], images.shape[2]) // 8)
    crop_seed, flip_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    return random_flip(random_crop(images, pad, crop_seed), flip_seed)


def binarize(images, seed):
    """Each pixel 1 with probability its value (in [0, 1]), else 0; `seed` fixes the draws."""
    return tf.cast(tf.random.stateless_uniform(tf.shape(images), seed) < images, images.dtype)


AUGMENTATIONS = {"crop_flip": crop_flip, "flip": random_flip, "binarize": binarize}

_SEED_OFFSET = 0x5EED

# Options of `zoo.data.load` that only make sense when training: dropped for evaluation.
TRAINING_ONLY_OPTIONS = ("augment",)


def augmentation(name: str):
    """The batch function `(images, seed) -> images` of the augmentation called `name`."""
    if name not in AUGMENTATIONS:
        raise ValueError(f"augment={name!r} is not a known augmentation; choose one of "
                         f"{sorted(AUGMENTATIONS)} or pass a function (x, y) -> (x, y).")
    return AUGMENTATIONS[name]


def check_augment(augment, info) -> None:
    """`augment` is None, a function, or the name of an augmentation and `info` (a
    `DatasetInfo`) an image dataset; a detection dataset takes the names of
    `zoo.data.box_augment`, which move its boxes and masks with the pixels."""
    if augment is None or callable(augment):
        return
    if not isinstance(augment, str):
        raise ValueError(f"augment={augment!r} must be None, the name of an augmentation "
                         "or a function (x, y) -> (x, y).")
    if info.task == "detection":
        from zoo.data.box_augment import box_augmentation

        box_augmentation(augment)
        return
    if info.task != "image-classification":
        raise ValueError(f"augment={augment!r} applies to image datasets, not {info.name}.")
    augmentation(augment)


def batch_seeds(seed: int):
    """An endless dataset of seeds (shape [2]), one per batch, drawn anew on every iteration
    (every epoch); the same `seed` gives the same sequence of epochs."""
    # Offset from the shuffle's stream (which uses `seed` itself), so the two are unrelated.
    return tf.data.Dataset.random(seed=seed + _SEED_OFFSET,
                                  rerandomize_each_iteration=True).batch(2)


def augment_batches(dataset, name: str, seed: int):
    """`dataset` of `(images, labels)` batches with the augmentation `name` applied, each batch
    drawing from its own seed (`batch_seeds`)."""
    augment = augmentation(name)
    return tf.data.Dataset.zip(dataset, batch_seeds(seed)).map(
        lambda batch, batch_seed: (augment(batch[0], batch_seed), batch[1]),
        num_parallel_calls=tf.data.AUTOTUNE)


def evaluation_options(options):
    """`options` without the training-only ones (augmentation), for validation and test."""
    return {k: v for k, v in options.items() if k not in TRAINING_ONLY_OPTIONS}
