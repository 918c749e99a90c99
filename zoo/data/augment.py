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
- `shift`: the pad-and-crop alone: a random shift of up to `pad` pixels each way.
- `crop`: a random crop of at least `scale` (default 0.5) of the image's area, with an aspect
  ratio between 3/4 and 4/3, resized back to the image's size (Szegedy et al., 2015, "Going
  deeper with convolutions", arXiv:1409.4842, section 6, from 8% of the area for ImageNet).
- `rotate`: a random rotation of up to `degrees` (default 15) either way about the centre,
  bilinear, zeros outside.
- `erase`: with probability `p` (default 0.5), a random rectangle of 2% to 40% of the image,
  aspect ratio 0.3 to 3.3, replaced by uniform noise (Zhong, Zheng, Kang, Li and Yang, 2020,
  "Random erasing data augmentation", arXiv:1708.04896, their defaults).
- `mixup`: each batch mixed with a shuffled copy of itself, images and one-hot labels alike,
  with a weight drawn from Beta(`alpha`, `alpha`) (default 0.2; Zhang, Cisse, Dauphin and
  Lopez-Paz, 2018, "mixup: Beyond empirical risk minimization", arXiv:1710.09412). Its labels
  become class distributions, shape (batch, classes): `zoo.train` trains on them with
  `zoo.objectives.SmoothedCrossentropy`, which takes integer and soft labels alike.
- `binarize`: each pixel set to 1 with probability its grey level, else 0, drawn anew every
  epoch: the "dynamically binarised" MNIST on which VAEs and RBMs report log-likelihoods
  (e.g. Burda, Grosse and Salakhutdinov, 2016). Images must be scaled to [0, 1] (zoo's are).

A name may carry its one parameter after a colon and several join with "+", applied left to
right: `"rotate:45"`, `"shift:2+erase"`, `"crop_flip+mixup:0.4"` (mixup, which changes the
labels, comes last).

Each example draws its own crop and flip, but the work is done on the whole batch at once (one
gather per axis): a per-example `map` costs far more than the arithmetic (see
`zoo.data.pipeline`). The draws are stateless, from a seed the pipeline gives each batch:
Keras starts a new iterator every epoch, and stateful random ops under a fixed global seed
would replay the same crops and flips each time, where the per-batch seeds come from a stream
that draws anew on every iteration (as the shuffle's do).
"""

from __future__ import annotations

import math

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
    pad = int(pad)
    crop_seed, flip_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    return random_flip(random_crop(images, pad, crop_seed), flip_seed)


def binarize(images, seed):
    """Each pixel 1 with probability its value (in [0, 1]), else 0; `seed` fixes the draws."""
    return tf.cast(tf.random.stateless_uniform(tf.shape(images), seed) < images, images.dtype)


def random_shift(images, seed, pad=None):
    """`random_crop` with `pad` defaulting to 1/8 of the shorter image side."""
    if pad is None:
        pad = max(1, min(images.shape[1], images.shape[2]) // 8)
    return random_crop(images, int(pad), seed)


def random_resized_crop(images, seed, scale=0.5):
    """A window of at least `scale` of each image's area (aspect ratio 3/4 to 4/3, drawn on
    a log scale) at a random place, resized back to the image's size."""
    batch, height, width = tf.shape(images)[0], images.shape[1], images.shape[2]
    area_seed, ratio_seed, top_seed, left_seed = tf.unstack(
        tf.random.experimental.stateless_split(seed, 4))
    area = tf.random.stateless_uniform([batch], area_seed, minval=scale, maxval=1.0)
    log_ratio = tf.random.stateless_uniform([batch], ratio_seed, minval=tf.math.log(3 / 4),
                                            maxval=tf.math.log(4 / 3))
    # Sides as shares of the image's: a window of the drawn area and aspect ratio, cut back
    # to the image where a wide or tall ratio would overflow it.
    crop_height = tf.minimum(tf.sqrt(area / tf.exp(log_ratio)), 1.0)
    crop_width = tf.minimum(tf.sqrt(area * tf.exp(log_ratio)), 1.0)
    top = tf.random.stateless_uniform([batch], top_seed) * (1.0 - crop_height)
    left = tf.random.stateless_uniform([batch], left_seed) * (1.0 - crop_width)
    boxes = tf.stack([top, left, top + crop_height, left + crop_width], axis=1)
    return tf.image.crop_and_resize(images, boxes, tf.range(batch), (height, width))


def rotate(images, degrees):
    """Each image rotated about its centre by its angle in `degrees` (a number, or one per
    image), anticlockwise as displayed; bilinear, zeros where the rotated image leaves the
    frame."""
    images = tf.convert_to_tensor(images)
    # Rows grow downwards, so an anticlockwise turn on screen is a negative angle in (x, y).
    angles = tf.broadcast_to(tf.cast(degrees, tf.float32) * (-math.pi / 180.0),
                             tf.shape(images)[:1])
    centre_y = (images.shape[1] - 1) / 2.0
    centre_x = (images.shape[2] - 1) / 2.0
    cos, sin = tf.cos(angles), tf.sin(angles)
    zeros = tf.zeros_like(angles)
    # Each output pixel (x, y) reads the input at its rotation back about the centre.
    transforms = tf.stack([cos, sin, centre_x - cos * centre_x - sin * centre_y,
                           -sin, cos, centre_y + sin * centre_x - cos * centre_y,
                           zeros, zeros], axis=1)
    turned = tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=transforms, output_shape=tf.shape(images)[1:3],
        fill_value=0.0, interpolation="BILINEAR", fill_mode="CONSTANT")
    # The op forgets the static shape; the augmentations after it need height and width.
    return tf.ensure_shape(turned, images.shape)


