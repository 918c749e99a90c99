"""Variational autoencoders (Kingma and Welling, 2014).

An encoder gives a diagonal Gaussian q(z|x) over a latent code, a decoder a Bernoulli p(x|z)
over the pixels, and the two are trained together to maximise the evidence lower bound

    ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || N(0, I))  <=  log p(x),

with one sample z = mean + sigma * eps per image, so that the gradient passes through the
sample to the encoder (the reparameterisation trick). The loss is the negative ELBO in nats
per image: the reconstruction term (binary cross-entropy summed over pixels) plus the KL term
(closed form for two Gaussians).

`VariationalAutoencoder` is a subclassed `keras.Model` with its own `train_step` and
`test_step`; `call` reconstructs an image through the mean of its code, `decode` turns codes
into pixel probabilities, `sample` draws new images, and `log_likelihood` estimates log p(x)
by importance sampling with q as the proposal (Burda, Grosse and Salakhutdinov, 2016), a
tighter bound than the ELBO that approaches log p(x) as the samples grow.

A conditional VAE (Sohn, Lee and Yan, 2015; Kingma et al., 2014, "M2" with the labels
observed) gives both networks the class label too, and bounds log p(x|y) instead:
q(z|x, y) and p(x|z, y), with the same N(0, I) prior. The label then carries what class the
image is, and the code what the label does not (stroke width, slant); `sample(labels=...)`
draws images of chosen classes.

The data are binary: the recipes (`zoo.models.generative.vae`) binarise each training image
anew every epoch, each pixel on with probability its grey level (`zoo.data.load(...,
augment="binarize")`).
"""

from __future__ import annotations

import math

import keras
from keras import ops

from zoo import _validate
from zoo.generative.conditioning import (
    checked_labels,
    label_input,
    num_classes_or_none,
    sampling_labels,
    split_inputs,
)
from zoo.models._common import check_activation

ARCHITECTURES = ("dense", "conv")
LOG_2PI = math.log(2.0 * math.pi)


def _with_label(network_input, x, num_classes, name):
    """`(network_input, x)` unconditioned, or `([network_input, label], x and the label's
    one-hot code side by side)` for a conditional network (Sohn et al. concatenate the
    one-hot label)."""
    if not num_classes:
        return network_input, x
    label = label_input()
    one_hot = keras.layers.CategoryEncoding(num_classes, output_mode="one_hot",
                                            name="label_one_hot")(label)
    return [network_input, label], keras.layers.Concatenate(name=name)([x, one_hot])


