"""Reversible per-window scaling for forecasters (Kim et al. 2022, "Reversible Instance
Normalization for Accurate Time-Series Forecasting against Distribution-Shift", ICLR).

A forecaster sees each window in units of that window: its last value subtracted, divided by
its own standard deviation. The network's forecast in those units is mapped back with the same
two numbers. Two things follow:

- A trending series (CO2 climbs about 1.5 ppm a year) reaches test levels the training split
  never saw; per-window scaling makes those windows look like training windows. A
  normalisation fitted once on the training split (`keras.layers.Normalization`) would feed
  the network values beyond anything it was trained on.
- Centring on the last value rather than RevIN's window mean makes a zero output the naive
  forecast: the network learns a correction to the forecast it must beat.

The model takes raw values and returns forecasts in the series' own unit, so its SavedModel
needs no statistics from the caller.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from zoo import _validate


@keras.saving.register_keras_serializable(package="zoo")
class WindowScaling(keras.layers.Layer):
    """`history` (batch, steps, features) -> `[scaled, center, scale]`: `center` the last
    step, `scale` the window's standard deviation (each (batch, 1, features)). A constant
    window has scale `sqrt(epsilon)`, so it scales to zeros instead of dividing by zero."""

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = _validate.non_negative("epsilon", epsilon)
        if not self.epsilon:
            raise ValueError("epsilon must be > 0: a constant window would divide by zero.")

    def build(self, input_shape):
        self.window_shape = tuple(input_shape[1:])

    def call(self, history):
        # A window of another length would still give a forecast from a recurrent body, and a
        # wrong one: the served model says so instead (an InvalidArgumentError naming both
        # shapes; XLA compiles the check away as a static shape).
        history = tf.ensure_shape(history, (None, *self.window_shape))
        center = history[:, -1:, :]
        scale = ops.sqrt(ops.var(history, axis=1, keepdims=True) + self.epsilon)
        return (history - center) / scale, center, scale

    def compute_output_shape(self, input_shape):
        statistic = (input_shape[0], 1, input_shape[2])
        return input_shape, statistic, statistic

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="zoo")
class WindowUnscaling(keras.layers.Layer):
    """`[forecast, center, scale]` -> the forecast in the series' unit: `forecast * scale +
    center`, for a univariate forecast (batch, horizon) and `WindowScaling`'s statistics."""

    def call(self, inputs):
        forecast, center, scale = inputs
        return forecast * scale[:, 0, :] + center[:, 0, :]

    def compute_output_shape(self, input_shapes):
        return input_shapes[0]
