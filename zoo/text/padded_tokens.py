"""Losses and metrics over padded token sequences, averaged over the real tokens alone.

A batch of target sequences is padded to its longest one, and padding (id 0) must neither
count in the loss nor in the metrics. Weights of 0 on padding are not enough in Keras 3:

- the default loss reduction, "sum_over_batch_size", divides the weighted sum by every
  position, padding included, so a batch's loss (and its gradient) shrinks with its padding
  (half the positions of a batch of verses are padding);
- metrics given to `compile(metrics=...)` ignore sample weights altogether; only
  `weighted_metrics` read them, so a token accuracy would count padding as errors.

`mean_over_real` rescales the weights as Keras rescales a masked output's (`apply_mask` in
`keras.losses.loss`): each real token weighs (positions / real tokens), so the reduction gives
the mean over real tokens. `WeightedTokenMetrics` is a model mix-in whose `compile` passes
every metric as a weighted one.
"""

from __future__ import annotations

import keras
import tensorflow as tf

PADDING_ID = 0  # TextVectorization's id for ''


def real_token_weights(targets, dtype, sample_weight=None):
    """1.0 where `targets` (batch, length) hold a token, 0.0 on padding; times the examples'
    `sample_weight` (batch,) when given."""
    real = tf.cast(tf.not_equal(targets, PADDING_ID), dtype)
    if sample_weight is None:
        return real
    return real * tf.cast(tf.reshape(sample_weight, [-1, 1]), dtype)


def mean_over_real(weights):
    """`weights` scaled so that a "sum_over_batch_size" loss reduction is their weighted
    mean: sum(w * loss) / sum(w), whatever share of the batch is padding (0 if all is)."""
    positions = tf.cast(tf.size(weights), weights.dtype)
    return weights * tf.math.divide_no_nan(positions, tf.reduce_sum(weights))


class WeightedTokenMetrics:
    """Mix-in for a `keras.Model` whose targets are padded token sequences: `compile` reads
    `metrics` as `weighted_metrics`, so the token weights the model computes (padding out)
    reach them, and a token accuracy is the accuracy over real tokens."""

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, **kwargs):
        together = [*(metrics or []), *(weighted_metrics or [])]
        super().compile(optimizer, loss, loss_weights, weighted_metrics=together or None,
                        **kwargs)

    def compile_from_config(self, config):
        """Compiles a loaded model as it was compiled (Keras' own `compile_from_config`
        skips a model whose `compile` is overridden, and leaves it without an optimizer)."""
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)
