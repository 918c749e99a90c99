"""Generative adversarial networks (Goodfellow et al., 2014), their convolutional form
(DCGAN: Radford, Metz and Chintala, 2016) and their class-conditional form (Mirza and
Osindero, 2014).

A generator G maps a latent code z ~ N(0, I) (and a class label, when conditional) to an
image; a discriminator D maps an image (and the label) to the logit of "this image is real".
They play a two-player game: D minimises the cross-entropy of telling the training images
from G's, and G minimises -log D(G(z)), the non-saturating loss of Goodfellow et al. (2014,
section 3), which gives G strong gradients early on, when D rejects its images easily.

`GenerativeAdversarialNetwork` is a subclassed `keras.Model` with its own `train_step`
and `test_step`, so `zoo.train`, callbacks, `.keras` files and SavedModels work as for any
model. Each step draws a latent batch, computes both losses on one forward pass and updates
both networks from them (simultaneous gradient steps, as TensorFlow's DCGAN tutorial). One
optimizer applies both updates: Adam keeps separate moments for every variable, and both
networks step once per batch, so this is the same as two Adams with the same settings.

What it logs: `d_loss`, `g_loss`, `d_accuracy` (the share of a batch of real and as many
generated images that D classifies right: near 1 while D wins, near 0.5 at the game's
equilibrium, where G's images fool it half the time) and `loss`, the sum of both losses.
No figure logged during training tracks sample quality, so GAN recipes train their epochs
and keep the last one (`Recipe.monitor=None`); `zoo.generative.gan_quality` measures the
samples with a classifier instead.

Pixels are in [0, 1] outside the model, as `zoo.data` gives them; inside, G ends in tanh and
D sees [-1, 1] (Radford et al.'s scaling).
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
from zoo.generative.trackers import TrackedModel, mean_trackers, report

ARCHITECTURES = ("dense", "conv")
LEAK = 0.2  # LeakyReLU slope in D (Radford et al.) and in the dense G


def _one_or_all(inputs):
    """A lone input unwrapped: a Functional model built on a list expects a list."""
    return inputs if len(inputs) > 1 else inputs[0]


def _generator(image_shape, latent_dim, num_classes, architecture, hidden_units, filters):
    """Latent code (and label) to an image in [-1, 1]. Batch normalisation after every hidden
    layer but the output (Radford et al., 2016)."""
    latent = keras.Input((latent_dim,), name="latent")
    inputs, x = [latent], latent
    if num_classes:
        label = label_input()
        inputs.append(label)
        # The label enters as a learned vector beside z (Mirza and Osindero concatenate a
        # one-hot code; an embedding is the same map with trainable rows).
        embedded = keras.layers.Embedding(num_classes, latent_dim, name="label_embedding")(label)
        x = keras.layers.Concatenate(name="latent_and_label")([latent, embedded])
    if architecture == "dense":
        for index, units in enumerate(hidden_units, start=1):
            x = keras.layers.Dense(units, use_bias=False, name=f"dense_{index}")(x)
            x = keras.layers.BatchNormalization(name=f"dense_{index}_bn")(x)
            x = keras.layers.LeakyReLU(LEAK, name=f"dense_{index}_leaky_relu")(x)
        x = keras.layers.Dense(math.prod(image_shape), activation="tanh", name="pixels")(x)
        image = keras.layers.Reshape(image_shape, name="image")(x)
        return keras.Model(_one_or_all(inputs), image, name="generator")
    factor = 2 ** len(filters)
    small = (image_shape[0] // factor, image_shape[1] // factor, filters[0])
    x = keras.layers.Dense(math.prod(small), use_bias=False, name="project")(x)
    x = keras.layers.BatchNormalization(name="project_bn")(x)
    x = keras.layers.ReLU(name="project_relu")(x)
    x = keras.layers.Reshape(small, name="reshape")(x)
    for index, count in enumerate(filters[1:], start=1):
        x = keras.layers.Conv2DTranspose(count, 4, strides=2, padding="same", use_bias=False,
                                         name=f"deconv_{index}")(x)
        x = keras.layers.BatchNormalization(name=f"deconv_{index}_bn")(x)
        x = keras.layers.ReLU(name=f"deconv_{index}_relu")(x)
    image = keras.layers.Conv2DTranspose(image_shape[-1], 4, strides=2, padding="same",
                                         activation="tanh", name="image")(x)
    return keras.Model(_one_or_all(inputs), image, name="generator")


def _discriminator(image_shape, num_classes, architecture, hidden_units, filters, dropout):
    """Image in [-1, 1] (and label) to the logit of "real". LeakyReLU throughout (Radford et
    al.); dropout where they used batch normalisation, so that a batch of real images and
    one of generated images do not normalise each other's statistics."""
    image = keras.Input(image_shape, name="image")
    inputs, x = [image], image
    if num_classes:
        label = label_input()
        inputs.append(label)
    if architecture == "conv":
        if num_classes:
            # The label as one more input channel: a learned map per class.
            plane = keras.layers.Embedding(num_classes, math.prod(image_shape[:2]),
                                           name="label_embedding")(label)
            plane = keras.layers.Reshape((*image_shape[:2], 1), name="label_plane")(plane)
            x = keras.layers.Concatenate(name="image_and_label")([x, plane])
        for index, count in enumerate(reversed(filters), start=1):
            x = keras.layers.Conv2D(count, 4, strides=2, padding="same", name=f"conv_{index}")(x)
            x = keras.layers.LeakyReLU(LEAK, name=f"conv_{index}_leaky_relu")(x)
            x = keras.layers.Dropout(dropout, name=f"conv_{index}_dropout")(x)
        x = keras.layers.Flatten(name="flatten")(x)
    else:
        x = keras.layers.Flatten(name="flatten")(x)
        if num_classes:
            embedded = keras.layers.Embedding(num_classes, 50, name="label_embedding")(label)
            x = keras.layers.Concatenate(name="image_and_label")([x, embedded])
        for index, units in enumerate(reversed(hidden_units), start=1):
            x = keras.layers.Dense(units, name=f"dense_{index}")(x)
            x = keras.layers.LeakyReLU(LEAK, name=f"dense_{index}_leaky_relu")(x)
            x = keras.layers.Dropout(dropout, name=f"dense_{index}_dropout")(x)
    logit = keras.layers.Dense(1, name="logit")(x)
    return keras.Model(_one_or_all(inputs), logit, name="discriminator")


