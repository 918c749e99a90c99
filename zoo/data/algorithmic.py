"""Algorithmic tasks, generated: the copy task of the Neural Turing Machine paper (Graves et
al. 2014, Section 4.1).

    inputs, targets = copy_batch(seed=(0, 1), batch_size=32, length=20, bits=8)

A sequence of `length` random binary vectors of `bits` bits is shown, then a delimiter (an
extra input channel set at one step), then nothing while the model must output the sequence
again. Inputs are (batch, 2 * length + 1, bits + 1); targets are (batch, 2 * length + 1, bits)
with -1 wherever there is nothing to output (the presentation and the delimiter), which the
loss and the bit error rate leave out (`zoo.objectives`).

`copy_pipeline` draws the batches in `tf.data`: each batch a length uniform in
[1, max_length], from stateless seeds. The training split draws afresh every epoch; the
validation and test splits are the same batches every time (different seeds each).
"""

from __future__ import annotations

import tensorflow as tf

from zoo import _validate
from zoo.data.catalog import SPLITS
from zoo.data.feeding import prefetched

IGNORED = -1.0  # a target step with nothing to output
BATCHES = {"train": 100, "validation": 10, "test": 50}
_SPLIT_SEEDS = {"train": 0, "validation": 1, "test": 2}


def copy_batch(seed, batch_size: int, length, bits: int = 8):
    """One batch of the copy task (see the module docstring); `seed` is two integers."""
    length = tf.convert_to_tensor(length, tf.int32)
    vectors = tf.cast(tf.random.stateless_uniform((batch_size, length, bits), seed) < 0.5,
                      tf.float32)
    no_delimiter = tf.zeros((batch_size, length, 1))
    delimiter = tf.one_hot(tf.fill((batch_size, 1), bits), bits + 1)
    blank = tf.zeros((batch_size, length, bits + 1))
    inputs = tf.concat([tf.concat([vectors, no_delimiter], -1), delimiter, blank], axis=1)
    ignored = tf.fill((batch_size, length + 1, bits), IGNORED)
    return inputs, tf.concat([ignored, vectors], axis=1)


def copy_pipeline(split: str = "train", *, batch_size: int = 32, max_length: int = 20,
                  min_length: int = 1, bits: int = 8, batches: int | None = None,
                  seed: int = 0):
    """Batches of the copy task with lengths drawn uniformly in [min_length, max_length]."""
    _validate.choice("split", split, SPLITS)
    for arg, value in (("batch_size", batch_size), ("max_length", max_length),
                       ("min_length", min_length), ("bits", bits)):
        _validate.positive_int(arg, value)
    if min_length > max_length:
        raise ValueError(f"min_length={min_length} exceeds max_length={max_length}.")
    batches = _validate.positive_int("batches", batches or BATCHES[split])
    # Train: a fresh seed every epoch (every new iterator); validation and test: fixed.
    base = tf.data.Dataset.random(seed=seed * 3 + _SPLIT_SEEDS[split],
                                  rerandomize_each_iteration=split == "train").take(1)

    def make(epoch_seed, index):
        seeds = tf.random.experimental.stateless_split(tf.stack([epoch_seed, index]), 2)
        length = tf.random.stateless_uniform((), seeds[0], min_length, max_length + 1,
                                             dtype=tf.int32)
        return copy_batch(seeds[1], batch_size, length, bits)

    dataset = base.flat_map(lambda epoch_seed: tf.data.Dataset.range(batches).map(
        lambda index: make(epoch_seed, index), num_parallel_calls=tf.data.AUTOTUNE))
    return prefetched(dataset.apply(tf.data.experimental.assert_cardinality(batches)))
