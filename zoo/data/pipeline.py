"""tf.data pipelines in the canonical order: read -> cache -> shuffle -> map -> batch -> prefetch.

This module holds the in-memory datasets' pipeline and the entry points for all datasets;
TFDS datasets (zoo's text corpora and any prepared TFDS dataset) take the pipeline of
`zoo.data.tfds_pipeline`, which reads TFDS's files and caches after the read.

Validation is carved from the training split with a fixed seed and the test split is never
touched for choices.

How each step is done, and why (measured by `benchmarks/pipeline.py`, LeNet-5 on 2 cores):

- read + cache: a dataset's files are parsed once per process into read-only uint8 arrays
  (four times smaller than floats) that stay in memory; that is the cache.
- shuffle: each epoch draws a fresh permutation of example indices and gathers whole batches
  by index. Slicing, caching and shuffling example by example cost about 7% of LeNet-5's
  training throughput, half of it the shuffle buffer filling before the first batch of every
  epoch.
- map: scaling and resizing run on whole batches (the tf.data guide's "vectorized map"),
  after the cache, in parallel. One map call per example was the largest cost of all (0.82 of
  in-memory throughput). Named augmentations (`zoo.data.augment`) run on whole batches too;
  an `augment` function of the caller's runs on single examples.
- prefetch overlaps the next batch with the training step.
"""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from zoo import _validate
from zoo.data.augment import augment_batches, check_augment
from zoo.data.catalog import SPLITS, dataset_info
from zoo.data.checks import (
    check_classes,
    check_no_feature,
    check_no_selection,
    check_not_generated,
    check_window_options,
)
from zoo.data.feeding import prefetched
from zoo.data.resample import balanced_order, check_resample, epoch_size

# The share of a training split held out for validation, unless the caller says otherwise
# (a time series holds out its own default, zoo.data.series.VALIDATION_FRACTION).
VALIDATION_FRACTION = 0.1


@functools.cache
def _read(name: str):
    # Readers parse files on every call (Fashion-MNIST: about half a second); one per process.
    # Read-only, because every later call shares these arrays.
    (x_train, y_train), (x_test, y_test) = dataset_info(name).reader()
    for array in (x_train, y_train, x_test, y_test):
        array.setflags(write=False)
    return (x_train, y_train), (x_test, y_test)


def raw_arrays(name, split="train", *, validation_fraction=None, seed=0, classes=None,
               limit=None, feature=None, input_length=None, horizon=None):
    """The unprocessed examples of one split as numpy arrays `(x, y)`.

    `classes` keeps only those labels and renumbers them 0..k-1 in the given order (e.g.
    `(0, 1)` for a binary task); `limit` keeps the first `limit` examples after that. For text,
    `x` is an object array of Python `str` and `y` int64 labels; a text corpus has no labels
    (`y` is None) and `feature` chooses its text (e.g. "fr" for the Bible). For a time series,
    `x` is every window's inputs `(windows, input_length, 1)` and `y` its targets
    `(windows, horizon)` (see `load`).
    """
    info = dataset_info(name)
    check_not_generated(info)
    check_window_options(info, input_length, horizon)
    if info.source == "series":
        from zoo.data import series

        check_no_selection(info, classes=classes, limit=limit, feature=feature)
        return series.window_arrays(series.load_series(name), input_length or
                                    info.input_shape[0], horizon or 1, split,
                                    **series.split_options(validation_fraction))
    if validation_fraction is None:
        validation_fraction = VALIDATION_FRACTION
    if info.source == "tfds":
        from zoo.data import tfds_pipeline

        return tfds_pipeline.raw_arrays(info, split, validation_fraction=validation_fraction,
                                        seed=seed, classes=classes, limit=limit, feature=feature)
    check_no_feature(info, feature)
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
    classes = check_classes(classes, info)
    keep = np.isin(y, classes)
    relabel = np.zeros(max(classes) + 1, dtype=y.dtype)
    relabel[list(classes)] = np.arange(len(classes), dtype=y.dtype)
    return x[keep], relabel[y[keep]]


