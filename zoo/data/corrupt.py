"""Paired image tasks made from any image dataset: a corrupted image in, the clean image out.

- `"downsample"`: the image shrunk by 2 in height and width by averaging 2x2 blocks (what a
  sensor with half the resolution would record): super-resolution from 14x14 to 28x28 on
  MNIST.
- `"mask"`: a 12x12 square of the image replaced by mid-grey 0.5 (a value clean MNIST and
  Fashion-MNIST pixels rarely take, so the hole is visible to a model), at a random place:
  inpainting.

`zoo.data.load(name, split, corrupt=...)` yields `(corrupted, clean)` batches. Training
batches draw new masks every epoch; validation and test batches draw the same masks on every
pass, so every model is judged on the same holes.
"""

from __future__ import annotations

import tensorflow as tf

CORRUPTIONS = ("downsample", "mask")
MASK_SIZE = 12
MASK_FILL = 0.5
_SEED_OFFSET = 0xC0AA


def downsample(images):
    """Average each 2x2 block: [batch, h, w, c] to [batch, h / 2, w / 2, c]."""
    return tf.nn.avg_pool2d(images, ksize=2, strides=2, padding="VALID")


def mask_square(images, seed, size: int = MASK_SIZE, fill: float = MASK_FILL):
    """`images` with one `size` x `size` square each set to `fill`, its corner drawn
    uniformly (stateless, from `seed`, a [2] int tensor). Returns (masked, mask), the mask
    1 inside the square."""
    shape = tf.shape(images)
    batch, height, width = shape[0], shape[1], shape[2]
    places = tf.cast(tf.stack([height - size + 1, width - size + 1]), tf.float32)
    corners = tf.cast(tf.random.stateless_uniform([batch, 2], seed) * places, tf.int32)
    rows = tf.range(height)[None, :, None]
    columns = tf.range(width)[None, None, :]
    top, left = corners[:, 0, None, None], corners[:, 1, None, None]
    inside = (rows >= top) & (rows < top + size) & (columns >= left) & (columns < left + size)
    mask = tf.cast(inside, images.dtype)[..., None]
    return images * (1.0 - mask) + fill * mask, mask


def check_corrupt(corrupt, image_shape) -> None:
    if corrupt is None:
        return
    if corrupt not in CORRUPTIONS:
        raise ValueError(f"corrupt={corrupt!r} must be one of {CORRUPTIONS} (or None).")
    height, width = image_shape[:2]
    if corrupt == "downsample" and (height % 2 or width % 2):
        raise ValueError(f"corrupt='downsample' halves height and width; images of "
                         f"{height}x{width} do not halve.")
    if corrupt == "mask" and min(height, width) < MASK_SIZE:
        raise ValueError(f"corrupt='mask' cuts a {MASK_SIZE}x{MASK_SIZE} hole; images of "
                         f"{height}x{width} are smaller.")


def corrupted_pairs(dataset, corrupt: str, *, seed: int, fresh_each_epoch: bool):
    """`(x, y)` image batches as `(corrupted x, x)`. Masks come from a seed per batch: a new
    draw every epoch when `fresh_each_epoch`, the same draws on every pass otherwise."""
    if corrupt == "downsample":
        return dataset.map(lambda x, _: (downsample(x), x), num_parallel_calls=tf.data.AUTOTUNE)
    seeds = tf.data.Dataset.random(seed=seed + _SEED_OFFSET,
                                   rerandomize_each_iteration=fresh_each_epoch).batch(2)
    return tf.data.Dataset.zip(dataset, seeds).map(
        lambda batch, batch_seed: (mask_square(batch[0], batch_seed)[0], batch[0]),
        num_parallel_calls=tf.data.AUTOTUNE)
