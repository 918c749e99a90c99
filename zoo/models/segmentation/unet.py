"""U-Net (Ronneberger, Fischer and Brox, 2015, "U-Net: convolutional networks for biomedical
image segmentation", MICCAI) with a zoo backbone as its contracting path, for the class maps
of the detection canvases.

The contracting path halves the resolution level by level; the expanding path climbs back,
one level at a time: a 2x2 transposed convolution ("up-convolution") halves the channels and
doubles the size, the map of the same level on the way down is concatenated to it (the skip
that gives the U its rungs), and two 3x3 convolutions merge the two. Where FCN adds class
scores, a U-Net concatenates whole feature maps, so every level's detail reaches the output.

Here the contracting path is a registered classifier built headless (ResNet-18 by default,
read at strides 2, 4, 8, 16 and 32) with a stem of two 3x3 convolutions at full resolution for
the top rung, as the paper's first level is. The paper pads "valid" and crops the skips,
so its output is smaller than its input; here everything pads "same" and an upsampled map is
cropped to its skip (`CropToMatch`), so the output is the image's size, for any size. Batch
normalisation after each decoder convolution (not in the paper, which predates it) lets Adam
train the decoder from scratch at 1e-3. The recipe is FCN-8s's
(`zoo.models.segmentation._recipe`).
"""

from zoo import _validate
from zoo.models._common import scaled_widths
from zoo.models.segmentation._recipe import CANVAS_DATASET, CANVAS_SEGMENTATION_CLASSES, RECIPE
from zoo.registry import Reference, register, search_space

RONNEBERGER_2015 = Reference("U-Net: convolutional networks for biomedical image segmentation",
                             "Ronneberger, O., Fischer, P. and Brox, T.", 2015,
                             "https://arxiv.org/abs/1505.04597")
# The backbone's levels the expanding path climbs through, fine to coarse.
STRIDES = (2, 4, 8, 16, 32)


def unet_space(hp) -> dict:
    """The expanding path's width, its 256-128-64-32-16 channels scaled together: the
    capacity of the decoder that the backbone's contracting path feeds (Ronneberger et al.,
    2015, halve the channels level by level, as the default does)."""
    width = hp.Choice("width", [0.5, 1.0, 2.0], default=1.0)
    return {"decoder_widths": scaled_widths((256, 128, 64, 32, 16), width)}


@search_space(unet_space)
@register("unet_resnet18", family="unet", task="semantic-segmentation", api="functional",
          input_shape=(None, None, 1), input_name="image", dataset=CANVAS_DATASET,
          num_classes=CANVAS_SEGMENTATION_CLASSES, recipe=RECIPE,
          reference=RONNEBERGER_2015)
def unet(num_classes=CANVAS_SEGMENTATION_CLASSES, channels=1, backbone="resnet18",
         backbone_options=None, decoder_widths=(256, 128, 64, 32, 16), name="unet_resnet18"):
    """U-Net: a ResNet-18 contracting path read at strides 2 to 32 and an expanding path of
    2x2 up-convolutions, skip concatenations and paired 3x3 convolutions back to per-pixel
    logits at the image's size; any image size.

    Args:
        num_classes: the classes of a pixel, the background included (21 on the canvases).
        channels: the image's channels (1 for the grey canvases).
        backbone: any of `zoo.detection.backbones.BACKBONES`, built headless for any size;
            `backbone_options` go to its factory.
        decoder_widths: the expanding path's channels at strides 16, 8, 4, 2 and 1 (the
            paper halves them at every level, 512 to 64).
    """
    from zoo._lazy import keras
    from zoo.layers.normalization import FusedBatchNormalization
    from zoo.segmentation.encoder import check_common, encoder_maps, image_input
    from zoo.segmentation.layers import CropToMatch

    check_common(num_classes, channels, backbone)
    decoder_widths = _validate.widths("decoder_widths", decoder_widths)
    if len(decoder_widths) != len(STRIDES):
        raise ValueError(f"decoder_widths={decoder_widths!r} must give {len(STRIDES)} widths, "
                         "one per level of the expanding path (strides 16, 8, 4, 2, 1).")
    image = image_input(channels)
    levels = encoder_maps(image, backbone, STRIDES, channels, backbone_options)

    def two_convolutions(x, width, label):
        for index in (1, 2):
            x = keras.layers.Conv2D(width, 3, padding="same", use_bias=False,
                                    name=f"{label}_conv{index}")(x)
            x = FusedBatchNormalization(name=f"{label}_bn{index}")(x)
            x = keras.layers.ReLU(name=f"{label}_relu{index}")(x)
        return x

    # The top rung: the paper's first level, two 3x3 convolutions on the image itself.
    skips = [two_convolutions(image, decoder_widths[-1], "stem"), *levels[:-1]]
    x = levels[-1]
    for skip, width, stride in zip(reversed(skips), decoder_widths, (16, 8, 4, 2, 1),
                                   strict=True):
        x = keras.layers.Conv2DTranspose(width, 2, strides=2,
                                         name=f"up_to_stride_{stride}")(x)
        x = CropToMatch(name=f"crop_to_stride_{stride}")([x, skip])
        x = keras.layers.Concatenate(name=f"skip_stride_{stride}")([x, skip])
        x = two_convolutions(x, width, f"decode_stride_{stride}")
    logits = keras.layers.Conv2D(num_classes, 1, name="logits")(x)
    return keras.Model(image, logits, name=name)
