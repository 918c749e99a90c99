"""Distribution strategies for `zoo.train(strategy=...)`, by name.

- "default": TensorFlow's default strategy: one device, nothing distributed.
- "mirrored": `tf.distribute.MirroredStrategy` over this machine's GPUs (or its CPU, or the
  logical CPUs `tf.config.set_logical_device_configuration` made): every variable mirrored on
  each replica, each step's global batch split between them and the gradients all-reduced,
  so the update is the one-device update on the whole batch (Goyal et al. 2017, "Accurate,
  large minibatch SGD").
- "tpu": `tf.distribute.TPUStrategy` on the TPU that `TPUClusterResolver` finds (a Cloud TPU
  VM's own, or `tpu=` a name or grpc:// address), its system initialised first.
- "multiworker": `tf.distribute.MultiWorkerMirroredStrategy`, the workers named by TF_CONFIG,
  each running the same `zoo.train` call. Keras 3's `fit` fails under it today
  (keras-team/keras#20585, "Attempt to convert a value (PerReplica...)"; reproduced with
  TensorFlow 2.21 and Keras 3.15 and two workers on localhost), so zoo.train runs its own
  loop there (`zoo.train.multiworker`).

A `tf.distribute.Strategy` object is taken as it is. `batch_size` stays each replica's
(`zoo.train` batches `batch_size x num_replicas_in_sync` examples per step), so a recipe
means the same per-device work on any number of devices; the learning rate is the recipe's,
to be scaled by the caller for large global batches (Goyal et al.'s linear rule).
"""

from __future__ import annotations

import tensorflow as tf

from zoo import _validate

STRATEGIES = ("default", "mirrored", "multiworker", "tpu")


def distribution_strategy(strategy=None, *, tpu: str | None = None) -> tf.distribute.Strategy:
    """The `tf.distribute.Strategy` for `strategy`: a name of `STRATEGIES`, a strategy object
    (returned as it is) or None (the strategy in scope, TensorFlow's default outside any)."""
    if strategy is None:
        return tf.distribute.get_strategy()
    if isinstance(strategy, tf.distribute.Strategy):
        return strategy
    _validate.choice("strategy", strategy, STRATEGIES)
    if strategy == "default":
        return tf.distribute.get_strategy()
    if strategy == "mirrored":
        return tf.distribute.MirroredStrategy()
    if strategy == "tpu":
        return _tpu_strategy(tpu)
    return tf.distribute.MultiWorkerMirroredStrategy()


def _tpu_strategy(tpu: str | None) -> tf.distribute.Strategy:
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu or "")
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as error:
        raise ValueError(f"strategy='tpu' found no TPU{f' {tpu!r}' if tpu else ''} to use "
                         f"({type(error).__name__}: {error}).") from error
    return tf.distribute.TPUStrategy(resolver)


def distributes(strategy: tf.distribute.Strategy) -> bool:
    """Whether `strategy` is anything but TensorFlow's default (one device, no distribution)."""
    from tensorflow.python.distribute import distribute_lib

    return not isinstance(strategy, distribute_lib._DefaultDistributionStrategy)


def distributed_step_options(strategy, steps_per_execution, jit_compile) -> tuple:
    """`(steps_per_execution, jit_compile)` for `compile` under `strategy`: the caller's, else
    (under a distributing strategy) one step per call without XLA rather than the recipe's,
    which are tuned for one CPU. Keras 3.15's multi-step loop fails under MirroredStrategy
    (an InvalidArgumentError asking to be fed a value for its while loop's condition
    tensor), so more than one step per call is refused there; XLA is the caller's
    to ask for (it works per GPU, not across the logical CPUs of one machine)."""
    if not distributes(strategy):
        return steps_per_execution, jit_compile
    if steps_per_execution not in (None, 1):
        raise ValueError(f"steps_per_execution={steps_per_execution!r} fails under "
                         f"{type(strategy).__name__} in Keras 3's fit; leave it at 1.")
    return 1, False if jit_compile is None else jit_compile


def check_built_in(model, strategy: tf.distribute.Strategy) -> None:
    """A model given ready-made must have been built in `strategy`'s scope: variables made
    outside it are not mirrored, and `fit` would fail to build its optimizer for them."""
    if not distributes(strategy) or not model.weights:
        return
    variable = model.weights[0]
    if not strategy.extended.variable_created_in_scope(getattr(variable, "value", variable)):
        raise ValueError(f"{model.name} was built outside the strategy's scope: pass its "
                         "registered name for zoo to build it there, or build it under "
                         "`with strategy.scope():` and pass that strategy.")
