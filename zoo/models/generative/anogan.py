"""GAN-based anomaly detection on Fashion-MNIST, a `zoo.generative.anogan.EncodedGAN`
(f-AnoGAN: Schlegl et al., 2019): a DCGAN trained on normal images, then an encoder to its
latent space, scoring each image by how far the GAN's closest drawing of it is, in pixels and
in the discriminator's features. `benchmarks/autoencoders.py anomaly` measures it on the
held-out-class task, beside the convolutional autoencoder's reconstruction error.
"""

from zoo.models._common import scaled_widths
from zoo.registry import Recipe, Reference, register, search_space

SCHLEGL = Reference("f-AnoGAN: fast unsupervised anomaly detection with generative "
                    "adversarial networks", "Schlegl, T., Seeböck, P., Waldstein, S. M., "
                    "Langs, G. and Schmidt-Erfurth, U.", 2019,
                    "https://doi.org/10.1016/j.media.2019.01.010")

# The encoder's training (the GAN's is the model's adapt step: gan_epochs of Adam at 2e-4,
# beta_1 = 0.5). Adam at 1e-3 on the izi_f loss, early stopped on its validation value.
RECIPE = Recipe(loss="izi_f", optimizer="adam", learning_rate=1e-3, epochs=10, batch_size=64,
                monitor="val_loss", patience=3)


def f_anogan_space(hp) -> dict:
    """The DCGAN's code size, width (its 128-64 filters scaled together) and discriminator
    dropout: what shapes how closely the GAN's drawings, and so the encoder's, follow the
    normal images (Schlegl et al., 2019; the GAN here is Radford et al.'s DCGAN). `kappa`
    weighs the anomaly score's terms, and the GAN's epochs and rate are its training, so
    they stay."""
    width = hp.Choice("width", [0.5, 1.0, 2.0], default=1.0)
    return {"latent_dim": hp.Choice("latent_dim", [50, 100, 200], default=100),
            "filters": scaled_widths((128, 64), width),
            "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1, default=0.3)}


@search_space(f_anogan_space)
@register("f_anogan", family="anogan", task="anomaly-detection", api="subclass",
          input_shape=(28, 28, 1), input_name="image", dataset="fashion_mnist",
          reference=SCHLEGL, recipe=RECIPE)
def f_anogan(image_shape=(28, 28, 1), latent_dim=100, filters=(128, 64), dropout=0.3,
             gan_epochs=10, gan_learning_rate=2e-4, kappa=1.0, seed=None, name="f_anogan"):
    """f-AnoGAN: a DCGAN (the zoo's `dcgan` architecture) trained for `gan_epochs` on the
    training images, then a convolutional encoder to its codes trained on the izi_f loss;
    called on images, it returns their anomaly scores (residual plus `kappa` times the
    discriminator-feature residual of each image and G(E(image)))."""
    from zoo.generative.anogan import EncodedGAN

    return EncodedGAN(image_shape, latent_dim, filters, dropout, gan_epochs,
                      gan_learning_rate, kappa, seed, name=name)
