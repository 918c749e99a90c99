"""Sparsity penalties on a layer's activations, for sparse autoencoders."""

import keras
from keras import ops

from zoo import _validate


@keras.saving.register_keras_serializable(package="zoo")
class KLSparsity(keras.regularizers.Regularizer):
    """weight * sum_j KL(rho || rho_hat_j): rho_hat_j is unit j's mean activation over the
    batch (a sigmoid unit, so in (0, 1)) and rho the target mean, small so that each unit
    fires for few inputs (Ng, "Sparse autoencoder", CS294A lecture notes, 2011)."""

    def __init__(self, target=0.05, weight=1e-3):
        self.target = float(_validate.fraction("target", target, inclusive_zero=False))
        self.weight = _validate.non_negative("weight", weight)

    def __call__(self, activations):
        # Clipped: a unit whose mean reaches 0 or 1 would make the logarithms infinite.
        mean = ops.clip(ops.mean(activations, axis=0), 1e-6, 1.0 - 1e-6)
        rho = self.target
        divergence = (rho * ops.log(rho / mean)
                      + (1.0 - rho) * ops.log((1.0 - rho) / (1.0 - mean)))
        return self.weight * ops.sum(divergence)

    def get_config(self):
        return {"target": self.target, "weight": self.weight}