def preprocess(x, y, image_size=None, channels=None):
    """Model-ready inputs from stored examples, for one example or a whole batch alike.

    Image datasets store grey images as (height, width) uint8: they become float32 in [0, 1]
    with a channel axis, optionally resized to `image_size` (bilinear) and repeated to
    `channels=3` for networks built for colour. Feature vectors become float32.
    """
    if x.dtype == tf.uint8:
        x = scale_pixels(x[..., tf.newaxis], image_size)
        if channels == 3:
            x = tf.image.grayscale_to_rgb(x)
    return tf.cast(x, tf.float32), y


def scale_pixels(pixels, image_size=None):
    """uint8 images [..., height, width, channels] as the models see them: float32 in [0, 1],
    resized bilinearly to `image_size` when given. Serving signatures that take image files
    (`zoo.export.image_bytes`) call it too, so they cannot drift from training."""
    pixels = tf.cast(pixels, tf.float32) / 255.0
    return pixels if image_size is None else tf.image.resize(pixels, image_size)


def inputs_only(x, *labels_and_weights):
    """For `Dataset.map`: a batch's inputs without its labels (and sample weights), for
    training that uses none (a GAN inside f-AnoGAN, a DBN's RBMs)."""
    return x


def _image_options(info, image_size, channels):
    if info.task == "detection":
        from zoo.data.detection_pipeline import check_options

        check_options(info, image_size=image_size)
        return {"channels": _validate.choice("channels", channels, (None, 1, 3))}
    if image_size is None and channels is None:
        return {}
    if info.task != "image-classification":
        raise ValueError(f"image_size and channels apply to image datasets, not {info.name}.")
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    if image_size is not None:
        image_size = _validate.shape("image_size", image_size, rank=2)
    _validate.choice("channels", channels, (None, 1, 3))
    return {"image_size": image_size, "channels": channels}


def arrays(name, split="train", **options):
    """One split as in-memory numpy arrays `(x, y)`, preprocessed by the very pipeline `load`
    builds (unshuffled), so the two can never disagree. (Text stays bytes here; for `str`,
    see `raw_arrays`.)"""
    if dataset_info(name).task == "text-corpus":
        raise ValueError(f"{name} is a text corpus without labels; use raw_arrays or load.")
    check_not_generated(dataset_info(name))
    dataset = load(name, split, batch_size=4096, shuffle=False, **options)
    # Labels may be a dict of arrays (a detection dataset's boxes and classes).
    return tf.nest.map_structure(lambda *parts: np.concatenate(parts),
                                 *dataset.as_numpy_iterator())


def _char_chunks(info, split, sequence_length, *, batch_size, shuffle, seed,
                 validation_fraction, classes, limit, feature, drop_remainder, augment):
    """A text corpus' split as a language model's `(inputs, targets)` character chunks."""
    from zoo.data.chunks import char_chunks

    if info.task != "text-corpus":
        raise ValueError(f"sequence_length cuts a text corpus into character chunks; "
                         f"{info.name} is a {info.task} dataset.")
    if augment is not None or (feature is not None and not isinstance(feature, str)):
        raise ValueError("character chunks take one text feature and no augment.")
    texts, _ = raw_arrays(info.name, split, validation_fraction=validation_fraction,
                          seed=seed, classes=classes, limit=limit, feature=feature)
    shuffle = (split == "train") if shuffle is None else shuffle
    return char_chunks(texts, sequence_length, batch_size=batch_size, shuffle=shuffle,
                       seed=seed, drop_remainder=drop_remainder)


def _algorithmic(info, split, *, batch_size, seed, max_length, **others):
    """Generated batches of an algorithmic task; the options of stored datasets do not
    apply (the batches are drawn in random order already)."""
    from zoo.data.algorithmic import copy_pipeline

    if info.source != "algorithmic":
        raise ValueError(f"max_length sets an algorithmic task's longest sequence; {info.name} "
                         f"is a {info.task} dataset.")
    check_no_selection(info, "generated task", "max_length, batch_size and seed", **others)
    return copy_pipeline(split, batch_size=batch_size, seed=seed,
                         **({} if max_length is None else {"max_length": max_length}))


