"""Pipelines over TFDS datasets (zoo's text corpora and any prepared TFDS dataset), in the
canonical order: read TFDS's files -> cache -> shuffle -> map -> batch -> prefetch.

- read: the split's records, with only the features asked for (`(input, label)` pairs, or a
  corpus' text), `classes` and `limit` applied; a zoo corpus not built yet is built first.
- cache: in memory, after the read, so every epoch after the first reads no file.
- shuffle: training only by default, over a buffer as large as the split (a full shuffle),
  reshuffled every epoch; the same `seed` gives the same sequence of epoch orders.
- map: per-example preprocessing (`AUTOTUNE`): images become float32 in [0, 1] (resized and
  recoloured on request), then the caller's `augment`. Text needs none: it stays `tf.string`
  for the model's own `TextVectorization`, and no map runs.
- batch, then prefetch (`AUTOTUNE`).

Splits. "test" is the dataset's test split, in stored order. "validation" is carved from
"train": zoo stores every training split in a fixed shuffled order, so a contiguous window of
`validation_fraction` of it is a random sample; `seed` places the window (a uniform draw of
its start), and "train" is the rest (TFDS's split slicing, e.g.
`train[:1200]+train[1693:]`), so the two never overlap and another seed carves another
validation set. A foreign dataset's stored order is whatever its builder wrote (TFDS's
default builders shuffle examples on writing).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from zoo import _validate
from zoo.data.augment import augment_batches
from zoo.data.checks import check_classes, check_no_feature
from zoo.data.feeding import prefetched
from zoo.data.resample import per_class_draws
from zoo.data.tfds_store import open_builder


def open_split(info, split, validation_fraction, seed, limit) -> tuple:
    """`(builder, split string, count)` of zoo's `split` of a prepared TFDS dataset, after
    checking the options every TFDS read takes; an empty split is an error."""
    _validate.choice("split", split, ("train", "validation", "test"))
    validation_fraction = _validate.fraction("validation_fraction", validation_fraction)
    if limit is not None:
        _validate.positive_int("limit", limit)
    builder = open_builder(info.name)
    spec, count = split_slice(builder, split, validation_fraction, seed)
    if count == 0:
        raise ValueError(f"{info.name} split {split!r} is empty with these options.")
    return builder, spec, count


def split_slice(builder, split, validation_fraction, seed) -> tuple[str, int]:
    """TFDS's split string for zoo's `split` and the number of examples it holds."""
    splits = builder.info.splits
    source = "test" if split == "test" else "train"
    if source not in splits:
        raise ValueError(f"{builder.name} has no {source!r} split (it has {sorted(splits)}).")
    count = splits[source].num_examples
    if split == "test":
        return "test", count
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed={seed!r} must be a non-negative integer.")
    held = int(round(count * validation_fraction))
    start = int(np.random.default_rng(seed).integers(0, count - held + 1))
    if split == "validation":
        return f"train[{start}:{start + held}]", held
    parts = ([f"train[:{start}]"] if start else []) + (
        [f"train[{start + held}:]"] if start + held < count else [])
    return "+".join(parts), count - held


def _feature_names(info, feature):
    """The features a text corpus yields: `feature` (a name or a tuple of names) or its
    default."""
    if info.task != "text-corpus":
        check_no_feature(info, feature)
        return None
    names = (info.keys[0],) if feature is None else (
        (feature,) if isinstance(feature, str) else tuple(feature))
    allowed = list(info.corpus.features) if info.corpus else list(info.keys)
    for name in names:
        _validate.choice("feature", name, allowed)
    return names


def read(info, split, *, validation_fraction=0.1, seed=0, classes=None, limit=None,
         feature=None):
    """The read step: `(tf.data.Dataset of single examples, count)`. Examples are
    `(input, label)` pairs, or for a corpus its text (a tuple when several features)."""
    names = _feature_names(info, feature)
    builder, spec, count = open_split(info, split, validation_fraction, seed, limit)
    # TFDS caches small datasets by itself; zoo caches after choosing the features.
    options = dict(split=spec, shuffle_files=False,
                   read_config=tfds.ReadConfig(try_autocache=False))
    if names is not None:
        dataset = builder.as_dataset(**options).map(
            lambda example: tuple(example[n] for n in names) if len(names) > 1
            else example[names[0]])
    elif builder.info.supervised_keys:
        dataset = builder.as_dataset(as_supervised=True, **options)
    else:
        inputs, label = info.keys
        dataset = builder.as_dataset(**options).map(
            lambda example: (example[inputs], example[label]))
    if classes is not None:
        dataset, count = _select_classes(dataset, classes, info)
    if limit is not None:
        dataset, count = dataset.take(limit), min(count, limit)
    return dataset, count


def _labels(dataset) -> np.ndarray:
    """Every label of an unbatched `(x, y)` dataset, read once, as integers."""
    return np.concatenate([y for _, y in tfds.as_numpy(dataset.batch(4096))]).astype(int)


def _select_classes(dataset, classes, info):
    """Only the examples of `classes`, relabelled 0..k-1 in the order given; their count."""
    classes = check_classes(classes, info)
    wanted = tf.constant(classes, dtype=tf.int64)
    labels = _labels(dataset)
    count = int(np.isin(labels, classes).sum())

    def relabel(x, y):
        return x, tf.cast(tf.argmax(tf.cast(tf.equal(wanted, y), tf.int32)), tf.int64)

    dataset = dataset.filter(lambda x, y: tf.reduce_any(tf.equal(wanted, y))).map(relabel)
    return dataset.apply(tf.data.experimental.assert_cardinality(count)), count


def _resampled(dataset, resample: str, seed: int):
    """`dataset` (unbatched, cached) resampled as `zoo.data.resample` says: each class's
    examples in a fresh shuffle on every pass, as many passes as its share needs, the classes
    interleaved in an order drawn anew every epoch; and the epoch's size."""
    labels = _labels(dataset)
    draws = per_class_draws(labels, resample)
    present = np.unique(labels)
    streams = [dataset.filter(lambda x, y, c=int(c): tf.equal(tf.cast(y, tf.int64), c))
               .shuffle(int((labels == c).sum()), seed=seed + i, reshuffle_each_iteration=True)
               .repeat() for i, c in enumerate(present)]
    choices = np.repeat(np.arange(len(present), dtype=np.int64), draws)
    order = tf.data.Dataset.from_tensor_slices(choices).shuffle(
        len(choices), seed=seed, reshuffle_each_iteration=True)
    return tf.data.Dataset.choose_from_datasets(streams, order), len(choices)


