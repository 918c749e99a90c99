"""Anomaly detection with a GAN and an encoder (f-AnoGAN: Schlegl, Seeböck, Waldstein, Langs
and Schmidt-Erfurth, 2019).

A GAN trained on normal images only learns to draw normal images: an image the generator can
draw closely is normal, one it cannot is an anomaly. AnoGAN (Schlegl et al., 2017) searched
the latent space for the closest drawing of each test image by gradient descent, hundreds of
steps per image. f-AnoGAN trains an encoder E instead, once, to map an image to the code of
its drawing, with the GAN frozen, on the "izi_f" loss

    A(x) = ||x - G(E(x))||^2 / n  +  kappa * ||f(x) - f(G(E(x)))||^2 / n_f,

the mean squared residual of the image and of the discriminator's features f (its layer
before the logit), and scores each test image by the same A(x) in one forward pass.

`EncodedGAN` holds the DCGAN (`zoo.generative.gan`) and the encoder. Its `adapt` trains the
GAN on the training images (the first step `zoo.train` runs on a new model, as a deep belief
network's pretraining); its `train_step` then trains the encoder alone. Called on images, it
returns their anomaly scores. Unlike Schlegl et al.: the GAN plays the non-saturating game
of the zoo's DCGAN rather than a Wasserstein one with gradient penalty.
"""

from __future__ import annotations

import keras
from keras import ops

from zoo import _validate
from zoo.data.pipeline import inputs_only
from zoo.generative.trackers import TrackedModel, mean_trackers, report


def _encoder(image_shape, latent_dim, filters):
    """Image in [0, 1] to a latent code: the discriminator's stride-2 convolutions (LeakyReLU)
    and a linear code, unbounded like the generator's N(0, I) prior."""
    from zoo.generative.gan import LEAK

    image = keras.Input(image_shape, name="image")
    x = keras.layers.Rescaling(2.0, offset=-1.0, name="signed")(image)
    for index, count in enumerate(reversed(filters), start=1):
        x = keras.layers.Conv2D(count, 4, strides=2, padding="same", name=f"conv_{index}")(x)
        x = keras.layers.LeakyReLU(LEAK, name=f"conv_{index}_leaky_relu")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    code = keras.layers.Dense(latent_dim, name="latent")(x)
    return keras.Model(image, code, name="encoder")