def _index_batches(count, batch_size, *, shuffle, seed, drop_remainder, order=None):
    """Batches of example indices; with `shuffle`, a new permutation every epoch (each new
    iterator draws a fresh seed), the same sequence of permutations for the same `seed`.
    `order(epoch_seed)` gives an epoch's `count` indices instead (resampling), drawn anew
    every epoch alike."""
    stop = count - count % batch_size if drop_remainder else count

    def batches(indices):
        return tf.data.Dataset.range(0, stop, batch_size).map(
            lambda start: indices[start:start + batch_size])

    if order is None and not shuffle:
        return batches(tf.range(count, dtype=tf.int64))
    if order is None:
        def order(epoch_seed):
            return tf.random.experimental.stateless_shuffle(tf.range(count, dtype=tf.int64),
                                                            seed=epoch_seed)
    epoch_seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
    return epoch_seeds.flat_map(lambda epoch_seed: batches(order(tf.stack([epoch_seed, seed]))))


# "segmentation" and "masks" apply to detection datasets (zoo.data.detection_pipeline).
TARGETS = ("labels", "inputs", "segmentation", "masks")


def _inputs_as_targets(name, dataset):
    """`(x, y)` batches as `(x, x)`."""
    if not (isinstance(dataset.element_spec, tuple) and len(dataset.element_spec) == 2):
        raise ValueError(f"targets='inputs' needs (inputs, labels) batches; {name} yields "
                         f"{dataset.element_spec}.")
    return dataset.map(lambda x, _: (x, x), num_parallel_calls=tf.data.AUTOTUNE)


