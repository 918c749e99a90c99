"""A radial-basis layer: each unit responds to how close its input is to the unit's prototype,
phi_j(x) = exp(-||x - mu_j||^2 / (2 sigma_j^2)) (Broomhead and Lowe, 1988; Moody and Darken,
1989). The prototypes and widths are trained with the rest of the network; `adapt` starts
them where Moody and Darken did, at k-means centres of the training inputs, each width the
root-mean-square distance of its cluster's members to the centre.
"""

import keras
import numpy as np
from keras import ops

from zoo import _validate


@keras.saving.register_keras_serializable(package="zoo")
class RadialBasis(keras.layers.Layer):
    """`units` Gaussian radial-basis units over a flat input [batch, features].

    The widths are learned as log sigma, so they stay positive. Before `adapt` the prototypes
    are random draws around zero and every width is 1; `adapted` records whether `adapt` has
    run, so that `zoo.train` adapts a new layer once and never a trained one again.
    """

    def __init__(self, units, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.units = _validate.positive_int("units", units)
        self.seed = seed

    def build(self, input_shape):
        features = input_shape[-1]
        self.prototypes = self.add_weight(
            shape=(self.units, features), name="prototypes",
            initializer=keras.initializers.RandomNormal(stddev=1.0, seed=self.seed))
        self.log_widths = self.add_weight(shape=(self.units,), name="log_widths",
                                          initializer="zeros")
        self.adapted = self.add_weight(shape=(), name="adapted", initializer="zeros",
                                       trainable=False)

    def call(self, inputs):
        # ||x - mu||^2 = ||x||^2 - 2 x.mu + ||mu||^2: one matrix product, not a
        # [batch, units, features] difference.
        distances = (ops.sum(ops.square(inputs), axis=-1, keepdims=True)
                     - 2.0 * ops.matmul(inputs, ops.transpose(self.prototypes))
                     + ops.sum(ops.square(self.prototypes), axis=-1))
        distances = ops.maximum(distances, 0.0)  # round-off can make it slightly negative
        return ops.exp(-distances / (2.0 * ops.exp(2.0 * self.log_widths)))

    def adapt(self, features, seed=0):
        """Set the prototypes to the k-means centres of `features` [examples, features] and
        each width to the RMS distance of its cluster's members to the centre (1 for a
        cluster of one)."""
        from sklearn.cluster import KMeans

        features = np.asarray(features, "float64")
        if len(features) < self.units:
            raise ValueError(f"adapting {self.units} radial-basis units needs at least as "
                             f"many examples; got {len(features)}.")
        if not self.built:
            self.build(features.shape)
        kmeans = KMeans(self.units, n_init=1, random_state=seed).fit(features)
        squared = np.sum((features - kmeans.cluster_centers_[kmeans.labels_]) ** 2, axis=1)
        counts = np.bincount(kmeans.labels_, minlength=self.units)
        mean_squared = np.bincount(kmeans.labels_, squared, self.units) / np.maximum(counts, 1)
        widths = np.where(mean_squared > 0, np.sqrt(mean_squared), 1.0)
        self.prototypes.assign(kmeans.cluster_centers_.astype("float32"))
        self.log_widths.assign(np.log(widths).astype("float32"))
        self.adapted.assign(1.0)

    def is_adapted(self) -> bool:
        return bool(self.built and self.adapted.numpy() > 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "seed": self.seed}


def adapt_radial_basis_layers(model, dataset, limit: int = 20_000, seed: int = 0) -> list[str]:
    """Adapt every `RadialBasis` layer of `model` that has not been adapted, on the inputs it
    receives from the first `limit` examples of `dataset` (batches of `(x, y)`). Returns the
    names of the layers adapted."""
    layers = [layer for layer in model.layers
              if isinstance(layer, RadialBasis) and not layer.is_adapted()]
    for layer in layers:
        upstream = keras.Model(model.inputs, layer.input)
        features, seen = [], 0
        for x, *_ in dataset:
            features.append(upstream(x, training=False).numpy())
            seen += len(features[-1])
            if seen >= limit:
                break
        layer.adapt(np.concatenate(features)[:limit], seed=seed)
    return [layer.name for layer in layers]
