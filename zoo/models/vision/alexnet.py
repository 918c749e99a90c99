"""AlexNet (Krizhevsky, Sutskever and Hinton, 2012, "ImageNet classification with deep
convolutional neural networks") and ZFNet (Zeiler and Fergus, 2014, "Visualizing and
understanding convolutional networks"): five convolutions, three max-poolings and three dense
layers; ZFNet changes the first layers.

Both are single-tower networks: the original AlexNet split its layers over two GPUs, so that
conv2, conv4 and conv5 saw only half of the previous layer's maps (grouped convolutions);
here every convolution sees all the maps, as in torchvision's AlexNet and in ZFNet's own
single-GPU model. The widths are the papers' (96, 256, 384, 384, 256 maps, 4096-unit dense
layers), giving 62,378,344 parameters for AlexNet and 62,357,608 for ZFNet at 224x224x3 with
1000 classes.

             AlexNet                                  ZFNet
    conv1    11x11/4, 96 maps (224 padded by 2: 55)   7x7/2, 96 maps (224 padded by 1: 110)
             [LRN], 3x3/2 max-pool: 27                3x3/2 max-pool: 55, [LRN]
    conv2    5x5/1 "same", 256 maps: 27               5x5/2, 256 maps: 26
             [LRN], 3x3/2 max-pool: 13                3x3/2 max-pool: 13, [LRN]
    conv3-5  3x3/1 "same", 384, 384, 256 maps, then 3x3/2 max-pool: 6x6x256
    top      flatten, fc1 4096, dropout, fc2 4096, dropout, predictions

AlexNet's paper quotes 224x224 inputs, which its first layer's arithmetic does not fit (227
does); two pixels of zero padding, as in torchvision, give the paper's 55x55 maps from 224.
Pooling rounds up as Caffe's does (`zoo.layers.conv_blocks.ceil_max_pool`), which gives
ZFNet's published map sizes. Local response normalisation (`lrn=True`) follows the paper's
placement: after the ReLU of conv1 and conv2, before pooling, in AlexNet; after the pooling in
ZFNet, whose "contrast normalisation across feature maps" has no published constants and uses
AlexNet's. It is off by default, as Simonyan and Zisserman (2015, section 4.1) found it did
not help; `batch_norm=True` puts batch normalisation between each convolution and its ReLU
instead (not in either paper).

With the top, `fc1`'s weights depend on the input size (it is fed the flattened last maps), as
in keras.applications' VGG; `fc_units` narrows the two hidden dense layers (the papers' 4096)
for small images.
"""

from zoo import _validate
from zoo._lazy import keras
from zoo.models._common import (
    check_image_classifier,
    classifier_head,
    fashion_mnist_recipe,
    image_input,
    imagenet_classifier_card,
    load_weights,
)
from zoo.registry import Reference, register, search_space

# The least inputs that leave pool5 something to pool (a 3x3/2 pooling that rounds up needs
# 2 rows): AlexNet 35 -> conv1 8 -> pool1 4 -> pool2 2 -> pool5 1, while 34 gives 7 -> 3 -> 1;
# ZFNet 47 -> conv1 22 -> pool1 11 -> conv2 4 -> pool2 2 -> pool5 1, while 46 gives
# 21 -> 10 -> 3 -> 1. The tests build at each size and fail one pixel below.
MIN_SIZE = {"alexnet": (35, 35), "zfnet": (47, 47)}
FILTERS = (96, 256, 384, 384, 256)

KRIZHEVSKY_2012 = Reference("ImageNet classification with deep convolutional neural networks",
                            "Krizhevsky, A., Sutskever, I. and Hinton, G. E.", 2012,
                            "https://doi.org/10.1145/3065386")
ZEILER_2014 = Reference("Visualizing and understanding convolutional networks",
                        "Zeiler, M. D. and Fergus, R.", 2014, "https://arxiv.org/abs/1311.2901")
# 64x64 Fashion-MNIST, above both minimums (pool5 leaves 1x1x256 in both); the two hidden
# dense layers are narrowed to 512 so that the sweep and a training run stay affordable on a
# CPU. The recipe's Adam at 1e-3 suits both: unlike the deeper plain VGGs, they learn from the
# first few hundred steps at that rate.
RECIPE = fashion_mnist_recipe(64, fc_units=512)
CARD = imagenet_classifier_card("alexnet", recipe=RECIPE)


def _alexnet_stem(x, *, lrn, batch_norm):
    """conv1 and conv2 of AlexNet, each with its (optional) normalisation and pooling."""
    from zoo.layers.conv_blocks import LocalResponseNormalization, ceil_max_pool, conv_relu

    x = keras.layers.ZeroPadding2D(2, name="conv1_pad")(x)
    x = conv_relu(x, FILTERS[0], 11, strides=4, padding="valid", batch_norm=batch_norm,
                  name="conv1")
    if lrn:
        x = LocalResponseNormalization(name="norm1")(x)
    x = ceil_max_pool(x, name="pool1")
    x = conv_relu(x, FILTERS[1], 5, batch_norm=batch_norm, name="conv2")
    if lrn:
        x = LocalResponseNormalization(name="norm2")(x)
    return ceil_max_pool(x, name="pool2")


