"""Learning-rate schedules by name: `zoo.train(..., schedule="cosine", warmup_epochs=1)`.

Each schedule runs over the whole training run (`total_steps` optimizer steps) from the
recipe's (or the caller's) learning rate:

- `constant`: the learning rate throughout, which no callback lowers.
- `step`: divided by 10 at half and at three quarters of the run, the schedule of the CIFAR
  ResNets (He, Zhang, Ren and Sun, 2016, arXiv:1512.03385, section 4.2: 0.1, divided by 10
  at 32k and 48k of 64k iterations).
- `exponential`: multiplied by the same factor every step, to a hundredth at the end.
- `cosine`: half a cosine from the learning rate to zero (Loshchilov and Hutter, 2017,
  "SGDR: Stochastic gradient descent with warm restarts", arXiv:1608.03983, without the
  restarts).

`warmup_steps` ramp the learning rate linearly up from zero before the schedule starts, which
then runs over the steps that remain (Goyal et al., 2017, "Accurate, large minibatch SGD:
training ImageNet in 1 hour", arXiv:1706.02677, section 2.2).

A schedule sets the learning rate at every step, so `zoo.train` drops `ReduceLROnPlateau`
when one is named ("constant" included): the two would fight over the same number. Without
one, the learning rate is the recipe's until the monitored figure stalls, then halves.
"""

from __future__ import annotations

import keras

from zoo import _validate

SCHEDULES = ("constant", "step", "exponential", "cosine")


@keras.saving.register_keras_serializable(package="zoo")
class LinearWarmup(keras.optimizers.schedules.LearningRateSchedule):
    """`after` (a schedule or a number) preceded by `warmup_steps` steps whose learning rate
    rises linearly from `target / warmup_steps` to `target`, the learning rate `after`
    starts from; `after` counts its steps from the end of the warm-up."""

    def __init__(self, after, warmup_steps: int, target: float):
        self.after = after
        self.warmup_steps = int(warmup_steps)
        self.target = float(target)

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        ramp = self.target * (step + 1.0) / float(self.warmup_steps)
        rest = step - float(self.warmup_steps)
        after = self.after(rest) if callable(self.after) else self.after
        return keras.ops.where(step < self.warmup_steps, ramp, after)

    def get_config(self):
        after = (keras.optimizers.schedules.serialize(self.after) if callable(self.after)
                 else self.after)
        return {"after": after, "warmup_steps": self.warmup_steps, "target": self.target}

    @classmethod
    def from_config(cls, config):
        after = config["after"]
        if isinstance(after, dict):
            after = keras.optimizers.schedules.deserialize(after)
        return cls(after, config["warmup_steps"], config["target"])


def learning_rate_schedule(name: str, learning_rate: float, total_steps: int,
                           warmup_steps: int = 0):
    """The learning rate (a number for `constant` without warm-up, else a Keras
    `LearningRateSchedule`) of the schedule `name` over `total_steps` steps."""
    _validate.choice("schedule", name, SCHEDULES)
    _validate.positive("learning_rate", learning_rate)
    _validate.positive_int("total_steps", total_steps)
    warmup_steps = _validate.non_negative_int("warmup_steps", warmup_steps)
    if warmup_steps >= total_steps:
        raise ValueError(f"the warm-up ({warmup_steps} steps) must be shorter than the run "
                         f"({total_steps} steps).")
    steps = total_steps - warmup_steps
    schedules = keras.optimizers.schedules
    if name == "constant":
        schedule = learning_rate
    elif name == "step":
        schedule = schedules.PiecewiseConstantDecay(
            [steps // 2, (3 * steps) // 4],
            [learning_rate, learning_rate / 10, learning_rate / 100])
    elif name == "exponential":
        schedule = schedules.ExponentialDecay(learning_rate, decay_steps=steps,
                                              decay_rate=0.01)
    else:
        schedule = schedules.CosineDecay(learning_rate, decay_steps=steps)
    if warmup_steps:
        return LinearWarmup(schedule, warmup_steps, learning_rate)
    return schedule


def steps_per_epoch(train_data) -> int:
    """The batches of one epoch of `train_data`, which a schedule needs to know its length;
    a pipeline of unknown or infinite length cannot say."""
    import tensorflow as tf

    batches = int(train_data.cardinality())
    if batches in (int(tf.data.UNKNOWN_CARDINALITY), int(tf.data.INFINITE_CARDINALITY)) or \
            batches <= 0:
        raise ValueError("a learning-rate schedule needs the number of batches per epoch, and "
                         "this training pipeline does not state it: give one of known length "
                         "(tf.data.Dataset.apply(tf.data.experimental.assert_cardinality(n))).")
    return batches
