"""Variational autoencoders on binarised MNIST, each a
`zoo.generative.vae.VariationalAutoencoder` (Kingma and Welling, 2014): a dense one, a
convolutional one, and a dense one conditioned on the digit's class (Sohn et al., 2015).
Their recipes binarise every training image anew each epoch (each pixel on with probability
its grey level) and train on the negative ELBO; `benchmarks/vae.py` records the test ELBO
and an importance-sampled bound on the log-likelihood (of x given its label, for the
conditional one).
"""

import dataclasses

from zoo.models._common import scaled_widths
from zoo.registry import Recipe, Reference, register, search_space

KINGMA_WELLING = Reference("Auto-encoding variational Bayes", "Kingma, D. P. and Welling, M.",
                           2014, "https://arxiv.org/abs/1312.6114")
SOHN = Reference("Learning structured output representation using deep conditional "
                 "generative models", "Sohn, K., Lee, H. and Yan, X.", 2015,
                 "https://papers.nips.cc/paper/5775")

RECIPE = Recipe(loss="negative_elbo", epochs=60, batch_size=100,
                dataset_options={"augment": "binarize"}, patience=10)
# Half the epochs for the convolutional one: each costs about three times the dense one's on
# a CPU.
CONV_RECIPE = dataclasses.replace(RECIPE, epochs=30)
COMMON = dict(family="vae", task="density-estimation", api="subclass",
              input_shape=(28, 28, 1), input_name="image", dataset="mnist",
              reference=KINGMA_WELLING)


def dense_vae_space(hp) -> dict:
    """The code size, the depth (the first 1 or 2 of the 512-256 layers) and width of the
    encoder and decoder MLPs, and their activation: Kingma and Welling (2014, section 5)
    compare code sizes and use one tanh layer, where these default to two ReLU ones."""
    layers = hp.Int("layers", 1, 2, default=2)
    width = hp.Choice("width", [0.5, 1.0, 2.0], default=1.0)
    return {"latent_dim": hp.Choice("latent_dim", [8, 16, 32, 64], default=32),
            "hidden_units": scaled_widths((512, 256)[:layers], width),
            "activation": hp.Choice("activation", ["relu", "tanh"])}


def conv_vae_space(hp) -> dict:
    """The code size, the convolutions' width (their 32-64 filters scaled) and the dense
    layer's units: the bottleneck and the capacity on either side of it (Kingma and
    Welling, 2014). Two convolutions stay, which 28x28 images need."""
    width = hp.Choice("width", [0.5, 1.0, 2.0], default=1.0)
    return {"latent_dim": hp.Choice("latent_dim", [8, 16, 32, 64], default=32),
            "filters": scaled_widths((32, 64), width),
            "hidden_units": (hp.Choice("units", [128, 256, 512], default=256),)}


@search_space(dense_vae_space)
@register("vae", **COMMON, recipe=RECIPE)
def vae(input_shape=(28, 28, 1), latent_dim=32, hidden_units=(512, 256), activation="relu",
        seed=None, name="vae"):
    """A dense VAE: the Gaussian encoder and Bernoulli decoder MLPs of Kingma and Welling
    (2014, Appendix C), here with two ReLU layers each way (512 and 256 units, where they
    used one tanh layer) and a `latent_dim` Gaussian code."""
    from zoo.generative.vae import VariationalAutoencoder

    return _built(VariationalAutoencoder(input_shape, latent_dim, "dense", hidden_units,
                                         activation=activation, seed=seed, name=name))


@search_space(conv_vae_space)
@register("conv_vae", **COMMON, recipe=CONV_RECIPE)
def conv_vae(input_shape=(28, 28, 1), latent_dim=32, filters=(32, 64), hidden_units=(256,),
             activation="relu", seed=None, name="conv_vae"):
    """A convolutional VAE: strided 3x3 convolutions down to a dense layer and the code, and
    transposed convolutions back up."""
    from zoo.generative.vae import VariationalAutoencoder

    return _built(VariationalAutoencoder(input_shape, latent_dim, "conv", hidden_units,
                                         filters, activation, seed, name=name))


@search_space(dense_vae_space)
@register("cvae", **{**COMMON, "reference": SOHN}, recipe=RECIPE, num_classes=10)
def cvae(input_shape=(28, 28, 1), latent_dim=32, num_classes=10, hidden_units=(512, 256),
         activation="relu", seed=None, name="cvae"):
    """A conditional VAE: the dense VAE with the digit's one-hot label beside the image in
    the encoder and beside the code in the decoder (Sohn, Lee and Yan, 2015), bounding
    log p(x|y). Called on `{"image": x, "label": y}`; `sample(labels=...)` draws digits of
    the classes asked for."""
    from zoo.generative.vae import VariationalAutoencoder

    return _built(VariationalAutoencoder(input_shape, latent_dim, "dense", hidden_units,
                                         activation=activation, seed=seed,
                                         num_classes=num_classes, name=name))


def _built(model):
    """Built on a batch so that summary, count_params and export know its shape (a
    conditional VAE on a one-image batch and its label; an unconditional one symbolically)."""
    if model.conditional:
        import numpy as np

        model({"image": np.zeros((1, *model.image_shape), "float32"),
               "label": np.zeros((1,), "int32")})
    else:
        model.build((None, *model.image_shape))
    return model
