"""Generative adversarial networks on MNIST, each a
`zoo.generative.gan.GenerativeAdversarialNetwork`: the dense GAN of Goodfellow et al. (2014),
the DCGAN of Radford, Metz and Chintala (2016), and their class-conditional forms (Mirza and
Osindero, 2014). Their recipes follow Radford et al.: Adam at 2e-4 with beta_1 = 0.5, and
every epoch run (no logged figure tracks sample quality, so nothing stops early);
`benchmarks/gans.py` measures the samples with an MNIST classifier.
"""

import dataclasses

from zoo.models._common import scaled_widths
from zoo.registry import Recipe, Reference, register, search_space

GOODFELLOW = Reference("Generative adversarial nets", "Goodfellow, I. et al.", 2014,
                       "https://arxiv.org/abs/1406.2661")
RADFORD = Reference("Unsupervised representation learning with deep convolutional generative "
                    "adversarial networks", "Radford, A., Metz, L. and Chintala, S.", 2016,
                    "https://arxiv.org/abs/1511.06434")
MIRZA = Reference("Conditional generative adversarial nets", "Mirza, M. and Osindero, S.",
                  2014, "https://arxiv.org/abs/1411.1784")

RECIPE = Recipe(loss="adversarial", optimizer="adam", learning_rate=2e-4,
                optimizer_options={"beta_1": 0.5}, epochs=30, batch_size=64, monitor=None)
CONV_RECIPE = dataclasses.replace(RECIPE, epochs=15)
COMMON = dict(family="gan", task="generation", api="subclass", input_shape=(100,),
              input_name="latent", dataset="mnist")


def _adversarial_space(hp) -> dict:
    """What every GAN here searches: the code size, the discriminator's dropout and
    one-sided label smoothing (Salimans et al., 2016, "Improved techniques for training
    GANs", section 3.4)."""
    return {"latent_dim": hp.Choice("latent_dim", [50, 100, 200], default=100),
            "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1, default=0.3),
            "label_smoothing": hp.Choice("label_smoothing", [0.0, 0.1, 0.2])}


def dense_gan_space(hp) -> dict:
    """The dense GANs' width (the generator's 256-512-1024 units and the discriminator's
    mirror scaled together), code size, dropout and label smoothing: the balance of the two
    players' capacities and how hard the discriminator is pushed (Goodfellow et al., 2014;
    Salimans et al., 2016)."""
    width = hp.Choice("width", [0.5, 1.0, 2.0], default=1.0)
    return {**_adversarial_space(hp), "hidden_units": scaled_widths((256, 512, 1024), width)}


def conv_gan_space(hp) -> dict:
    """The DCGANs' width (the 128-64 filters of generator and discriminator scaled
    together), code size, dropout and label smoothing (Radford et al., 2016; Salimans et al.,
    2016)."""
    width = hp.Choice("width", [0.5, 1.0, 2.0], default=1.0)
    return {**_adversarial_space(hp), "filters": scaled_widths((128, 64), width)}


@search_space(dense_gan_space)
@register("gan", **COMMON, recipe=RECIPE, reference=GOODFELLOW)
def gan(image_shape=(28, 28, 1), latent_dim=100, hidden_units=(256, 512, 1024), dropout=0.3,
        label_smoothing=0.0, seed=None, name="gan"):
    """A dense GAN: a generator MLP of 256, 512 and 1,024 units (batch-normalised, LeakyReLU)
    to tanh pixels, and a discriminator MLP of 1,024, 512 and 256 units with dropout, playing
    the non-saturating game of Goodfellow et al. (2014)."""
    from zoo.generative.gan import GenerativeAdversarialNetwork

    return GenerativeAdversarialNetwork(image_shape, latent_dim, None, "dense", hidden_units,
                                        dropout=dropout, label_smoothing=label_smoothing,
                                        seed=seed, name=name)


@search_space(conv_gan_space)
@register("dcgan", **COMMON, recipe=CONV_RECIPE, reference=RADFORD)
def dcgan(image_shape=(28, 28, 1), latent_dim=100, filters=(128, 64), dropout=0.3,
          label_smoothing=0.0, seed=None, name="dcgan"):
    """A DCGAN (Radford et al., 2016): z projected to a 7x7x128 map, then 4x4 stride-2
    transposed convolutions to 14x14x64 and the 28x28 image, batch-normalised with ReLU; the
    discriminator mirrors it with stride-2 convolutions, LeakyReLU and dropout."""
    from zoo.generative.gan import GenerativeAdversarialNetwork

    return GenerativeAdversarialNetwork(image_shape, latent_dim, None, "conv", filters=filters,
                                        dropout=dropout, label_smoothing=label_smoothing,
                                        seed=seed, name=name)


@search_space(dense_gan_space)
@register("cgan", **COMMON, recipe=RECIPE, reference=MIRZA, num_classes=10)
def cgan(image_shape=(28, 28, 1), latent_dim=100, num_classes=10,
         hidden_units=(256, 512, 1024), dropout=0.3, label_smoothing=0.0, seed=None,
         name="cgan"):
    """A class-conditional dense GAN (Mirza and Osindero, 2014): the dense GAN with a learned
    label vector joined to z in the generator and to the flattened image in the
    discriminator, so that both play the game per class."""
    from zoo.generative.gan import GenerativeAdversarialNetwork

    return GenerativeAdversarialNetwork(image_shape, latent_dim, num_classes, "dense",
                                        hidden_units, dropout=dropout,
                                        label_smoothing=label_smoothing, seed=seed, name=name)


@search_space(conv_gan_space)
@register("conditional_dcgan", **COMMON, recipe=CONV_RECIPE, reference=MIRZA, num_classes=10)
def conditional_dcgan(image_shape=(28, 28, 1), latent_dim=100, num_classes=10,
                      filters=(128, 64), dropout=0.3, label_smoothing=0.0, seed=None,
                      name="conditional_dcgan"):
    """A class-conditional DCGAN: the DCGAN with a learned label vector joined to z, and a
    learned 28x28 label plane as the discriminator's second input channel (Mirza and
    Osindero's conditioning on Radford et al.'s networks)."""
    from zoo.generative.gan import GenerativeAdversarialNetwork

    return GenerativeAdversarialNetwork(image_shape, latent_dim, num_classes, "conv",
                                        filters=filters, dropout=dropout,
                                        label_smoothing=label_smoothing, seed=seed, name=name)
