"""Layers for the classic linear threshold unit (Rosenblatt, 1958)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class AppendBias(keras.layers.Layer):
    """Appends a constant 1 to each feature vector: the "bias input" x0 = 1 of the classic
    perceptron, so that the threshold is learned as an ordinary weight."""

    def call(self, inputs):
        ones = ops.ones_like(inputs[..., :1])
        return ops.concatenate([inputs, ones], axis=-1)

    def compute_output_shape(self, input_shape):
        last = None if input_shape[-1] is None else input_shape[-1] + 1
        return (*input_shape[:-1], last)


@keras.saving.register_keras_serializable(package="zoo")
class SignStraightThrough(keras.layers.Layer):
    """sign(s) in {-1, +1} (sign(0) = +1) in the forward pass, identity in the backward pass.

    With the perceptron loss max(0, -y * sign(s)) the gradient through this straight-through
    estimator is -y x for a misclassified example and 0 otherwise, which is exactly
    Rosenblatt's update rule w <- w + lr * y * x.
    """

    def call(self, inputs):
        sign = ops.where(inputs >= 0, 1.0, -1.0)
        sign = ops.cast(sign, inputs.dtype)
        return inputs + ops.stop_gradient(sign - inputs)
