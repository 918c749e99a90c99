"""The last stage of every zoo input pipeline: prefetch, with tf.data's autotuning model off.

Why off. With autotuning on (tf.data's default), every iterator runs a model thread that
re-tunes the pipeline 10, 30, 70 ... 1,270, 2,550, 5,110 ms after the iterator is made, the
period doubling each time, and deleting the iterator while TensorFlow is busy often waits
for the next of those times. Keras' `fit` makes a fresh iterator for every epoch and
`evaluate` one for every validation pass, so the wait lands on epochs' ends. In the rounds
that waited, one-epoch fits of LeNet-5 that took under 2 s returned at 2.56 s, fits of
100 ResNet-20 steps that took about 11 s at 20.5 s, and 12-step ResNet-20 fits that took
1.0 s at 1.26 s (`benchmarks/epoch_ends.py` and the `pipeline_options` lever of
`benchmarks/speed_levers.py` record them).

With the model off, tf.data keeps the starting values autotuning would have tuned from: a
parallel map with `AUTOTUNE` runs min(16, cores) calls at once, and `prefetch(AUTOTUNE)`
sizes its buffer by its own autotuner, growing it while the consumer waits. zoo's pipelines
read from memory or a cache and map cheap functions; `benchmarks/pipeline.py` measures how
close they come to batches already in memory.
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