def load(name, split="train", *, batch_size=128, shuffle=None, validation_fraction=None,
         seed=0, classes=None, limit=None, image_size=None, channels=None, augment=None,
         drop_remainder=False, feature=None, input_length=None, horizon=None,
         sequence_length=None, max_length=None, targets="labels", corrupt=None,
         domains=None, resample=None):
    """A batched `tf.data.Dataset` of `(inputs, labels)` for one split of a known dataset.

    Text classification yields `(text, label)`: `tf.string` [batch] and int64 [batch]. A text
    corpus (`task == "text-corpus"`) yields batches of `tf.string` alone. A zoo corpus that is
    not built yet is built into the TFDS data directory first (`zoo.data.prepare`). A time
    series (`task == "forecasting"`) yields windows: `input_length` past steps (float32
    [batch, input_length, 1]) and the `horizon` steps after them ([batch, horizon]), from
    chronological splits (`zoo.data.series`).

    Args:
        name: a dataset from `zoo.data.list_datasets()`, or a prepared TFDS dataset in the
            TFDS data directory (`zoo.data.data_dir()`), read as its `(input, label)` pairs.
        split: "train", "validation" (carved from train with `seed`) or "test".
        batch_size: examples per batch.
        shuffle: reshuffle every epoch; defaults to True for "train" only.
        validation_fraction: share of the original training split held out as "validation"
            (default 0.1); for a time series, the share of its steps after the training
            steps (default 0.15, as many as the test split's).
        seed: the validation carve and the shuffle order (for TFDS datasets, see
            `zoo.data.tfds_pipeline`).
        classes: keep only these labels, renumbered 0..k-1 (e.g. `(0, 1)` for binary tasks).
        limit: keep at most this many examples (after `classes`).
        image_size: resize images to `(height, width)` (an int means square).
        channels: 3 repeats grey images into RGB for colour networks.
        augment: a named augmentation ("crop_flip", "flip"; see `zoo.data.augment`; for a
            detection dataset the box-aware ones of `zoo.data.box_augment`, and for the
            composed canvases "recompose", new training canvases every epoch,
            `zoo.data.recompose`) applied to each batch, drawing anew every epoch; or a
            function `fn(x, y) -> (x, y)` run per preprocessed example (with stateful
            random ops under a fixed global seed, as `zoo.train` sets, such a function
            replays its draws each epoch). For a text corpus the function takes and returns
            the text alone.
        drop_remainder: drop the last, smaller batch.
        feature: a text corpus' feature (or tuple of features) to yield, e.g. "fr" for the
            Bible's French; by default its first ("text", "en").
        input_length, horizon: a time series' window: past steps in (default: the series'
            `input_shape[0]`, e.g. 104 weeks of CO2) and steps ahead (default 1).
        sequence_length: cut a text corpus' split into character chunks for a language
            model: `(inputs, targets)` strings of this many characters, the targets one
            character later (`zoo.data.chunks`).
        max_length: an algorithmic task's longest sequence (the copy task draws lengths
            1..max_length; `zoo.data.algorithmic`).
        targets: "labels" (default) or "inputs": `(inputs, inputs)`, each batch its own
            target, for autoencoders (the reconstruction task); labels are dropped. A
            detection dataset's labels are `{"boxes", "classes"}`, padded with -1; "masks"
            adds each object's instance mask, "segmentation" gives the class map instead
            (`zoo.data.detection_pipeline`).
        corrupt: "downsample" or "mask": `(corrupted images, images)` for image-to-image
            models (super-resolution, inpainting; see `zoo.data.corrupt`); labels are
            dropped. Training batches draw new masks every epoch, other splits the same
            masks on every pass.
        domains: two labels `(a, b)`: `(images of class a, images of class b)` batches with
            no correspondence between them, for unpaired translation (CycleGAN; see
            `zoo.data.unpaired`); `batch_size` images of each.
        resample: "oversample" or "undersample": every epoch draws as many examples of each
            class as the largest (smallest) class has, against class imbalance
            (`zoo.data.resample`); a classification dataset's labels only.
    """
    _validate.choice("targets", targets, TARGETS)
    if resample is not None and (domains is not None or corrupt is not None
                                 or targets != "labels"):
        raise ValueError(f"resample={resample!r} balances the classes of labelled examples; "
                         "leave domains=, corrupt= and targets= out.")
    if domains is not None:
        from zoo.data.unpaired import check_domains, unpaired_batches

        info = dataset_info(name)
        if info.task != "image-classification":
            raise ValueError(f"domains={domains!r} applies to image datasets, not {name}.")
        if classes is not None or targets != "labels" or corrupt is not None:
            raise ValueError("domains= picks the classes and sets the pairs: leave classes=, "
                             "targets= and corrupt= out.")
        domains = check_domains(domains, info)
        both = load(name, split, batch_size=batch_size, shuffle=shuffle,
                    validation_fraction=validation_fraction, seed=seed, classes=domains,
                    limit=limit, image_size=image_size, channels=channels, augment=augment)
        _, labels = raw_arrays(name, split, validation_fraction=validation_fraction, seed=seed,
                               classes=domains, limit=limit)
        counts = np.bincount(labels, minlength=2)
        return unpaired_batches(both, batch_size, (int(counts[0]), int(counts[1])))
    if corrupt is not None:
        from zoo.data.corrupt import check_corrupt, corrupted_pairs

        info = dataset_info(name)
        if info.task != "image-classification":
            raise ValueError(f"corrupt={corrupt!r} applies to image datasets, not {name}.")
        check_corrupt(corrupt, tuple(image_size if isinstance(image_size, (tuple, list))
                                     else (image_size, image_size)) if image_size
                      else info.input_shape)
        if targets != "labels":
            raise ValueError("corrupt= already sets the targets (the clean images); leave "
                             "targets= out.")
        pairs = load(name, split, batch_size=batch_size, shuffle=shuffle,
                     validation_fraction=validation_fraction, seed=seed, classes=classes,
                     limit=limit, image_size=image_size, channels=channels, augment=augment,
                     drop_remainder=drop_remainder)
        return corrupted_pairs(pairs, corrupt, seed=seed, fresh_each_epoch=split == "train")
    if targets == "inputs":
        pairs = load(name, split, batch_size=batch_size, shuffle=shuffle,
                     validation_fraction=validation_fraction, seed=seed, classes=classes,
                     limit=limit, image_size=image_size, channels=channels, augment=augment,
                     drop_remainder=drop_remainder, feature=feature, input_length=input_length,
                     horizon=horizon, sequence_length=sequence_length, max_length=max_length)
        return _inputs_as_targets(name, pairs)
    _validate.positive_int("batch_size", batch_size)
    info = dataset_info(name)
    if targets != "labels" and info.task != "detection":
        raise ValueError(f"targets={targets!r} applies to detection datasets (masks, class "
                         f"maps), not {name}, a {info.task} dataset.")
    image_options = _image_options(info, image_size, channels)  # image datasets only
    check_window_options(info, input_length, horizon)
    check_resample(resample, info)
    if info.source == "algorithmic" or max_length is not None:
        return _algorithmic(info, split, batch_size=batch_size, seed=seed,
                            max_length=max_length, classes=classes, limit=limit,
                            augment=augment, feature=feature, shuffle=shuffle,
                            validation_fraction=validation_fraction,
                            sequence_length=sequence_length)
    if sequence_length is not None:
        return _char_chunks(info, split, sequence_length, batch_size=batch_size,
                            shuffle=shuffle, seed=seed, validation_fraction=validation_fraction,
                            classes=classes, limit=limit, feature=feature,
                            drop_remainder=drop_remainder, augment=augment)
    if info.source == "series":
        from zoo.data import series

        check_no_selection(info, classes=classes, limit=limit, augment=augment,
                           feature=feature)
        return series.windows(series.load_series(name), input_length or info.input_shape[0],
                              horizon or 1, split, batch_size=batch_size, shuffle=shuffle,
                              seed=seed, drop_remainder=drop_remainder,
                              **series.split_options(validation_fraction))
    if validation_fraction is None:
        validation_fraction = VALIDATION_FRACTION
    check_augment(augment, info)  # before any data is read
    if info.task == "detection":
        from zoo.data import detection_pipeline

        detection_pipeline.check_options(info, classes=classes, feature=feature)
        return detection_pipeline.load(
            info, split, batch_size=batch_size, shuffle=shuffle,
            validation_fraction=validation_fraction, seed=seed, limit=limit,
            augment=augment, drop_remainder=drop_remainder, targets=targets, **image_options)
    if info.source == "tfds":
        from zoo.data import tfds_pipeline

        return tfds_pipeline.load(
            info, split, batch_size=batch_size, shuffle=shuffle,
            validation_fraction=validation_fraction, seed=seed, classes=classes, limit=limit,
            image_options=image_options, augment=augment, drop_remainder=drop_remainder,
            feature=feature, resample=resample)
    check_no_feature(info, feature)
    transform = functools.partial(preprocess, **image_options)
    x, y = raw_arrays(name, split, validation_fraction=validation_fraction, seed=seed,
                      classes=classes, limit=limit)
    if len(x) == 0:
        raise ValueError(f"{name} split {split!r} is empty with these options.")
    shuffle = (split == "train") if shuffle is None else shuffle

    examples, labels = tf.constant(x), tf.constant(y)
    count = epoch_size(y, resample) if resample else len(x)
    dataset = _index_batches(count, batch_size, shuffle=shuffle, seed=seed,
                             drop_remainder=drop_remainder,
                             order=(lambda epoch_seed: balanced_order(y, resample, epoch_seed))
                             if resample else None)
    dataset = dataset.map(lambda index: (tf.gather(examples, index), tf.gather(labels, index)),
                          num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.map(transform, num_parallel_calls=tf.data.AUTOTUNE)
    if isinstance(augment, str):
        dataset = augment_batches(dataset, augment, seed,
                                  len(classes) if classes else info.num_classes)
    elif augment is not None:
        dataset = dataset.unbatch().map(augment, num_parallel_calls=tf.data.AUTOTUNE)
        dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    # The per-epoch flat_map hides the length from tf.data; stating it gives Keras a progress
    # bar with a total and lets it know an epoch's end without running out of data.
    batches = count // batch_size if drop_remainder else -(-count // batch_size)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(batches))
    return prefetched(dataset)
