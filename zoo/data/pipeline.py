"""tf.data pipelines in the canonical order: read -> cache -> shuffle -> map -> batch -> prefetch.

Validation is carved from the training split with a fixed seed and the test split is never
touched for choices. The cache holds raw uint8 images (four times smaller than floats);
scaling and any augmentation run in the parallel map after it, so augmentation differs each
epoch.
"""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from zoo import _validate
from zoo.data.catalog import dataset_info

SPLITS = ("train", "validation", "test")


@functools.cache
def _read(name: str):
    # Readers parse files on every call (Fashion-MNIST: about half a second); one per process.
    return dataset_info(name).reader()


def raw_arrays(name, split="train", *, validation_fraction=0.1, seed=0, classes=None, limit=None):
    """The unprocessed examples of one split as numpy arrays `(x, y)`.

    `classes` keeps only those labels and renumbers them 0..k-1 in the given order (e.g.
    `(0, 1)` for a binary task); `limit` keeps the first `limit` examples after that.
    """
    info = dataset_info(name)
    _validate.choice("split", split, SPLITS)
    validation_fraction = _validate.fraction("validation_fraction", validation_fraction)
    (x_train, y_train), (x_test, y_test) = _read(name)
    if split == "test":
        x, y = x_test, y_test
    else:
        order = np.random.default_rng(seed).permutation(len(x_train))
        cut = len(order) - int(round(len(order) * validation_fraction))
        chosen = order[:cut] if split == "train" else order[cut:]
        x, y = x_train[chosen], y_train[chosen]
    if classes is not None:
        x, y = _select_classes(x, y, classes, info)
    if limit is not None:
        _validate.positive_int("limit", limit)
        x, y = x[:limit], y[:limit]
    return x, y


def _select_classes(x, y, classes, info):
    classes = tuple(classes)
    if len(classes) < 2 or len(set(classes)) != len(classes):
        raise ValueError(f"classes={classes!r} must name at least two distinct labels.")
    unknown = [c for c in classes if not 0 <= c < (info.num_classes or 0)]
    if unknown:
        raise ValueError(
            f"classes={classes!r}: {unknown} are not labels of {info.name} "
            f"(0..{(info.num_classes or 1) - 1})."
        )
    keep = np.isin(y, classes)
    relabel = np.zeros(max(classes) + 1, dtype=y.dtype)
    relabel[list(classes)] = np.arange(len(classes), dtype=y.dtype)
    return x[keep], relabel[y[keep]]


def preprocess(x, y):
    """uint8 images to float32 in [0, 1] with a channel axis; feature vectors to float32."""
    if x.dtype == tf.uint8:
        x = tf.cast(x, tf.float32) / 255.0
        if x.shape.rank == 2:
            x = x[..., tf.newaxis]
    return tf.cast(x, tf.float32), y


def arrays(name, split="train", **options):
    """One split as in-memory numpy arrays `(x, y)`, preprocessed by the very pipeline `load`
    builds (unshuffled), so the two can never disagree."""
    dataset = load(name, split, batch_size=4096, shuffle=False, cache=False, **options)
    batches = [(x.numpy(), y.numpy()) for x, y in dataset]
    return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])


def load(name, split="train", *, batch_size=128, shuffle=None, validation_fraction=0.1,
         seed=0, classes=None, limit=None, augment=None, cache=True, drop_remainder=False):
    """A batched `tf.data.Dataset` of `(inputs, labels)` for one split of a known dataset.

    Args:
        name: a dataset from `zoo.data.list_datasets()`.
        split: "train", "validation" (carved from train with `seed`) or "test".
        batch_size: examples per batch.
        shuffle: reshuffle every epoch; defaults to True for "train" only.
        validation_fraction: share of the original training split held out as "validation".
        classes: keep only these labels, renumbered 0..k-1 (e.g. `(0, 1)` for binary tasks).
        limit: keep at most this many examples (after `classes`).
        augment: optional `fn(x, y) -> (x, y)` run per example after the cache.
        cache: keep the raw examples in memory after the first epoch.
        drop_remainder: drop the last, smaller batch.
    """
    _validate.positive_int("batch_size", batch_size)
    if augment is not None and not callable(augment):
        raise ValueError(f"augment={augment!r} must be None or a function (x, y) -> (x, y).")
    x, y = raw_arrays(name, split, validation_fraction=validation_fraction, seed=seed,
                      classes=classes, limit=limit)
    if len(x) == 0:
        raise ValueError(f"{name} split {split!r} is empty with these options.")
    shuffle = (split == "train") if shuffle is None else shuffle

    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if cache:
        dataset = dataset.cache()
    if shuffle:
        dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
    if augment is not None:
        dataset = dataset.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    return dataset.prefetch(tf.data.AUTOTUNE)
