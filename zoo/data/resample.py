"""Resampling against class imbalance: `zoo.data.load(..., resample="oversample")`.

Each training epoch draws the same number of examples from every class:

- `oversample`: as many as the largest class has; the smaller classes' examples repeat
  (random oversampling, the simplest of the resamplers compared by Buda, Maki and Mazurowski,
  2018, "A systematic study of the class imbalance problem in convolutional neural
  networks", arXiv:1710.05381, where it is the one that never hurt).
- `undersample`: as many as the smallest class has; every epoch keeps another random part
  of the larger classes.

Within a class, an epoch goes through a fresh shuffle of its examples (repeated as often as
its share needs), so every example appears either floor(n/m) or ceil(n/m) times for a class
of m examples drawn n times: no example is left out by chance while another repeats. Classes
are then interleaved in a random order. The draws follow the pipeline's seed and change every
epoch, as the shuffle's do. `zoo.train` reads validation and test unresampled (it is a
training option, like `augment`); `class_weight=` is the alternative that keeps the data as
it is and weighs the loss instead.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from zoo import _validate

RESAMPLINGS = ("oversample", "undersample")


def check_resample(resample, info) -> None:
    """`resample` is None or one of `RESAMPLINGS`, for a classification dataset."""
    if resample is None:
        return
    _validate.choice("resample", resample, RESAMPLINGS)
    if not info.task.endswith("classification"):
        raise ValueError(f"resample={resample!r} balances classes; {info.name} is a "
                         f"{info.task} dataset.")


def per_class_draws(labels: np.ndarray, resample: str) -> int:
    """How many examples each class gives an epoch."""
    counts = np.bincount(np.asarray(labels).astype(np.int64))
    counts = counts[counts > 0]
    return int(counts.max() if resample == "oversample" else counts.min())


def balanced_order(labels: np.ndarray, resample: str, seed) -> tf.Tensor:
    """One epoch's example indices (int64): `per_class_draws` of every class, each class
    going through shuffles of its examples, the classes interleaved at random. `seed` is a
    shape-[2] stateless seed."""
    labels = np.asarray(labels).astype(np.int64)
    draws = per_class_draws(labels, resample)
    present = np.unique(labels)
    seeds = tf.unstack(tf.random.experimental.stateless_split(seed, len(present) + 1))
    parts = []
    for cls, class_seed in zip(present, seeds[1:], strict=True):
        members = np.flatnonzero(labels == cls)
        passes = -(-draws // len(members))
        # Each pass is its own shuffle of the class, so repeats spread evenly.
        pass_seeds = tf.unstack(tf.random.experimental.stateless_split(class_seed, passes))
        order = tf.concat([tf.random.experimental.stateless_shuffle(
            tf.constant(members, tf.int64), seed=s) for s in pass_seeds], axis=0)
        parts.append(order[:draws])
    return tf.random.experimental.stateless_shuffle(tf.concat(parts, axis=0), seed=seeds[0])


def epoch_size(labels: np.ndarray, resample: str) -> int:
    """Examples in one resampled epoch."""
    return per_class_draws(labels, resample) * len(np.unique(labels))
