"""A sparsity penalty on a layer's activations, for sparse autoencoders."""

import keras
from keras import ops

from zoo import _validate

KINDS = ("kl", "l1")


def kl_divergence_from_target(activations, target):
    """sum_j KL(target || rho_hat_j), rho_hat_j unit j's mean activation over the batch (a
    sigmoid unit, so in (0, 1)): zero when every unit fires at the target rate."""
    # Clipped: a unit whose mean reaches 0 or 1 would make the logarithms infinite.
    mean = ops.clip(ops.mean(activations, axis=0), 1e-6, 1.0 - 1e-6)
    return ops.sum(target * ops.log(target / mean)
                   + (1.0 - target) * ops.log((1.0 - target) / (1.0 - mean)))


@keras.saving.register_keras_serializable(package="zoo")
class SparsityPenalty(keras.layers.Layer):
    """Passes its input through and adds a sparsity penalty to the model's losses:
    `kind="kl"`, `weight` times the KL divergence of each unit's mean activation over the
    batch from `target`, summed over units (Ng, "Sparse autoencoder", CS294A lecture notes,
    2011); `kind="l1"`, `weight` times each example's summed absolute activation, averaged
    over the batch.

    A layer rather than an `activity_regularizer`: Keras 3 divides an activity penalty by
    the batch size, which suits a per-example sum such as L1's but would shrink the KL term,
    a function of the batch mean already, by that factor (1/256 at the recipe's batch).
    """

    def __init__(self, kind="kl", target=0.05, weight=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.kind = _validate.choice("kind", kind, KINDS)
        self.target = float(_validate.fraction("target", target, inclusive_zero=False))
        self.weight = _validate.non_negative("weight", weight)

    def penalty(self, activations):
        if self.kind == "kl":
            return self.weight * kl_divergence_from_target(activations, self.target)
        return self.weight * ops.mean(ops.sum(ops.abs(activations), axis=-1))

    def call(self, activations):
        self.add_loss(self.penalty(activations))
        return activations

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "kind": self.kind, "target": self.target,
                "weight": self.weight}