def random_rotation(images, seed, degrees=15.0):
    """`rotate` by an angle drawn for each image from [-degrees, degrees]."""
    return rotate(images, tf.random.stateless_uniform([tf.shape(images)[0]], seed, minval=-1.0,
                                                      maxval=1.0) * float(degrees))


def random_erasing(images, seed, p=0.5):
    """With probability `p` per image, a rectangle of 2% to 40% of its area (aspect ratio
    0.3 to 1/0.3) filled with uniform noise in [0, 1]."""
    batch, height, width = tf.shape(images)[0], images.shape[1], images.shape[2]
    seeds = tf.unstack(tf.random.experimental.stateless_split(seed, 6))
    erase = tf.random.stateless_uniform([batch], seeds[0]) < p
    area = tf.random.stateless_uniform([batch], seeds[1], 0.02, 0.4) * (height * width)
    log_ratio = tf.random.stateless_uniform([batch], seeds[2], math.log(0.3),
                                            -math.log(0.3))
    rows = tf.minimum(tf.round(tf.sqrt(area * tf.exp(log_ratio))), height)
    columns = tf.minimum(tf.round(tf.sqrt(area / tf.exp(log_ratio))), width)
    top = tf.floor(tf.random.stateless_uniform([batch], seeds[3]) * (height - rows + 1))
    left = tf.floor(tf.random.stateless_uniform([batch], seeds[4]) * (width - columns + 1))
    y = tf.range(height, dtype=tf.float32)[tf.newaxis, :, tf.newaxis]
    x = tf.range(width, dtype=tf.float32)[tf.newaxis, tf.newaxis, :]
    inside = ((y >= top[:, None, None]) & (y < (top + rows)[:, None, None])
              & (x >= left[:, None, None]) & (x < (left + columns)[:, None, None])
              & erase[:, None, None])[..., tf.newaxis]
    noise = tf.random.stateless_uniform(tf.shape(images), seeds[5], dtype=images.dtype)
    return tf.where(inside, noise, images)


def mixup(images, labels, seed, num_classes, alpha=0.2):
    """The batch mixed with a shuffled copy of itself: images and one-hot labels weighted
    by lambda and 1 - lambda, lambda ~ Beta(alpha, alpha) once per batch."""
    order_seed, first_seed, second_seed = tf.unstack(
        tf.random.experimental.stateless_split(seed, 3))
    # Beta(a, a) as G1 / (G1 + G2) of two Gamma(a) draws.
    first = tf.random.stateless_gamma([], first_seed, alpha=alpha)
    second = tf.random.stateless_gamma([], second_seed, alpha=alpha)
    weight = first / (first + second)
    order = tf.argsort(tf.random.stateless_uniform([tf.shape(images)[0]], order_seed))
    one_hot = tf.one_hot(tf.reshape(tf.cast(labels, tf.int32), [-1]), num_classes)
    mixed_images = weight * images + (1.0 - weight) * tf.gather(images, order)
    return mixed_images, weight * one_hot + (1.0 - weight) * tf.gather(one_hot, order)


# name -> (batch function (images, seed, parameter) -> images, its parameter's name)
AUGMENTATIONS = {"crop_flip": (crop_flip, "pad"), "flip": (random_flip, None),
                 "shift": (random_shift, "pad"), "crop": (random_resized_crop, "scale"),
                 "rotate": (random_rotation, "degrees"), "erase": (random_erasing, "p"),
                 "binarize": (binarize, None)}
# Augmentations that change the labels too: (images, labels, seed, classes) -> (x, y).
LABEL_MIXING = {"mixup": (mixup, "alpha")}

_SEED_OFFSET = 0x5EED

# Options of `zoo.data.load` that only make sense when training: dropped for evaluation.
TRAINING_ONLY_OPTIONS = ("augment", "resample")


