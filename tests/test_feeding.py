"""zoo's pipelines end in `zoo.data.feeding.prefetched`: tf.data's autotuning model off."""

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.data.feeding import prefetched


def test_prefetched_keeps_the_elements_and_turns_the_autotuning_model_off():
    source = tf.data.Dataset.range(10).map(lambda i: i * i,
                                           num_parallel_calls=tf.data.AUTOTUNE).batch(4)
    assert source.options().autotune.enabled is None  # tf.data's default: on
    fed = prefetched(source)
    assert fed.options().autotune.enabled is False
    assert [b.numpy().tolist() for b in fed] == [b.numpy().tolist() for b in source]
    assert fed.cardinality() == source.cardinality()


def test_prefetched_keeps_options_the_caller_set():
    options = tf.data.Options()
    options.deterministic = False
    assert prefetched(tf.data.Dataset.range(3).with_options(options)).options().deterministic \
        is False


@pytest.mark.parametrize("name, options", [
    ("digits", {}),  # in-memory arrays (zoo.data.pipeline)
    ("sms_spam", {}),  # a prepared TFDS set (zoo.data.tfds_pipeline)
    ("shakespeare", {"sequence_length": 32}),  # a corpus cut in chunks (zoo.data.chunks)
    ("elnino", {"input_length": 24, "horizon": 1}),  # series windows (zoo.data.series)
    ("copy", {}),  # generated sequences (zoo.data.algorithmic)
    ("fashion_mnist", {"domains": (7, 9), "limit": 200}),  # unpaired domains
])
def test_every_kind_of_zoo_pipeline_runs_without_the_autotuning_model(name, options):
    dataset = zoo.data.load(name, "test", batch_size=8, **options)
    assert dataset.options().autotune.enabled is False
    first = next(iter(dataset))
    assert all(np.all(np.isfinite(part.numpy())) for part in tf.nest.flatten(first)
               if part.dtype.is_floating)