def _encoder(image_shape, architecture, hidden_units, filters, latent_dim, activation,
             num_classes):
    """Image (and label) to the `moments` of q(z|x): the means, then the log-variances."""
    images = keras.Input(image_shape, name="image")
    x = images
    if architecture == "conv":
        for index, count in enumerate(filters, start=1):
            x = keras.layers.Conv2D(count, 3, strides=2, padding="same", activation=activation,
                                    name=f"conv_{index}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    inputs, x = _with_label(images, x, num_classes, "features_and_label")
    for index, units in enumerate(hidden_units, start=1):
        x = keras.layers.Dense(units, activation=activation, name=f"dense_{index}")(x)
    moments = keras.layers.Dense(2 * latent_dim, name="moments")(x)
    return keras.Model(inputs, moments, name="encoder")


def _decoder(image_shape, architecture, hidden_units, filters, latent_dim, activation,
             num_classes):
    """Latent code (and label) to the logits of p(x|z), one per pixel."""
    code = keras.Input((latent_dim,), name="latent")
    inputs, x = _with_label(code, code, num_classes, "latent_and_label")
    for index, units in enumerate(reversed(hidden_units), start=1):
        x = keras.layers.Dense(units, activation=activation, name=f"dense_{index}")(x)
    if architecture == "conv":
        factor = 2 ** len(filters)
        small = (image_shape[0] // factor, image_shape[1] // factor, filters[-1])
        x = keras.layers.Dense(math.prod(small), activation=activation, name="expand")(x)
        x = keras.layers.Reshape(small, name="reshape")(x)
        for index, count in enumerate(reversed(filters[:-1]), start=1):
            x = keras.layers.Conv2DTranspose(count, 3, strides=2, padding="same",
                                             activation=activation, name=f"deconv_{index}")(x)
        logits = keras.layers.Conv2DTranspose(image_shape[-1], 3, strides=2, padding="same",
                                              name="logits")(x)
    else:
        x = keras.layers.Dense(math.prod(image_shape), name="logits")(x)
        logits = keras.layers.Reshape(image_shape, name="image_logits")(x)
    return keras.Model(inputs, logits, name="decoder")


@keras.saving.register_keras_serializable(package="zoo")
class VariationalAutoencoder(keras.Model):
    """A VAE with a Gaussian encoder and a Bernoulli decoder (see the module docstring).

    Args:
        image_shape: one image's (height, width, channels); pixels in [0, 1], binary in
            the likelihood's eyes.
        latent_dim: the code's size.
        architecture: "dense" (hidden_units) or "conv" (strided convolutions of `filters`,
            then hidden_units; the decoder mirrors it with transposed convolutions).
        hidden_units: widths of the dense layers between image (or feature map) and code.
        filters: the convolutions' channels ("conv" only); height and width must divide
            by 2 ** len(filters).
        activation: of the hidden layers.
        seed: the sampling of codes during training and `sample`'s default.
        num_classes: None, or the number of classes of a conditional VAE: both networks
            then take a label beside the image (or code), the model is called on
            `{"image": x, "label": y}`, and trains on `(images, labels)` batches.
    """

    def __init__(self, image_shape=(28, 28, 1), latent_dim=32, architecture="dense",
                 hidden_units=(512, 256), filters=(32, 64), activation="relu", seed=None,
                 num_classes=None, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = _validate.shape("image_shape", image_shape, rank=3)
        self.latent_dim = _validate.positive_int("latent_dim", latent_dim)
        self.architecture = _validate.choice("architecture", architecture, ARCHITECTURES)
        self.hidden_units = _validate.widths("hidden_units", hidden_units) \
            if hidden_units else ()
        self.filters = _validate.widths("filters", filters) if architecture == "conv" else ()
        factor = 2 ** len(self.filters)
        if self.image_shape[0] % factor or self.image_shape[1] % factor:
            raise ValueError(f"image_shape={self.image_shape!r}: height and width must divide "
                             f"by {factor} for {len(self.filters)} stride-2 convolutions.")
        self.activation = check_activation(activation)
        self.seed = seed
        self.num_classes = num_classes_or_none(num_classes, "VAE")
        parts = (self.image_shape, self.architecture, self.hidden_units, self.filters,
                 self.latent_dim, self.activation, self.num_classes)
        self.encoder, self.decoder = _encoder(*parts), _decoder(*parts)
        self.noise = keras.random.SeedGenerator(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    @property
    def conditional(self) -> bool:
        return self.num_classes is not None

    # --- the model --------------------------------------------------------------------------

    def encode(self, images, labels=None, training=False):
        """(mean, log_variance) of q(z|x) (q(z|x, y) when conditional), each
        [batch, latent_dim]."""
        moments = self.encoder(self._with_labels(images, labels), training=training)
        return moments[:, :self.latent_dim], moments[:, self.latent_dim:]

    def decode(self, codes, labels=None, training=False):
        """Pixel probabilities of p(x|z) (p(x|z, y) when conditional) for a batch of codes
        [batch, latent_dim]."""
        return ops.sigmoid(self.decoder(self._with_labels(codes, labels), training=training))

    def call(self, inputs, training=False):
        """The reconstruction of images (`{"image": x, "label": y}` when conditional)
        through the mean of their code (deterministic)."""
        images, labels = split_inputs(inputs, "image", self.num_classes, "VAE")
        mean, _ = self.encode(images, labels, training=training)
        return self.decode(mean, labels, training=training)

    def compute_output_shape(self, input_shape):
        # The images' shape, given alone or beside the labels' (or by name).
        if isinstance(input_shape, dict):
            return tuple(input_shape["image"])
        if input_shape and isinstance(input_shape[0], (tuple, list)):
            return tuple(input_shape[0])
        return tuple(input_shape)

    def sample(self, count: int | None = None, seed=None, labels=None):
        """Pixel probabilities of `count` images decoded from codes drawn from N(0, I). A
        conditional VAE takes `labels` (one per image) or, without them, cycles through its
        classes."""
        count, labels = sampling_labels(count, labels, self.num_classes, "VAE")
        codes = keras.random.normal((count, self.latent_dim),
                                    seed=self.seed if seed is None else seed)
        return self.decode(codes, labels)

    def _with_labels(self, x, labels):
        """A network's input: `x`, or `[x, labels]` (checked) when conditional."""
        if not self.conditional:
            if labels is not None:
                raise ValueError("this VAE is unconditional: it takes no labels.")
            return x
        if labels is None:
            raise ValueError(f"this VAE is conditional on {self.num_classes} classes: pass "
                             "labels (one per image).")
        # Both as tensors: Keras refuses a NumPy batch beside the checked labels' tensor.
        return [ops.convert_to_tensor(x, "float32"), checked_labels(labels, self.num_classes)]

    # --- the objective ----------------------------------------------------------------------

    def elbo_terms(self, images, labels=None, training=False, noise=None):
        """Per image: the reconstruction term -log p(x|z) for one reparameterised sample
        z = mean + sigma * noise (`noise` drawn from N(0, I) unless given), and
        KL(q(z|x) || N(0, I)); their sum is the negative ELBO, in nats. (Given y, for a
        conditional VAE, each term is conditioned on it too.)"""
        _validate.image_batch(images, self.image_shape, model="VAE")
        mean, log_variance = self.encode(images, labels, training=training)
        eps = keras.random.normal(ops.shape(mean), seed=self.noise) if noise is None else noise
        codes = mean + ops.exp(0.5 * log_variance) * eps
        logits = self.decoder(self._with_labels(codes, labels), training=training)
        reconstruction = _bernoulli_nll(images, logits)
        kl = 0.5 * ops.sum(ops.exp(log_variance) + ops.square(mean) - 1.0 - log_variance,
                           axis=-1)
        return reconstruction, kl

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The negative ELBO averaged over the batch; `y_pred` does not enter it, nor `y`
        unless it holds a conditional VAE's labels."""
        reconstruction, kl = self.elbo_terms(*self._images_and_labels(x, y), training=training)
        return ops.mean(reconstruction + kl)

    def _images_and_labels(self, x, y):
        """A batch's images, and its labels when conditional: from `x` when it holds both
        (by name or as a pair), else `y`, as `zoo.data` gives `(images, labels)`."""
        if isinstance(x, (dict, tuple, list)):
            return split_inputs(x, "image", self.num_classes, "VAE")
        return x, (y if self.conditional else None)

    def _step(self, data, training):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        reconstruction, kl = self.elbo_terms(*self._images_and_labels(x, y), training=training)
        loss = ops.mean(reconstruction + kl)
        return loss, reconstruction, kl

    def _report(self, loss, reconstruction, kl):
        self.loss_tracker.update_state(loss)
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        return {metric.name: metric.result() for metric in self.metrics}

    def train_step(self, data):
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss, reconstruction, kl = self._step(data, training=True)
            scaled = self.optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables, strict=True))
        return self._report(loss, reconstruction, kl)

    def test_step(self, data):
        return self._report(*self._step(data, training=False))

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

    # --- the likelihood ---------------------------------------------------------------------

    def log_likelihood(self, images, labels=None, samples: int = 5000, seed: int = 0,
                       chunk: int = 500):
        """An importance-sampled estimate of log p(x) per image, in nats (Burda et al.,
        2016): log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x) with K = `samples` codes drawn
        from q(z|x). Its expectation is a lower bound on log p(x) that tightens as K grows
        (K = 1 is the ELBO). `chunk` codes per image are decoded at a time. A conditional
        VAE bounds log p(x|y) from the images' `labels`."""
        import tensorflow as tf

        samples = _validate.positive_int("samples", samples)
        chunk = min(_validate.positive_int("chunk", chunk), samples)
        images = tf.convert_to_tensor(images, tf.float32)
        _validate.image_batch(images, self.image_shape, model="VAE")
        mean, log_variance = self.encode(images, labels)
        generator = keras.random.SeedGenerator(seed)
        total, drawn = None, 0
        while drawn < samples:
            count = min(chunk, samples - drawn)
            log_weights = self._log_weights(images, labels, mean, log_variance, count,
                                            generator)
            part = tf.reduce_logsumexp(log_weights, axis=1)
            total = part if total is None else tf.reduce_logsumexp(
                tf.stack([total, part]), axis=0)
            drawn += count
        return total - math.log(samples)

    def _log_weights(self, images, labels, mean, log_variance, count, generator):
        """log p(x|z) + log p(z) - log q(z|x) for `count` codes per image: [batch, count]."""
        batch = ops.shape(mean)[0]
        eps = keras.random.normal((batch, count, self.latent_dim), seed=generator)
        codes = mean[:, None] + ops.exp(0.5 * log_variance)[:, None] * eps
        repeated_labels = None if labels is None else ops.repeat(labels, count, axis=0)
        logits = self.decoder(self._with_labels(ops.reshape(codes, (-1, self.latent_dim)),
                                                repeated_labels))
        repeated = ops.repeat(images, count, axis=0)
        log_px = -ops.reshape(_bernoulli_nll(repeated, logits), (batch, count))
        log_pz = -0.5 * ops.sum(ops.square(codes) + LOG_2PI, axis=-1)
        log_qz = -0.5 * ops.sum(ops.square(eps) + log_variance[:, None] + LOG_2PI, axis=-1)
        return log_px + log_pz - log_qz

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape,
                "latent_dim": self.latent_dim, "architecture": self.architecture,
                "hidden_units": self.hidden_units, "filters": self.filters,
                "activation": self.activation, "seed": self.seed,
                "num_classes": self.num_classes}


def _bernoulli_nll(images, logits):
    """-log p(x|z) per image: binary cross-entropy from logits, summed over pixels."""
    # max(l, 0) - l * x + log(1 + exp(-|l|)): stable for any logit.
    per_pixel = (ops.relu(logits) - logits * images
                 + ops.log1p(ops.exp(-ops.abs(logits))))
    return ops.sum(ops.reshape(per_pixel, (ops.shape(per_pixel)[0], -1)), axis=-1)