@keras.saving.register_keras_serializable(package="zoo")
class GenerativeAdversarialNetwork(TrackedModel):
    """A GAN, a DCGAN or a class-conditional one (see the module docstring).

    Calling it on a latent batch `z` (unconditional) or on `{"latent": z, "label": y}`
    (conditional) generates images in [0, 1]; `sample` draws the codes itself;
    `discriminate` gives D's probability that images are real.

    Args:
        image_shape: one image's (height, width, channels).
        latent_dim: the size of z.
        num_classes: None for an unconditional GAN; the number of classes that condition
            both networks otherwise (labels 0 .. num_classes - 1).
        architecture: "dense" (MLPs of `hidden_units`, G's widths in order and D's
            reversed) or "conv" (DCGAN: G projects z to a (height / 2**len(filters),
            width / 2**len(filters), filters[0]) map and doubles it with stride-2 transposed
            convolutions of filters[1:], then the image; D mirrors it with stride-2
            convolutions).
        hidden_units, filters: the widths for "dense" and "conv".
        dropout: in D, after every hidden layer.
        label_smoothing: D's target for real images is 1 - label_smoothing (one-sided label
            smoothing, Salimans et al., 2016); 0 for the plain game.
        seed: the latent codes drawn in training and `sample`'s default.
    """

    def __init__(self, image_shape=(28, 28, 1), latent_dim=100, num_classes=None,
                 architecture="conv", hidden_units=(256, 512, 1024), filters=(128, 64),
                 dropout=0.3, label_smoothing=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = _validate.shape("image_shape", image_shape, rank=3)
        self.latent_dim = _validate.positive_int("latent_dim", latent_dim)
        self.num_classes = num_classes_or_none(num_classes, "GAN")
        self.architecture = _validate.choice("architecture", architecture, ARCHITECTURES)
        self.hidden_units = _validate.widths("hidden_units", hidden_units) \
            if architecture == "dense" else ()
        self.filters = _validate.widths("filters", filters) if architecture == "conv" else ()
        if architecture == "conv":
            if len(self.filters) < 2:
                raise ValueError(f"filters={tuple(filters)!r}: a DCGAN needs at least two "
                                 "(the projected map's channels, then one per upsampling).")
            factor = 2 ** len(self.filters)
            if self.image_shape[0] % factor or self.image_shape[1] % factor:
                raise ValueError(
                    f"image_shape={self.image_shape!r}: height and width must divide by "
                    f"{factor} for {len(self.filters)} stride-2 (transposed) convolutions.")
        self.dropout = _validate.fraction("dropout", dropout)
        self.label_smoothing = _validate.fraction("label_smoothing", label_smoothing)
        if self.label_smoothing >= 0.5:
            raise ValueError(f"label_smoothing={label_smoothing!r} must be below 0.5: at 0.5 "
                             "the discriminator's target for real images is a coin flip.")
        self.seed = seed
        self.generator = _generator(self.image_shape, self.latent_dim, self.num_classes,
                                    self.architecture, self.hidden_units, self.filters)
        self.discriminator = _discriminator(self.image_shape, self.num_classes,
                                            self.architecture, self.hidden_units,
                                            self.filters, self.dropout)
        self.noise = keras.random.SeedGenerator(seed)
        self.trackers = mean_trackers("loss", "d_loss", "g_loss", "d_accuracy")
        self.built = True  # both networks are Functional models, built when made

    @property
    def conditional(self) -> bool:
        return self.num_classes is not None

    # --- generating and judging --------------------------------------------------------------

    def call(self, inputs, training=False):
        """Images in [0, 1] from a latent batch (and labels, when conditional)."""
        latent, labels = self._latent_and_labels(inputs)
        return self._generate(latent, labels, training)

    def compute_output_shape(self, input_shape):
        # The latent batch's shape, given alone or first beside the labels' (or by name).
        if isinstance(input_shape, dict):
            input_shape = input_shape["latent"]
        elif input_shape and isinstance(input_shape[0], (tuple, list)):
            input_shape = input_shape[0]
        return (input_shape[0], *self.image_shape)

    def sample(self, count: int | None = None, seed=None, labels=None):
        """Images in [0, 1] from `count` codes drawn from N(0, I). A conditional GAN takes
        `labels` (one per image) or, without them, cycles through its classes."""
        count, labels = sampling_labels(count, labels, self.num_classes, "GAN")
        latent = keras.random.normal((count, self.latent_dim),
                                     seed=self.seed if seed is None else seed)
        return self._generate(latent, labels, training=False)

    def discriminate(self, images, labels=None):
        """D's probability that each image (in [0, 1]) is a real one, [batch]."""
        _validate.image_batch(images, self.image_shape, model="GAN")
        if self.conditional and labels is None:
            raise ValueError("this discriminator is conditional: pass labels= (one per image).")
        logits = self._discriminate(ops.cast(images, "float32") * 2.0 - 1.0,
                                    self._checked_labels(labels), training=False)
        return ops.sigmoid(logits)

    def _generate(self, latent, labels, training):
        inputs = [latent, self._checked_labels(labels)] if self.conditional else latent
        return (self.generator(inputs, training=training) + 1.0) / 2.0

    def _discriminate(self, signed_images, labels, training):
        inputs = [signed_images, labels] if self.conditional else signed_images
        return ops.squeeze(self.discriminator(inputs, training=training), axis=-1)

    def _latent_and_labels(self, inputs):
        """(latent, labels or None) from what `call` was given, checked."""
        latent, labels = split_inputs(inputs, "latent", self.num_classes, "GAN")
        if latent.shape[-1] != self.latent_dim:
            raise ValueError(f"latent batch of shape {tuple(latent.shape)}: this generator "
                             f"takes (batch, {self.latent_dim}).")
        return latent, labels

    def _checked_labels(self, labels):
        return checked_labels(labels, self.num_classes)

    # --- the game ----------------------------------------------------------------------------

    def adversarial_losses(self, real_images, labels=None, latent=None, training=False):
        """(d_loss, g_loss, d_accuracy) on a batch of real images in [0, 1] and as many
        generated from `latent` (drawn from N(0, I) unless given), with the real images'
        labels when conditional."""
        _validate.image_batch(real_images, self.image_shape, model="GAN")
        if self.conditional and labels is None:
            raise ValueError("a conditional GAN trains on (image, label) pairs: the batch has "
                             "no labels.")
        labels = self._checked_labels(labels)
        batch = ops.shape(real_images)[0]
        if latent is None:
            latent = keras.random.normal((batch, self.latent_dim), seed=self.noise)
        fake = self.generator([latent, labels] if self.conditional else latent,
                              training=training)
        real_logits = self._discriminate(ops.cast(real_images, "float32") * 2.0 - 1.0,
                                         labels, training)
        fake_logits = self._discriminate(fake, labels, training)
        return self._game_losses(real_logits, fake_logits)

    def _game_losses(self, real_logits, fake_logits):
        target = 1.0 - self.label_smoothing
        # Cross-entropy from logits: -log sigmoid(l) = softplus(-l), -log(1 - sigmoid(l)) =
        # softplus(l).
        d_loss = ops.mean(target * ops.softplus(-real_logits)
                          + (1.0 - target) * ops.softplus(real_logits)) \
            + ops.mean(ops.softplus(fake_logits))
        g_loss = ops.mean(ops.softplus(-fake_logits))  # non-saturating: -log D(G(z))
        right = ops.concatenate([ops.cast(real_logits > 0, "float32"),
                                 ops.cast(fake_logits < 0, "float32")])
        return d_loss, g_loss, ops.mean(right)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The sum of both players' losses with `x` the latent batch (and labels), `y` real
        images and `y_pred` the images generated from `x`: every variable of both networks
        gets a gradient from it (what the registry sweep checks). Training does not descend
        it: `train_step` steps each network on its own loss."""
        latent, labels = self._latent_and_labels(x)
        fake = ops.cast(y_pred, "float32") * 2.0 - 1.0
        real = ops.cast(y, "float32") * 2.0 - 1.0
        labels = self._checked_labels(labels)
        d_loss, g_loss, _ = self._game_losses(self._discriminate(real, labels, training),
                                         self._discriminate(fake, labels, training))
        return d_loss + g_loss

    def train_step(self, data):
        import tensorflow as tf

        images, labels = self._images_and_labels(data)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            d_loss, g_loss, accuracy = self.adversarial_losses(images, labels, training=True)
            g_scaled = self.optimizer.scale_loss(g_loss)
            d_scaled = self.optimizer.scale_loss(d_loss)
        g_variables = self.generator.trainable_variables
        d_variables = self.discriminator.trainable_variables
        gradients = g_tape.gradient(g_scaled, g_variables) \
            + d_tape.gradient(d_scaled, d_variables)
        self.optimizer.apply_gradients(zip(gradients, g_variables + d_variables, strict=True))
        return self._report(d_loss, g_loss, accuracy)

    def test_step(self, data):
        images, labels = self._images_and_labels(data)
        return self._report(*self.adversarial_losses(images, labels, training=False))

    def _images_and_labels(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        # A conditional GAN needs the labels; an unconditional one ignores them.
        return x, (y if self.conditional else None)

    def _report(self, d_loss, g_loss, accuracy):
        values = {"loss": d_loss + g_loss, "d_loss": d_loss, "g_loss": g_loss,
                  "d_accuracy": accuracy}
        return report(self.trackers, values)

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape,
                "latent_dim": self.latent_dim, "num_classes": self.num_classes,
                "architecture": self.architecture, "hidden_units": self.hidden_units,
                "filters": self.filters, "dropout": self.dropout,
                "label_smoothing": self.label_smoothing, "seed": self.seed}

