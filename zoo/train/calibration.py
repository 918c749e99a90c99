"""Temperature scaling: a trained classifier's probabilities made to mean what they say.

Guo, Pleiss, Sun and Weinberger (2017), "On calibration of modern neural networks"
(arXiv:1706.04599), section 4.2: divide the logits by one temperature T > 0, fitted on held-out
data by minimising the negative log-likelihood. T > 1 softens overconfident predictions; the
most probable class, and so the accuracy, never changes. Of the calibration methods they
compare it is the simplest and, on most of their networks, the best.

`temperature_scale` fits T on the validation split (never the test split, which judges the
result) and returns the model with a `TemperatureScaling` layer on top: a `keras.Model` like
any other, that saves, reloads and exports.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from zoo.models._common import produces_probabilities

_SMALLEST = 1e-12  # log of a probability that underflowed to 0


@keras.saving.register_keras_serializable(package="zoo")
class TemperatureScaling(keras.layers.Layer):
    """softmax(logits / temperature), where the logits are the inputs or, for a model whose
    outputs are probabilities already, their logarithms (equal to the logits up to a
    constant per example, which the softmax ignores)."""

    # What `produces_probabilities` reads: the layer's outputs are a softmax.
    activation = staticmethod(keras.activations.softmax)

    def __init__(self, temperature: float, from_probabilities: bool, **kwargs):
        super().__init__(**kwargs)
        self.temperature = float(temperature)
        self.from_probabilities = bool(from_probabilities)

    def call(self, inputs):
        logits = keras.ops.log(keras.ops.maximum(inputs, _SMALLEST)) \
            if self.from_probabilities else inputs
        return keras.ops.softmax(logits / self.temperature, axis=-1)

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature,
                "from_probabilities": self.from_probabilities}


@dataclass
class Calibrated:
    """The calibrated model, its temperature and the validation split's negative
    log-likelihood before and after."""

    model: keras.Model
    temperature: float
    nll_before: float
    nll_after: float


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the mean negative log-likelihood of `labels` under
    softmax(`logits` / T), searched on log T in [1/100, 100] (a one-dimensional convex
    problem: Brent's method finds it)."""
    from scipy.optimize import minimize_scalar

    logits = np.asarray(logits, np.float64)
    labels = np.asarray(labels).reshape(-1).astype(int)
    result = minimize_scalar(lambda log_t: _nll(logits / np.exp(log_t), labels),
                             bounds=(np.log(0.01), np.log(100.0)), method="bounded")
    return float(np.exp(result.x))


def _nll(logits, labels) -> float:
    shifted = logits - logits.max(-1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    return float(-log_probabilities[np.arange(len(labels)), labels].mean())


def temperature_scale(model: keras.Model, dataset=None, *, split="validation",
                      dataset_options=None, batch_size=256) -> Calibrated:
    """`model` (a trained classifier of more than one class) with its temperature fitted on
    `split` of `dataset` (default: its card's dataset's validation split)."""
    from zoo.train.report import predictions_on_split

    if not isinstance(model, keras.Model):
        raise ValueError(f"temperature_scale calibrates a trained keras.Model, not {model!r}.")
    if split == "test":
        raise ValueError("fit the temperature on held-out data that is not the test split "
                         "(split='validation'): the test split judges the calibration.")
    model, labels, outputs = predictions_on_split(model, dataset, split, dataset_options,
                                                      batch_size)
    if outputs.ndim != 2 or outputs.shape[-1] < 2:
        raise ValueError(f"{model.name} outputs {outputs.shape[1:]} per example; temperature "
                         "scaling applies to a softmax over two or more classes.")
    from_probabilities = produces_probabilities(model)
    logits = np.log(np.maximum(outputs, _SMALLEST)) if from_probabilities else outputs
    temperature = fit_temperature(logits, labels)
    top = TemperatureScaling(temperature, from_probabilities, name="temperature_scaling")
    calibrated = keras.Model(model.inputs, top(model.outputs[0]),
                             name=f"{model.name}_calibrated")
    return Calibrated(calibrated, temperature, _nll(logits, labels),
                      _nll(logits / temperature, labels))
