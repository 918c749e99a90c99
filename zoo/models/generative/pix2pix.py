"""Image-to-image conditional GANs on MNIST, each a `zoo.generative.pix2pix.ImageToImageGAN`
(pix2pix: Isola et al., 2017): super-resolution from 14x14 to 28x28, and inpainting of a
12x12 square. Their data are `(corrupted, clean)` pairs (`zoo.data.load(...,
corrupt=...)`); `benchmarks/image_to_image.py` measures the restored test images beside a
classical answer and beside the same U-Net trained on L1 alone.
"""

from zoo.models._common import scaled_widths
from zoo.registry import Recipe, Reference, register, search_space

ISOLA = Reference("Image-to-image translation with conditional adversarial networks",
                  "Isola, P., Zhu, J.-Y., Zhou, T. and Efros, A. A.", 2017,
                  "https://arxiv.org/abs/1611.07004")

# Isola et al.'s optimiser (Adam at 2e-4, beta_1 = 0.5); no monitor, as for every GAN.
RECIPE = Recipe(loss="pix2pix", optimizer="adam", learning_rate=2e-4,
                optimizer_options={"beta_1": 0.5}, epochs=5, batch_size=64, monitor=None)
COMMON = dict(family="pix2pix", task="image-to-image", api="subclass", input_name="image",
              dataset="mnist", reference=ISOLA)


def pix2pix_space(hp) -> dict:
    """The U-Net's width (its 32-64 filters scaled), its bottleneck and the weight of the L1
    term against the adversarial one: Isola et al. (2017, section 4.2) compare L1 alone,
    the GAN alone and the two at lambda = 100."""
    width = hp.Choice("width", [0.5, 1.0, 2.0], default=1.0)
    return {"filters": scaled_widths((32, 64), width),
            "bottleneck": hp.Choice("bottleneck", [64, 128, 256], default=128),
            "l1_weight": hp.Choice("l1_weight", [10.0, 50.0, 100.0, 200.0], default=100.0)}


@search_space(pix2pix_space)
@register("pix2pix_super_resolution", **COMMON, input_shape=(14, 14, 1),
          recipe=Recipe(**{**RECIPE.__dict__, "dataset_options": {"corrupt": "downsample"}}))
def pix2pix_super_resolution(input_shape=(14, 14, 1), output_shape=(28, 28, 1),
                             filters=(32, 64), bottleneck=128, l1_weight=100.0,
                             adversarial_weight=1.0, name="pix2pix_super_resolution"):
    """pix2pix for 2x super-resolution: a 14x14 image (2x2 blocks averaged) upsampled
    bilinearly into a U-Net that restores the 28x28 one, against a PatchGAN discriminator
    of (input, output) pairs; L1 weighted 100."""
    from zoo.generative.pix2pix import ImageToImageGAN

    return ImageToImageGAN(input_shape, output_shape, filters, bottleneck, l1_weight,
                           adversarial_weight, name=name)


@search_space(pix2pix_space)
@register("pix2pix_inpainting", **COMMON, input_shape=(28, 28, 1),
          recipe=Recipe(**{**RECIPE.__dict__, "dataset_options": {"corrupt": "mask"}}))
def pix2pix_inpainting(input_shape=(28, 28, 1), output_shape=(28, 28, 1), filters=(32, 64),
                       bottleneck=128, l1_weight=100.0, adversarial_weight=1.0,
                       name="pix2pix_inpainting"):
    """pix2pix for inpainting: a 28x28 image with a 12x12 square set to grey 0.5 in, the
    whole image out, through a U-Net against a PatchGAN discriminator; L1 weighted 100."""
    from zoo.generative.pix2pix import ImageToImageGAN

    return ImageToImageGAN(input_shape, output_shape, filters, bottleneck, l1_weight,
                           adversarial_weight, name=name)