def scale_image(x, image_size=None, channels=None):
    """A TFDS image (height, width, channels), uint8, as float32 in [0, 1]; resized to
    `image_size` (bilinear) and made `channels` deep (grey <-> RGB) on request."""
    if x.dtype == tf.uint8:
        x = tf.cast(x, tf.float32) / 255.0
    x = tf.cast(x, tf.float32)
    if image_size is not None:
        x = tf.image.resize(x, image_size)
    if channels == 3 and x.shape[-1] == 1:
        x = tf.image.grayscale_to_rgb(x)
    elif channels == 1 and x.shape[-1] == 3:
        x = tf.image.rgb_to_grayscale(x)
    return x


def load(info, split="train", *, batch_size=128, shuffle=None, validation_fraction=0.1,
         seed=0, classes=None, limit=None, image_options=None, augment=None,
         drop_remainder=False, feature=None, resample=None):
    """The batched pipeline of a TFDS dataset; see `zoo.data.load` for the arguments."""
    dataset, count = read(info, split, validation_fraction=validation_fraction, seed=seed,
                          classes=classes, limit=limit, feature=feature)
    dataset = dataset.cache()
    if resample:
        dataset, count = _resampled(dataset, resample, seed)
    elif (split == "train") if shuffle is None else shuffle:
        dataset = dataset.shuffle(count, seed=seed, reshuffle_each_iteration=True)
    if info.task == "image-classification":
        options = image_options or {}
        dataset = dataset.map(lambda x, y: (scale_image(x, **options), y),
                              num_parallel_calls=tf.data.AUTOTUNE)
    if callable(augment):
        dataset = dataset.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    if isinstance(augment, str):
        dataset = augment_batches(dataset, augment, seed,
                                  len(classes) if classes else info.num_classes)
    batches = count // batch_size if drop_remainder else -(-count // batch_size)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(batches))
    return prefetched(dataset)


def _to_numpy(values):
    """Stacked numpy values; strings become an object array of Python `str`."""
    if values.dtype == object:
        return np.array([v.decode("utf-8") for v in values], dtype=object)
    return values


def raw_arrays(info, split="train", *, feature=None, **options):
    """The unprocessed examples of one split as numpy arrays `(x, y)`: for text, `x` is an
    object array of `str` and `y` int64 labels; for a corpus `y` is None (and `x` a tuple of
    arrays when `feature` names several)."""
    if info.task == "detection":
        raise ValueError(f"{info.name} is a detection dataset, whose canvases hold different "
                         "numbers of objects: zoo.data.arrays gives them padded, "
                         "zoo.data.load batched, tfds.load as stored.")
    dataset, _ = read(info, split, feature=feature, **options)
    batches = list(tfds.as_numpy(dataset.batch(4096)))
    if info.task == "text-corpus":
        if isinstance(batches[0], tuple):
            return tuple(_to_numpy(np.concatenate([b[i] for b in batches]))
                         for i in range(len(batches[0]))), None
        return _to_numpy(np.concatenate(batches)), None
    x = _to_numpy(np.concatenate([b[0] for b in batches]))
    return x, np.concatenate([b[1] for b in batches]).astype(np.int64)
