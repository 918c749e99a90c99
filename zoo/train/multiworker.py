"""Training across worker processes with `tf.distribute.MultiWorkerMirroredStrategy`, which
Keras 3's `fit` cannot do today (keras-team/keras#20585: its data adapter hands `PerReplica`
values to a function that expects tensors).

`fit_across_workers` is `fit`'s loop written for that strategy, and nothing more: each worker
runs it with the same arguments (its place in the cluster comes from `TF_CONFIG`, as for any
multi-worker TensorFlow program). Every step runs the model's own `train_step` on each
replica under `strategy.run`; Keras' losses already divide by the number of replicas under a
strategy, so the all-reduced gradients are the gradient of the global batch's mean loss, as
on one device. The figures a step or an epoch reports are each replica's averaged over all
replicas (`strategy.reduce`), so every worker logs, and lets its callbacks decide (early
stopping, learning-rate plateaus), on the same numbers, and the workers stay in step.

Each global batch of the pipeline is split between the workers (auto-sharding by data), so
every worker builds the same pipeline with the same seed. Checkpoints and logs are written
by the chief only (`is_chief`); the other workers write theirs to a scratch folder.
"""

from __future__ import annotations

import json
import os

import keras
import tensorflow as tf


def is_multiworker(strategy) -> bool:
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def is_chief() -> bool:
    """Whether this process is the cluster's chief: the "chief" task, or worker 0 of a
    cluster without one, or a process outside any cluster (`TF_CONFIG`)."""
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task = config.get("task") or {}
    kind, index = task.get("type"), task.get("index", 0)
    has_chief = "chief" in (config.get("cluster") or {})
    return kind is None or kind == "chief" or (kind == "worker" and index == 0
                                               and not has_chief)


def distributed(dataset: tf.data.Dataset, strategy) -> tf.distribute.DistributedDataset:
    """`dataset`'s global batches split between the workers' replicas by data (a zoo
    pipeline has no files to shard by)."""
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = \
        tf.data.experimental.AutoShardPolicy.DATA
    return strategy.experimental_distribute_dataset(dataset.with_options(options))


def fit_across_workers(model: keras.Model, train_data, *, epochs: int, initial_epoch: int = 0,
                       validation_data=None, callbacks=(), verbose="auto") -> dict:
    """Train `model` (built and compiled in a MultiWorkerMirroredStrategy's scope) on
    `train_data` for `epochs`, as `fit` would; returns the history."""
    strategy = model.distribute_strategy
    if not is_multiworker(strategy):
        raise ValueError(f"{model.name} was not built in a MultiWorkerMirroredStrategy's "
                         "scope; use fit.")

    def reduced(per_replica_logs):
        return {key: strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None)
                for key, value in per_replica_logs.items()}

    @tf.function
    def train_step(batch):
        return reduced(strategy.run(model.train_step, args=(batch,)))

    @tf.function
    def test_step(batch):
        return reduced(strategy.run(model.test_step, args=(batch,)))

    steps = int(train_data.cardinality())
    callback_list = keras.callbacks.CallbackList(
        list(callbacks), add_history=True, add_progbar=verbose not in (0, "0"),
        verbose=1 if verbose == "auto" else verbose, epochs=epochs,
        steps=steps if steps > 0 else None, model=model)
    training = distributed(train_data, strategy)
    validation = distributed(validation_data, strategy) if validation_data is not None \
        else None

    model.stop_training = False
    callback_list.on_train_begin()
    logs = {}
    for epoch in range(initial_epoch, epochs):
        model.reset_metrics()
        callback_list.on_epoch_begin(epoch)
        for step, batch in enumerate(training):
            callback_list.on_train_batch_begin(step)
            logs = _floats(train_step(batch))
            callback_list.on_train_batch_end(step, logs)
            if model.stop_training:
                break
        epoch_logs = dict(logs)
        if validation is not None:
            model.reset_metrics()
            for batch in validation:
                val_logs = _floats(test_step(batch))
            epoch_logs.update({f"val_{key}": value for key, value in val_logs.items()})
        callback_list.on_epoch_end(epoch, epoch_logs)
        if model.stop_training:
            break
    callback_list.on_train_end(logs)
    history = next(c for c in callback_list.callbacks
                   if isinstance(c, keras.callbacks.History))
    return {k: [float(v) for v in values] for k, values in history.history.items()}


def _floats(logs: dict) -> dict:
    return {key: float(value) for key, value in logs.items()}
