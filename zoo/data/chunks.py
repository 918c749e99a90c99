"""Character chunks of a text corpus, the training examples of a character language model.

    pairs = char_chunks(texts, sequence_length=128, batch_size=32)   # (inputs, targets)

The texts of a split are joined by newlines into one stream of characters (Unicode code
points), cut into consecutive chunks of `sequence_length + 1` characters, and each chunk gives
a pair of strings: its first `sequence_length` characters and its last `sequence_length`, the
same text one character later. A language model reads the first and is scored on predicting
every character of the second (teacher forcing). Pairs stay strings, so the model's own
vectoriser maps them to ids and no vocabulary lives outside the model.

The pipeline: chunk starts -> a parallel map that cuts and encodes each pair -> cache ->
shuffle (training) -> batch -> prefetch. Each epoch's chunks begin at the same offsets;
shuffling changes their order.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from zoo import _validate
from zoo.data.feeding import prefetched


def code_points(texts, separator="\n") -> np.ndarray:
    """The texts joined by `separator`, as int32 Unicode code points."""
    stream = separator.join(str(text) for text in texts)
    return np.frombuffer(stream.encode("utf-32-le"), dtype=np.int32).copy()


def char_chunks(texts, sequence_length: int, *, batch_size: int = 32,
                shuffle: bool = False, seed: int = 0, drop_remainder: bool = False):
    """A `tf.data` pipeline of `(inputs, targets)`: batches of strings of `sequence_length`
    characters, `targets` being `inputs` one character later."""
    _validate.positive_int("sequence_length", sequence_length)
    _validate.positive_int("batch_size", batch_size)
    points = code_points(texts)
    starts = np.arange(0, len(points) - sequence_length, sequence_length)
    if not len(starts):
        raise ValueError(f"the texts hold {len(points)} characters, fewer than one chunk of "
                         f"sequence_length + 1 = {sequence_length + 1}.")
    stream = tf.constant(points)

    def cut(start):
        chunk = stream[start:start + sequence_length + 1]
        return (tf.strings.unicode_encode(chunk[:-1], "UTF-8"),
                tf.strings.unicode_encode(chunk[1:], "UTF-8"))

    dataset = (tf.data.Dataset.from_tensor_slices(starts.astype(np.int32))
               .map(cut, num_parallel_calls=tf.data.AUTOTUNE).cache())
    if shuffle:
        dataset = dataset.shuffle(len(starts), seed=seed, reshuffle_each_iteration=True)
    return prefetched(dataset.batch(batch_size, drop_remainder=drop_remainder))
