"""A binary restricted Boltzmann machine trained by contrastive divergence.

Visible units v (the pixels) and hidden units h, each in {0, 1}, with the energy
E(v, h) = -b.v - c.h - v'Wh. Given one layer the other's units are independent:
p(h_j = 1 | v) = sigmoid(c_j + v'W_j) and p(v_i = 1 | h) = sigmoid(b_i + W_i h), so Gibbs
sampling alternates the two. Summing h out gives the free energy
F(v) = -b.v - sum_j softplus(c_j + v'W_j), with p(v) proportional to exp(-F(v)).

The log-likelihood gradient is the data's -dF/dtheta minus the model's. Contrastive
divergence (CD-k, Hinton, 2002) estimates the model's term at a sample reached by k Gibbs
steps from the data; persistent CD (Tieleman, 2008) keeps its chains running from one update
to the next instead. Both are the gradient of the surrogate

    mean F(v_data) - mean F(stop_gradient(v_model)),

which `train_step` hands to the compiled optimiser, so any Keras optimiser and every callback
work. `call` reconstructs through the hidden probabilities (one mean-field step there and
back); `sample` runs Gibbs chains from noise. `adapt` starts the visible biases at the
training pixels' log-odds, and `zoo.train` calls it on a new model (the reconstruction
task's `prepare` step).
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from zoo import _validate

MAX_SAMPLES = 10_000


@keras.saving.register_keras_serializable(package="zoo")
class RestrictedBoltzmannMachine(keras.Model):
    """A binary RBM over images (see the module docstring).

    Args:
        image_shape: one image's shape; its pixels are the visible units, in [0, 1]
            (binary data, or grey levels read as probabilities).
        hidden_units: the number of hidden units.
        cd_steps: k, the Gibbs steps of CD-k (or of each persistent update).
        persistent: keep `chains` persistent Gibbs chains (PCD) instead of restarting the
            negative phase at the data.
        chains: the persistent chains' number (PCD only).
        negative_visible: what the negative phase's free energy is taken at: "sample", the
            binary visible state the Gibbs steps end on, or "probabilities", the
            probabilities p(v | h) it was drawn from (Hinton's practical guide, 2010,
            section 3.2, recommends them: they carry less sampling noise). A deep belief
            network's upper RBMs, whose data are the hidden probabilities of the layers
            below, use "probabilities"; the binary state is what persistent chains carry on
            from either way.
        seed: the Gibbs sampling's draws.
    """

    def __init__(self, image_shape=(28, 28, 1), hidden_units=500, cd_steps=1,
                 persistent=False, chains=100, seed=None, negative_visible="sample",
                 **kwargs):
        super().__init__(**kwargs)
        self.image_shape = _validate.shape("image_shape", image_shape)
        self.hidden_units = _validate.positive_int("hidden_units", hidden_units)
        self.cd_steps = _validate.positive_int("cd_steps", cd_steps)
        _validate.boolean("persistent", persistent)
        self.persistent = persistent
        self.chains = _validate.positive_int("chains", chains)
        self.seed = seed
        self.negative_visible = _validate.choice("negative_visible", negative_visible,
                                                 ("sample", "probabilities"))
        self.visible_units = math.prod(self.image_shape)
        # Small random weights and zero biases (Hinton, "A practical guide to training
        # restricted Boltzmann machines", 2010, section 8).
        self.kernel = self.add_weight(
            shape=(self.visible_units, self.hidden_units), name="kernel",
            initializer=keras.initializers.RandomNormal(stddev=0.01, seed=seed))
        self.visible_bias = self.add_weight(shape=(self.visible_units,), name="visible_bias",
                                            initializer="zeros")
        self.hidden_bias = self.add_weight(shape=(self.hidden_units,), name="hidden_bias",
                                           initializer="zeros")
        self.chain = self.add_weight(
            shape=(self.chains, self.visible_units), name="chain", trainable=False,
            initializer=keras.initializers.RandomUniform(0.0, 1.0, seed=seed)) \
            if persistent else None
        self.adapted = self.add_weight(shape=(), name="adapted", initializer="zeros",
                                       trainable=False)
        self.generator = keras.random.SeedGenerator(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        # A MeanSquaredError, not a plain Mean: callbacks monitoring `val_mse` read from it
        # that lower is better.
        self.mse_tracker = keras.metrics.MeanSquaredError(name="mse")

    @property
    def code_size(self) -> int:
        return self.hidden_units

    def adapt(self, dataset, limit: int = 20_000):
        """Start each visible bias at log(p_i / (1 - p_i)), p_i the pixel's mean over the
        first `limit` images of `dataset` (batches of images or of `(images, ...)`), clipped
        to [0.001, 0.999]: the model's pixels then start at the data's rates, which Hinton's
        practical guide (2010, section 8) recommends over zero biases."""
        total, seen = None, 0
        for batch in dataset:
            images = batch[0] if isinstance(batch, (tuple, list)) else batch
            flat = ops.convert_to_numpy(self._flat(ops.convert_to_tensor(images)))
            total = flat.sum(axis=0) if total is None else total + flat.sum(axis=0)
            seen += len(flat)
            if seen >= limit:
                break
        if not seen:
            raise ValueError("adapting an RBM needs at least one image; the dataset is empty.")
        rate = np.clip(total / seen, 0.001, 0.999)
        self.visible_bias.assign(np.log(rate / (1.0 - rate)).astype("float32"))
        self.adapted.assign(1.0)

    def is_adapted(self) -> bool:
        return bool(self.adapted.numpy() > 0)

    # --- the two conditionals and the free energy --------------------------------------------

    def hidden_probabilities(self, visible):
        return ops.sigmoid(ops.matmul(visible, self.kernel) + self.hidden_bias)

    def visible_probabilities(self, hidden):
        return ops.sigmoid(ops.matmul(hidden, ops.transpose(self.kernel)) + self.visible_bias)

    def free_energy(self, visible):
        """F(v) per example: -b.v - sum_j softplus(c_j + v'W_j)."""
        # A tensor first: numpy's `array * variable` would read the variable as a constant.
        visible = ops.convert_to_tensor(visible)
        return (-ops.sum(visible * self.visible_bias, axis=-1)
                - ops.sum(ops.softplus(ops.matmul(visible, self.kernel) + self.hidden_bias),
                          axis=-1))

    def _bernoulli(self, probabilities, generator=None):
        draws = keras.random.uniform(ops.shape(probabilities), seed=generator or self.generator)
        return ops.cast(draws < probabilities, probabilities.dtype)

    def gibbs(self, visible, steps, generator=None):
        """`steps` rounds of h ~ p(h|v), v ~ p(v|h) from `visible` [batch, visible_units],
        drawing from `generator` (default: the model's); returns the last binary sample and
        its probabilities."""
        probabilities = visible
        for _ in range(steps):
            hidden = self._bernoulli(self.hidden_probabilities(visible), generator)
            probabilities = self.visible_probabilities(hidden)
            visible = self._bernoulli(probabilities, generator)
        return visible, probabilities

    # --- the model as an autoencoder ---------------------------------------------------------

    def _flat(self, images):
        if tuple(images.shape[1:]) != tuple(self.image_shape):
            raise ValueError(f"images of shape {tuple(images.shape)} do not fit this RBM: it "
                             f"takes (batch, {', '.join(map(str, self.image_shape))}).")
        return ops.reshape(images, (-1, self.visible_units))

    def encode(self, images):
        """p(h = 1 | v) for a batch of images: [batch, hidden_units]."""
        return self.hidden_probabilities(self._flat(images))

    def decode(self, hidden):
        """p(v = 1 | h) for a batch of hidden vectors, as images."""
        return ops.reshape(self.visible_probabilities(hidden), (-1, *self.image_shape))

    def call(self, images, training=False):
        """The mean-field reconstruction: p(v | h = p(h | v))."""
        return self.decode(self.encode(images))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def sample(self, count: int, steps: int = 1000, seed=None):
        """Pixel probabilities after `steps` Gibbs steps from `count` chains of uniform
        noise."""
        count = _validate.positive_int("count", count)
        steps = _validate.positive_int("steps", steps)
        generator = keras.random.SeedGenerator(self.seed if seed is None else seed)
        noise = self._bernoulli(ops.full((count, self.visible_units), 0.5), generator)
        _, probabilities = self.gibbs(noise, steps, generator)
        return ops.reshape(probabilities, (-1, *self.image_shape))

    # --- training ------------------------------------------------------------------------------

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The CD-k (or PCD) surrogate mean F(data) - mean F(model sample): its gradient is
        the contrastive divergence estimate of the negative log-likelihood's."""
        loss, _ = self._contrastive_divergence(self._flat(x))
        return loss

    def _contrastive_divergence(self, data):
        start = self.chain if self.persistent else data
        negative, probabilities = self.gibbs(start, self.cd_steps)
        at = probabilities if self.negative_visible == "probabilities" else negative
        loss = ops.mean(self.free_energy(data)) - ops.mean(
            self.free_energy(ops.stop_gradient(at)))
        return loss, negative  # persistent chains carry on from the binary state

    def train_step(self, data):
        import tensorflow as tf

        images, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            loss, negative = self._contrastive_divergence(self._flat(images))
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables, strict=True))
        if self.persistent:
            self.chain.assign(negative)
        self.loss_tracker.update_state(loss)
        self.mse_tracker.update_state(images, self(images))
        return {metric.name: metric.result() for metric in self.metrics}

    def test_step(self, data):
        images, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        flat = self._flat(images)
        # The free-energy gap to a CD sample, as in training (not a likelihood).
        loss = ops.mean(self.free_energy(flat)) - ops.mean(
            self.free_energy(self.gibbs(flat, self.cd_steps)[0]))
        self.loss_tracker.update_state(loss)
        self.mse_tracker.update_state(images, self(images))
        return {metric.name: metric.result() for metric in self.metrics}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mse_tracker]

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape,
                "hidden_units": self.hidden_units, "cd_steps": self.cd_steps,
                "persistent": self.persistent, "chains": self.chains, "seed": self.seed,
                "negative_visible": self.negative_visible}