def _parse(spec: str) -> list[tuple[str, float | None]]:
    """`"shift:2+erase"` -> [("shift", 2.0), ("erase", None)], each name known and each
    parameter a number where its augmentation takes one; mixup only last."""
    known = sorted([*AUGMENTATIONS, *LABEL_MIXING])
    steps = []
    for part in spec.split("+"):
        name, _, value = part.partition(":")
        if name not in AUGMENTATIONS and name not in LABEL_MIXING:
            raise ValueError(f"augment={spec!r}: {name!r} is not a known augmentation; choose "
                             f"from {known}, joined by '+', each with an optional ':value' "
                             "(e.g. 'rotate:30+erase'), or pass a function (x, y) -> (x, y).")
        parameter = (AUGMENTATIONS.get(name) or LABEL_MIXING[name])[1]
        if value and parameter is None:
            raise ValueError(f"augment={spec!r}: {name!r} takes no parameter.")
        try:
            number = float(value) if value else None
        except ValueError:
            raise ValueError(f"augment={spec!r}: the {parameter} of {name!r} must be a "
                             f"number, not {value!r}.") from None
        if number is not None and not number > 0:
            raise ValueError(f"augment={spec!r}: the {parameter} of {name!r} must be positive.")
        if number is not None and parameter in ("p", "scale") and number > 1:
            raise ValueError(f"augment={spec!r}: the {parameter} of {name!r} is a share, at "
                             "most 1.")
        steps.append((name, number))
    if any(name in LABEL_MIXING for name, _ in steps[:-1]):
        raise ValueError(f"augment={spec!r}: mixup changes the labels, so it comes last.")
    return steps


def _step(name: str, value: float | None, num_classes: int | None):
    """One parsed augmentation as `(images, labels, seed) -> (images, labels)`."""
    if name in LABEL_MIXING:
        function, parameter = LABEL_MIXING[name]
        options = {parameter: value} if value is not None else {}
        return lambda images, labels, seed: function(images, labels, seed, num_classes,
                                                     **options)
    function, parameter = AUGMENTATIONS[name]
    options = {parameter: value} if value is not None else {}
    return lambda images, labels, seed: (function(images, seed, **options), labels)


def augmentation(spec: str, num_classes: int | None = None):
    """The batch function `(images, labels, seed) -> (images, labels)` of the augmentation
    `spec` (a name, or names joined by "+", each with an optional ":parameter");
    `num_classes` is what mixup's one-hot labels need."""
    steps = _parse(spec)
    if any(name in LABEL_MIXING for name, _ in steps) and not num_classes:
        raise ValueError(f"augment={spec!r} mixes labels and needs the dataset's classes.")
    functions = [_step(name, value, num_classes) for name, value in steps]
    if len(functions) == 1:
        return functions[0]  # one augmentation draws from the batch's seed as it always did

    def apply(images, labels, seed):
        seeds = tf.unstack(tf.random.experimental.stateless_split(seed, len(functions)))
        for function, step_seed in zip(functions, seeds, strict=True):
            images, labels = function(images, labels, step_seed)
        return images, labels

    return apply


def check_augment(augment, info) -> None:
    """`augment` is None, a function, or the name of an augmentation and `info` (a
    `DatasetInfo`) an image dataset; a detection dataset takes the names of
    `zoo.data.box_augment`, which move its boxes and masks with the pixels, and a composed
    one also "recompose" (`zoo.data.recompose`)."""
    if augment is None or callable(augment):
        return
    if not isinstance(augment, str):
        raise ValueError(f"augment={augment!r} must be None, the name of an augmentation "
                         "or a function (x, y) -> (x, y).")
    if info.task == "detection":
        from zoo.data import recompose
        from zoo.data.box_augment import box_augmentation

        if augment == recompose.NAME:
            recompose.check(info)
        else:
            box_augmentation(augment)
        return
    if info.task != "image-classification":
        raise ValueError(f"augment={augment!r} applies to image datasets, not {info.name}.")
    augmentation(augment, info.num_classes)


def batch_seeds(seed: int):
    """An endless dataset of seeds (shape [2]), one per batch, drawn anew on every iteration
    (every epoch); the same `seed` gives the same sequence of epochs."""
    # Offset from the shuffle's stream (which uses `seed` itself), so the two are unrelated.
    return tf.data.Dataset.random(seed=seed + _SEED_OFFSET,
                                  rerandomize_each_iteration=True).batch(2)


def augment_batches(dataset, spec: str, seed: int, num_classes: int | None = None):
    """`dataset` of `(images, labels)` batches with the augmentation `spec` applied, each
    batch drawing from its own seed (`batch_seeds`); `num_classes` for mixup's labels."""
    augment = augmentation(spec, num_classes)
    return tf.data.Dataset.zip(dataset, batch_seeds(seed)).map(
        lambda batch, batch_seed: augment(batch[0], batch[1], batch_seed),
        num_parallel_calls=tf.data.AUTOTUNE)


def evaluation_options(options):
    """`options` without the training-only ones (augmentation, resampling), for validation
    and test."""
    return {k: v for k, v in options.items() if k not in TRAINING_ONLY_OPTIONS}
