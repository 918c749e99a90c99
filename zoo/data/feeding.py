"""The last stage of every zoo input pipeline: prefetch, with tf.data's autotuning model off.

Why off. With autotuning on, every iterator runs a model thread that wakes to re-tune the
pipeline after 10, 20, 40, 80 ... ms, doubling each time. Deleting an iterator while TensorFlow
is busy often waits for that thread's next wake-up: measured here, an iterator deleted 1.1 s
after its creation went at 1.26 s, one deleted at 4 s went at 5.1 s, one deleted at 12 s went
at 20.5 s, each time on the doubling schedule (10 x (2^k - 1) ms). Keras' `fit` makes a fresh
iterator for every epoch and `evaluate` one for every validation pass, so the wait lands on
every epoch's end; a fit of 12 steps, as benchmarks time it, pays it on every call.
`benchmarks/epoch_ends.py` records what it costs a training run.

With autotuning off, tf.data falls back on its static rules for `AUTOTUNE`: a parallel map
runs as many calls at once as there are schedulable cores, and prefetch grows its buffer
while the consumer waits on it. zoo's pipelines read from memory or a cache and map cheap
functions, so those rules keep the model fed (`benchmarks/pipeline.py`).
"""

import tensorflow as tf


def pipeline_options() -> tf.data.Options:
    """The `tf.data.Options` zoo's pipelines run with: autotuning's model thread off."""
    options = tf.data.Options()
    options.autotune.enabled = False
    return options


def prefetched(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """`dataset` prefetched (`AUTOTUNE`) and run with `pipeline_options()`, the options
    applying to the whole pipeline upstream of it."""
    return dataset.prefetch(tf.data.AUTOTUNE).with_options(pipeline_options())
