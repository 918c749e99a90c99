"""FCN-8s (Long, Shelhamer and Darrell, 2015, "Fully convolutional networks for semantic
segmentation", CVPR) on a zoo backbone, for the class maps of the detection canvases.

A classifier's coarsest map already says *what* is where, at 1/32 of the resolution. FCN
scores every class there with a 1x1 convolution, upsamples the scores 2x with a transposed
convolution, adds scores read off the stride-16 map, upsamples 2x again, adds the stride-8
map's scores, and upsamples 8x to the image: each skip brings back detail that the coarse map
lost (FCN-32s, -16s and -8s are the stages; -8s is the paper's best). Every transposed
convolution starts as bilinear interpolation (Section 3.3) and is learned from there.

The paper's backbone is VGG-16 with its fully connected layers made convolutions; here it is
any `zoo.detection.backbones.BACKBONES` (ResNet-18 by default, stride-8, -16 and -32 maps of
128, 256 and 512 channels), built headless for images of any size. The paper's pool4 and
pool3 scores are initialised to zero so that training starts from FCN-32s; the same is done
here. The recipe (`zoo.models.segmentation._recipe`): Adam, 1e-3, batch 32, 20 epochs at most,
the weights of the epoch with the best validation mean IoU kept; benchmarks/segmentation.py
records the test figure.
"""

from zoo.models._common import recipe_only
from zoo.models.segmentation._recipe import CANVAS_DATASET, CANVAS_SEGMENTATION_CLASSES, RECIPE
from zoo.registry import Reference, register, search_space

LONG_2015 = Reference("Fully convolutional networks for semantic segmentation",
                      "Long, J., Shelhamer, E. and Darrell, T.", 2015,
                      "https://arxiv.org/abs/1411.4038")
# The stages of FCN-8s: upsampling from stride 32 to 16 and 16 to 8 (2x each), then to 1.
STRIDES = (8, 16, 32)


@search_space(recipe_only)
@register("fcn8s_resnet18", family="fcn", task="semantic-segmentation", api="functional",
          input_shape=(None, None, 1), input_name="image", dataset=CANVAS_DATASET,
          num_classes=CANVAS_SEGMENTATION_CLASSES, recipe=RECIPE, reference=LONG_2015)
def fcn8s(num_classes=CANVAS_SEGMENTATION_CLASSES, channels=1, backbone="resnet18",
          backbone_options=None, name="fcn8s_resnet18"):
    """FCN-8s: class scores at strides 32, 16 and 8 of a ResNet-18, merged by 2x transposed
    convolutions initialised bilinear, upsampled 8x to per-pixel logits; any image size.

    Args:
        num_classes: the classes of a pixel, the background included (21 on the canvases).
        channels: the image's channels (1 for the grey canvases).
        backbone: any of `zoo.detection.backbones.BACKBONES`, built headless for any size;
            `backbone_options` go to its factory (e.g. MobileNetV2's `alpha`).
    """
    from zoo._lazy import keras
    from zoo.segmentation.encoder import check_common, encoder_maps, image_input
    from zoo.segmentation.layers import BilinearUpsampling, CropToMatch

    check_common(num_classes, channels, backbone)
    image = image_input(channels)
    stride_8, stride_16, stride_32 = encoder_maps(image, backbone, STRIDES, channels,
                                                  backbone_options)

    def upsample(scores, factor, label):
        # Kernel 2f, stride f: each output pixel interpolates the two nearest coarse cells.
        return keras.layers.Conv2DTranspose(
            num_classes, 2 * factor, strides=factor, padding="same", use_bias=False,
            kernel_initializer=BilinearUpsampling(), name=label)(scores)

    def skip_scores(features, label):
        # Zero at first, so that training starts from FCN-32s and adds detail (Section 4.2).
        return keras.layers.Conv2D(num_classes, 1, kernel_initializer="zeros",
                                   name=label)(features)

    scores = keras.layers.Conv2D(num_classes, 1, name="score_stride_32")(stride_32)
    for features, stride in ((stride_16, 16), (stride_8, 8)):
        upsampled = upsample(scores, 2, f"upsample_to_stride_{stride}")
        skip = skip_scores(features, f"score_stride_{stride}")
        upsampled = CropToMatch(name=f"crop_to_stride_{stride}")([upsampled, skip])
        scores = keras.layers.Add(name=f"fuse_stride_{stride}")([upsampled, skip])
    logits = CropToMatch(name="crop_to_image")([upsample(scores, 8, "upsample_to_image"),
                                                image])
    return keras.Model(image, logits, name=name)
