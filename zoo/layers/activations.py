"""Activations Keras does not have under a name, for the factories' `activation=` argument.

- `sign`: sign(x) in {-1, +1} forward (sign(0) = +1), and in the backward pass the gradient of
  hard tanh, 1 where |x| <= 1 and 0 beyond: the straight-through estimator of binarised
  networks (Bengio, Leonard and Courville, 2013, "Estimating or propagating gradients through
  stochastic neurons", arXiv:1308.3432; Hubara, Courbariaux et al., 2016, "Binarized neural
  networks", section 1.3), where the true gradient of sign is zero almost everywhere.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zoo", name="sign")
def sign(x):
    """sign(x) forward, hard tanh's gradient backward (see the module docstring)."""
    clipped = ops.clip(x, -1.0, 1.0)
    return clipped + ops.stop_gradient(ops.cast(ops.where(x >= 0, 1.0, -1.0), x.dtype)
                                       - clipped)


ZOO_ACTIVATIONS = {"sign": sign}


def get(activation):
    """zoo's activation of that name, else Keras' (a name, a callable or None)."""
    if isinstance(activation, str) and activation in ZOO_ACTIVATIONS:
        return ZOO_ACTIVATIONS[activation]
    return keras.activations.get(activation)