def _zfnet_stem(x, *, lrn, batch_norm):
    """conv1 and conv2 of ZFNet: smaller first filters and strides, normalisation last."""
    from zoo.layers.conv_blocks import LocalResponseNormalization, ceil_max_pool, conv_relu

    x = keras.layers.ZeroPadding2D(1, name="conv1_pad")(x)
    x = conv_relu(x, FILTERS[0], 7, strides=2, padding="valid", batch_norm=batch_norm,
                  name="conv1")
    x = ceil_max_pool(x, name="pool1")
    if lrn:
        x = LocalResponseNormalization(name="norm1")(x)
    x = conv_relu(x, FILTERS[1], 5, strides=2, padding="valid", batch_norm=batch_norm,
                  name="conv2")
    x = ceil_max_pool(x, name="pool2")
    if lrn:
        x = LocalResponseNormalization(name="norm2")(x)
    return x


STEMS = {"alexnet": _alexnet_stem, "zfnet": _zfnet_stem}


def _build(network, *, input_shape, num_classes, include_top, pooling, classifier_activation,
           weights, lrn, batch_norm, fc_units, dropout, name):
    check_image_classifier(num_classes, include_top, pooling, classifier_activation, weights)
    _validate.choice("lrn", lrn, (False, True))
    _validate.choice("batch_norm", batch_norm, (False, True))
    _validate.positive_int("fc_units", fc_units)
    dropout = _validate.fraction("dropout", dropout)
    inputs = image_input(input_shape, min_size=MIN_SIZE[network],
                         fixed_size="its Caffe-style pooling pads each map by its known size")

    from zoo.layers.conv_blocks import ceil_max_pool, conv_relu, dense_top

    x = STEMS[network](inputs, lrn=lrn, batch_norm=batch_norm)
    for index, filters in enumerate(FILTERS[2:], start=3):
        x = conv_relu(x, filters, 3, batch_norm=batch_norm, name=f"conv{index}")
    x = ceil_max_pool(x, name="pool5")
    if include_top:
        x = dense_top(x, units=fc_units, dropout=dropout, num_classes=num_classes,
                      classifier_activation=classifier_activation)
    else:
        x = classifier_head(x, include_top=False, pooling=pooling, num_classes=num_classes,
                            classifier_activation=classifier_activation)
    return load_weights(keras.Model(inputs, x, name=name), weights)


def alexnet_space(hp) -> dict:
    """The dense layers' width and dropout, where most of the parameters are, and the
    normalisation: the paper's local response normalisation (Krizhevsky et al., 2012,
    section 3.3, which Simonyan and Zisserman, 2015, found did not help) and batch
    normalisation instead, neither of them the default. The convolutions are the papers'."""
    return {"fc_units": hp.Choice("fc_units", [256, 512, 1024, 2048], default=512),
            "dropout": hp.Float("dropout", 0.0, 0.7, step=0.1, default=0.5),
            "lrn": hp.Boolean("lrn"), "batch_norm": hp.Boolean("batch_norm")}


@search_space(alexnet_space)
@register("alexnet", reference=KRIZHEVSKY_2012, **CARD)
def alexnet(input_shape=(224, 224, 3), num_classes=1000, include_top=True, pooling=None,
            classifier_activation="softmax", weights=None, lrn=False, batch_norm=False,
            fc_units=4096, dropout=0.5, name="alexnet"):
    """AlexNet: an 11x11/4 convolution, a 5x5 and three 3x3 convolutions with overlapping max
    pooling, and two 4096-unit dense layers with dropout (single tower).

    `lrn` adds the paper's local response normalisation, `batch_norm` batch normalisation;
    `fc_units` is the width of the two hidden dense layers and `dropout` their dropout rate.
    `weights` is None or a weight file (there are no ImageNet weights in keras.applications).
    """
    return _build("alexnet", input_shape=input_shape, num_classes=num_classes,
                  include_top=include_top, pooling=pooling,
                  classifier_activation=classifier_activation, weights=weights, lrn=lrn,
                  batch_norm=batch_norm, fc_units=fc_units, dropout=dropout, name=name)


@search_space(alexnet_space)
@register("zfnet", reference=ZEILER_2014, **CARD)
def zfnet(input_shape=(224, 224, 3), num_classes=1000, include_top=True, pooling=None,
          classifier_activation="softmax", weights=None, lrn=False, batch_norm=False,
          fc_units=4096, dropout=0.5, name="zfnet"):
    """ZFNet: AlexNet with a 7x7/2 first convolution and a strided 5x5/2 second one, which
    keep the finer detail that AlexNet's 11x11/4 filters lost (single tower).

    Arguments as for `alexnet`.
    """
    return _build("zfnet", input_shape=input_shape, num_classes=num_classes,
                  include_top=include_top, pooling=pooling,
                  classifier_activation=classifier_activation, weights=weights, lrn=lrn,
                  batch_norm=batch_norm, fc_units=fc_units, dropout=dropout, name=name)
