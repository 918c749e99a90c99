"""The backbones a detector takes from the registry: classifiers built headless for images of
any size (`include_top=False, input_shape=(None, None, channels)`), whose maps at a few strides
`zoo.features` extracts, as RetinaNet (Lin et al. 2017) takes ResNet's C3-C5.

A detector's anchors (`zoo.detection.anchors.anchor_boxes`) lay ceil(size / stride) cells per
level, the grid of a network that pads "same". A backbone whose maps have another number of
cells at some size would pair outputs with the wrong anchors there, so `check_grid` refuses it
when the detector is built, at a size that no stride divides.
"""

from __future__ import annotations

import math

import keras

# ResNet (v1 and v2), MobileNetV2 and GoogLeNet lay the anchors' grid at every size. MobileNet
# v1, DenseNet, Xception and VGG pad "valid" or pool by floor, so their maps have fewer cells
# than the anchors at sizes that the stride does not divide; Inception v3 has no exact
# stride-8 map at all.
BACKBONES = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnet50_v2",
             "resnet101_v2", "resnet152_v2", "mobilenet_v2", "googlenet")
# Arguments of the backbone's factory that the detector sets itself.
FIXED_ARGUMENTS = ("include_top", "input_shape", "pooling", "num_classes", "classes")


def checked_backbone_options(options) -> dict:
    """The options for the backbone's factory (e.g. MobileNetV2's `alpha`), refusing those
    the detector sets itself."""
    options = dict(options or {})
    fixed = sorted(set(options) & set(FIXED_ARGUMENTS))
    if fixed:
        raise ValueError(f"backbone_options={options!r} may not set {fixed}: the detector "
                         "builds its backbone headless for any image size of `channels`.")
    return options


def check_grid(extractor, strides, channels: int, backbone: str = "backbone") -> None:
    """Refuse a feature extractor whose maps do not have ceil(size / stride) cells at a size
    no stride divides (traced symbolically: nothing is computed)."""
    height, width = 16 * max(strides) + 1, 16 * max(strides) + 3
    specs = extractor.compute_output_spec(keras.KerasTensor((1, height, width, channels)))
    for stride in strides:
        got = tuple(specs[f"stride_{stride}"].shape[1:3])
        wanted = (math.ceil(height / stride), math.ceil(width / stride))
        if got != wanted:
            raise ValueError(
                f"backbone={backbone!r} gives a {got[0]}x{got[1]} map at stride {stride} for a "
                f"{height}x{width} image; a detector's anchors and a segmenter's crops need "
                f"ceil(size / stride) = {wanted[0]}x{wanted[1]} cells. Choose one of "
                f"{list(BACKBONES)}.")


def backbone_features(backbone: str, strides, channels: int, options=None) -> keras.Model:
    """A model from images of any size with `channels` to `{"stride_<s>": map}`, built from
    the registered `backbone` with `options`; checked to lay the anchors' grid."""
    from zoo.feature_maps import features

    try:
        extractor = features(backbone, strides, include_top=False,
                             input_shape=(None, None, channels), **(options or {}))
    except ValueError as error:
        if "no feature map at stride" not in str(error):
            raise
        raise ValueError(f"strides={tuple(strides)!r} are not all levels of backbone="
                         f"{backbone!r}: {error}") from error
    check_grid(extractor, strides, channels, backbone)
    return extractor
