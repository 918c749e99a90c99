"""Losses and metrics named in training recipes, resolved to Keras objects.

Recipes name objectives by string so that cards stay plain data; the few that Keras does not
have under that name are defined here and registered serializable, so a compiled model saved
to `.keras` loads again.
"""

import keras
from keras import ops


def _plus_minus_one(y_true, dtype):
    """Binary labels {0, 1} (as zoo's datasets give them) mapped to {-1, +1}; labels that
    are already -1/+1 pass through unchanged."""
    y_true = ops.cast(y_true, dtype)
    return ops.where(y_true > 0, 1.0, -1.0)


@keras.saving.register_keras_serializable(package="zoo")
class PerceptronLoss(keras.losses.Loss):
    """Rosenblatt's perceptron criterion max(0, -y * s) with y in {-1, +1}."""

    def __init__(self, name="perceptron", reduction="sum_over_batch_size"):
        super().__init__(name=name, reduction=reduction)

    def call(self, y_true, y_pred):
        y = ops.reshape(_plus_minus_one(y_true, y_pred.dtype), ops.shape(y_pred))
        return ops.mean(ops.relu(-y * y_pred), axis=-1)


def get_loss(name_or_loss):
    """A Keras loss from a recipe's name; Keras objects pass through."""
    if name_or_loss == "perceptron":
        return PerceptronLoss()
    return keras.losses.get(name_or_loss)


def get_metrics(names, task):
    """Keras metrics for a recipe. `accuracy` of a binary classifier thresholds its signed
    score at 0 (perceptron and SVM output scores, not probabilities)."""
    metrics = []
    for name in names:
        if name == "accuracy" and task == "binary-classification":
            metrics.append(keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy"))
        elif name == "rmse":
            metrics.append(keras.metrics.RootMeanSquaredError(name="rmse"))
        else:
            metrics.append(name)
    return metrics