@keras.saving.register_keras_serializable(package="zoo")
class EncodedGAN(TrackedModel):
    """f-AnoGAN (see the module docstring): called on images in [0, 1], it returns each
    image's anomaly score A(x), higher for images less like the training data.

    Args:
        image_shape: one image's (height, width, channels).
        latent_dim: the GAN's code size.
        filters: the DCGAN's widths (`zoo.generative.gan.GenerativeAdversarialNetwork`); the
            encoder mirrors its discriminator.
        dropout: in the discriminator.
        gan_epochs: epochs of GAN training in `adapt`; 0 leaves the GAN untrained (an
            ablation: the encoder then fits a random generator).
        gan_learning_rate: Adam's step for the GAN (beta_1 = 0.5, as Radford et al.).
        kappa: the weight of the feature residual in the loss and the score.
        seed: the GAN's latent draws.
    """

    def __init__(self, image_shape=(28, 28, 1), latent_dim=100, filters=(128, 64), dropout=0.3,
                 gan_epochs=10, gan_learning_rate=2e-4, kappa=1.0, seed=None, **kwargs):
        from zoo.generative.gan import GenerativeAdversarialNetwork

        super().__init__(**kwargs)
        self.gan = GenerativeAdversarialNetwork(image_shape, latent_dim, None, "conv",
                                                filters=filters, dropout=dropout, seed=seed,
                                                name="gan")
        # Frozen, but for `adapt`: `fit` trains the encoder alone.
        self.gan.trainable = False
        self.image_shape, self.latent_dim = self.gan.image_shape, self.gan.latent_dim
        self.filters, self.dropout = self.gan.filters, self.gan.dropout
        self.gan_epochs = _validate.non_negative_int("gan_epochs", gan_epochs,
                                                     zero_means="the GAN stays untrained")
        self.gan_learning_rate = _validate.positive("gan_learning_rate", gan_learning_rate)
        self.kappa = _validate.non_negative("kappa", kappa)
        self.seed = seed
        self.encoder = _encoder(self.image_shape, self.latent_dim, self.filters)
        discriminator = self.gan.discriminator
        self.features = keras.Model(discriminator.input,
                                    discriminator.get_layer("flatten").output,
                                    name="discriminator_features")
        # Whether `adapt` has trained the GAN (saved with the weights, so that a loaded model
        # does not train its GAN again).
        self.gan_trained = self.add_weight(shape=(), name="gan_trained", initializer="zeros",
                                           trainable=False)
        self.trackers = mean_trackers("loss", "residual", "feature_residual")
        self.built = True  # the networks are Functional models, built when made

    # --- the GAN, trained first --------------------------------------------------------------

    def is_adapted(self) -> bool:
        """The GAN is trained, or built to stay untrained (`gan_epochs=0`)."""
        return self.gan_epochs == 0 or bool(self.gan_trained.numpy() > 0)

    def adapt(self, dataset, epochs: int | None = None, verbose: int = 0) -> dict:
        """Train the GAN on the images of `dataset` (batches of images, or `(images,
        labels)`: labels are not used) for `epochs` (default `gan_epochs`); returns its
        last epoch's logs."""
        epochs = self.gan_epochs if epochs is None else _validate.positive_int("epochs", epochs)
        self.gan.trainable = True
        try:
            self.gan.compile(optimizer=keras.optimizers.Adam(self.gan_learning_rate,
                                                             beta_1=0.5))
            # The pipeline shuffles itself; Keras cannot shuffle a Dataset.
            history = self.gan.fit(dataset.map(inputs_only), epochs=epochs, verbose=verbose,
                                   shuffle=False)
        finally:
            self.gan.trainable = False
        self.gan_trained.assign(1.0)
        return {name: values[-1] for name, values in history.history.items()}

    # --- scoring -----------------------------------------------------------------------------

    def residuals(self, images, training=False):
        """Per image: the mean squared residual of the image and its drawing G(E(x)) (both in
        [-1, 1]), and of the discriminator's features of the two."""
        _validate.image_batch(images, self.image_shape)
        signed = ops.cast(images, "float32") * 2.0 - 1.0
        drawn = self.gan.generator(self.encoder(images, training=training), training=False)
        axes = tuple(range(1, len(self.image_shape) + 1))
        residual = ops.mean(ops.square(signed - drawn), axis=axes)
        feature_residual = ops.mean(ops.square(self.features(signed, training=False)
                                               - self.features(drawn, training=False)), axis=-1)
        return residual, feature_residual

    def call(self, images, training=False):
        """The anomaly score A(x) of each image, [batch]."""
        residual, feature_residual = self.residuals(images, training=training)
        return residual + self.kappa * feature_residual

    def compute_output_shape(self, input_shape):
        return (input_shape[0],)

    def reconstruct(self, images):
        """G(E(x)) in [0, 1]: the GAN's closest drawing of each image, as the encoder finds it."""
        _validate.image_batch(images, self.image_shape)
        return (self.gan.generator(self.encoder(images), training=False) + 1.0) / 2.0

    # --- the encoder, trained by fit ---------------------------------------------------------

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The batch's mean anomaly score: the izi_f loss the encoder descends."""
        return ops.mean(self(x, training=training))

    def train_step(self, data):
        import tensorflow as tf

        images, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            residual, feature_residual = self.residuals(images, training=True)
            loss = ops.mean(residual + self.kappa * feature_residual)
            scaled = self.optimizer.scale_loss(loss)
        # The GAN stays as `adapt` left it (frozen): only the encoder learns here.
        variables = self.trainable_variables
        gradients = tape.gradient(scaled, variables)
        self.optimizer.apply_gradients(zip(gradients, variables, strict=True))
        return self._report(loss, residual, feature_residual)

    def test_step(self, data):
        images, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        residual, feature_residual = self.residuals(images, training=False)
        return self._report(ops.mean(residual + self.kappa * feature_residual), residual,
                            feature_residual)

    def _report(self, loss, residual, feature_residual):
        return report(self.trackers, {"loss": loss, "residual": residual,
                                      "feature_residual": feature_residual})

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape,
                "latent_dim": self.latent_dim, "filters": self.filters,
                "dropout": self.dropout, "gan_epochs": self.gan_epochs,
                "gan_learning_rate": self.gan_learning_rate, "kappa": self.kappa,
                "seed": self.seed}
