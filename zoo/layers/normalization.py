"""Batch normalisation (Ioffe and Szegedy, 2015, "Batch normalization: accelerating deep network
training by reducing internal covariate shift") through TensorFlow's fused kernel.

Keras 3 writes a training step of `keras.layers.BatchNormalization` as a composite of moments,
subtractions, an rsqrt and multiplications, each a separate TensorFlow op in the forward pass
and again in the backward pass. TensorFlow has one kernel for the whole (`FusedBatchNormV3`,
with `FusedBatchNormGradV3` for its gradient), which tf.keras used by default. This layer calls
it where it computes exactly what Keras computes; elsewhere it is Keras' layer unchanged.
"""

from __future__ import annotations

from zoo._lazy import keras, tf


@keras.saving.register_keras_serializable(package="zoo")
class FusedBatchNormalization(keras.layers.BatchNormalization):
    """`keras.layers.BatchNormalization` whose training step on 4-D channels-last inputs runs
    TensorFlow's fused kernel.

    The variables (gamma, beta, moving mean and variance), their names and order are Keras',
    so weights port both ways and a model's parameter count is unchanged. The moving variance
    is updated with the biased batch variance, as Keras does (the fused kernel reports the
    unbiased one; the layer converts it). Inference, masks, renormalisation, synchronised
    statistics, frozen layers and other ranks or axes take Keras' own path.

    Measured in training: ResNet-20 on 28x28 batches of 128 against the same network with
    Keras' layer (the `fused_batch_norm` lever of `benchmarks/speed_levers.py`, recorded in
    its results file), ResNet-50 at 96x96, batch 16, 1.14x keras.applications' (1.11-1.18;
    `benchmarks/vs_keras_applications.py`).
    """

    def _fusable(self, inputs, training, mask) -> bool:
        return bool(training and self.trainable and mask is None and not self.renorm
                    and not self.synchronized and len(inputs.shape) == 4
                    and self.axis in (3, -1))

    def call(self, inputs, training=None, mask=None):
        if not self._fusable(inputs, training, mask):
            return super().call(inputs, training=training, mask=mask)
        # As Keras does: statistics in float32 whatever the compute dtype (mixed precision).
        x = tf.cast(inputs, "float32")
        channels = x.shape[-1]
        # Without scale or centre (Inception's BN has no gamma) the kernel gets 1 and 0.
        gamma = tf.cast(self.gamma, "float32") if self.scale else tf.ones([channels])
        beta = tf.cast(self.beta, "float32") if self.center else tf.zeros([channels])
        empty = tf.constant([], "float32")
        outputs, mean, variance, _, _, _ = tf.raw_ops.FusedBatchNormV3(
            x=x, scale=gamma, offset=beta, mean=empty, variance=empty, epsilon=self.epsilon,
            exponential_avg_factor=1.0, data_format="NHWC", is_training=True)
        # The kernel returns the variance with Bessel's correction, n / (n - 1); undo it.
        count = tf.cast(tf.reduce_prod(tf.shape(x)[:3]), "float32")
        variance = variance * (count - 1.0) / tf.maximum(count, 1.0)
        momentum = self.momentum
        self.moving_mean.assign(self.moving_mean * momentum + mean * (1.0 - momentum))
        self.moving_variance.assign(
            self.moving_variance * momentum + variance * (1.0 - momentum))
        return tf.cast(outputs, self.compute_dtype)
