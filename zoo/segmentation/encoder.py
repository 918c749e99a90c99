"""The encoder half of a segmenter: a registered classifier built headless for images of any
size (`zoo.detection.backbones`), read at a few strides by `zoo.features`, as FCN reads
VGG's pool3, pool4 and pool5 and a U-Net reads each level of its contracting path."""

from __future__ import annotations

from zoo import _validate
from zoo._lazy import keras


def check_common(num_classes, channels, backbone) -> None:
    """The arguments every segmenter takes, refused with their name when wrong."""
    from zoo.detection.backbones import BACKBONES

    _validate.positive_int("num_classes", num_classes)
    if num_classes < 2:
        raise ValueError(f"num_classes={num_classes!r}: a segmenter tells at least two "
                         "classes apart (the background and one more).")
    _validate.positive_int("channels", channels)
    _validate.choice("backbone", backbone, BACKBONES)


def encoder_maps(image, backbone: str, strides, channels: int, options=None) -> list:
    """The backbone's maps of `image` (a Keras input of any size), fine to coarse, at
    `strides`; `options` go to the backbone's factory."""
    from zoo.detection.backbones import backbone_features, checked_backbone_options

    extractor = backbone_features(backbone, tuple(strides), channels,
                                  checked_backbone_options(options))
    maps = extractor(image)
    return [maps[f"stride_{stride}"] for stride in strides]


def image_input(channels: int):
    """A batch of images of any height and width with `channels`, named `image`."""
    return keras.Input((None, None, channels), name="image")
