"""VGG-11/13/16/19, with or without batch normalisation (Simonyan and Zisserman, 2015, "Very
deep convolutional networks for large-scale image recognition", configurations A, B, D and E
of Table 1).

Five stages of 3x3 convolutions (64, 128, 256, 512 and 512 maps), each ending in 2x2
max-pooling, then two 4096-unit dense layers and the classifier. Stacked 3x3 convolutions see
as far as one large filter with fewer weights and more non-linearities, which is the paper's
point; depth is the number of weighted layers (convolutions plus the three dense layers).

VGG-16 and VGG-19 reproduce keras.applications' VGG16 and VGG19 layer for layer, names
included (`block1_conv1` ... `block5_pool`, `flatten`, `fc1`, `fc2`, `predictions`), so their
parameter counts are keras' 138,357,544 and 143,667,240 and keras' ImageNet weights load with
`weights="imagenet"` (from the Keras cache; zoo never downloads). As in keras, the top flattens
the last maps, so `fc1`'s weights depend on the input size: ImageNet weights with the top need
224x224x3 inputs, and any other size gives another `fc1`. The dense layers are followed by
dropout 0.5 as in the paper (keras leaves it out; it has no weights and does nothing at
inference). `fc_units` narrows the two hidden dense layers for small images.

`batch_norm=True` (`vgg16_bn`, ...) puts batch normalisation between each convolution and its
ReLU, as torchvision's `vgg*_bn` do (the paper predates it); convolutions keep their biases as
there, so trainable parameter counts are torchvision's (138,365,992 for `vgg16_bn`).
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
from zoo.models.vision._porting import check_imagenet_weights, load_imagenet_weights
from zoo.registry import Reference, register, search_space

MIN_SIZE = (32, 32)  # five 2x2/2 poolings: 32 ends at 1x1 (keras.applications' minimum too)
FILTERS = (64, 128, 256, 512, 512)
# Convolutions per stage, Table 1 of the paper: A (11 layers), B (13), D (16), E (19).
CONVS = {11: (1, 1, 2, 2, 2), 13: (2, 2, 2, 2, 2), 16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}
# The keras.applications model with the same layers, for parity and ImageNet weights.
KERAS_APPLICATIONS = {16: "VGG16", 19: "VGG19"}
IMAGENET_SHAPE = (224, 224, 3)
PAPER_FC_UNITS = 4096

SIMONYAN_2015 = Reference("Very deep convolutional networks for large-scale image recognition",
                          "Simonyan, K. and Zisserman, A.", 2015,
                          "https://arxiv.org/abs/1409.1556")


def _recipe(learning_rate):
    # 32x32 Fashion-MNIST (the 1x1 minimum after five poolings); 512-unit dense layers instead
    # of 4096 keep the sweep and a CPU training run affordable.
    return fashion_mnist_recipe(32, learning_rate=learning_rate, fc_units=512)


CARD = imagenet_classifier_card("vgg", reference=SIMONYAN_2015)
# Without batch normalisation, Adam at 1e-3 leaves these deep plain networks at chance (a
# short check: VGG-16 still guessed after 200 steps, and learnt at 1e-4); with it, 1e-3 works.
PLAIN = dict(recipe=_recipe(1e-4), **CARD)
NORMALISED = dict(recipe=_recipe(1e-3), **CARD)


def default_name(depth, batch_norm):
    """The registry name of a VGG: `vgg16`, `vgg16_bn`, ..."""
    return f"vgg{depth}" + ("_bn" if batch_norm else "")


def imagenet_weights_file(depth, include_top):
    """keras.applications' file name for the ImageNet weights of VGG-16 or VGG-19."""
    return f"vgg{depth}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"


def _check_imagenet(depth, batch_norm, include_top, fc_units, input_shape):
    """Only keras' own VGG16 and VGG19 have ImageNet weights, and with the top only at the
    size and width they were trained at."""
    if depth not in KERAS_APPLICATIONS or batch_norm:
        available = ", ".join(default_name(d, False) for d in KERAS_APPLICATIONS)
        raise ValueError(
            f"weights='imagenet' is not available for {default_name(depth, batch_norm)}; "
            f"ImageNet weights exist for {available}. Use weights=None or a weight file."
        )
    if include_top and (tuple(input_shape) != IMAGENET_SHAPE or fc_units != PAPER_FC_UNITS):
        raise ValueError(
            f"weights='imagenet' with include_top=True needs input_shape={IMAGENET_SHAPE} and "
            f"fc_units={PAPER_FC_UNITS} (the flattened top was trained at that size), got "
            f"input_shape={tuple(input_shape)!r}, fc_units={fc_units!r}; use include_top=False "
            "for other sizes."
        )


def vgg_space(hp) -> dict:
    """The two dense layers' width and dropout, where most of VGG's parameters are
    (Simonyan and Zisserman, 2015, regularise them with dropout 0.5). The convolutions are
    the paper's configuration, and batch normalisation tells `vgg16` from `vgg16_bn`."""
    return {"fc_units": hp.Choice("fc_units", [256, 512, 1024], default=512),
            "dropout": hp.Float("dropout", 0.0, 0.6, step=0.1, default=0.5)}


@search_space(vgg_space)
@register("vgg11", defaults={"depth": 11}, **PLAIN)
@register("vgg13", defaults={"depth": 13}, **PLAIN)
@register("vgg16", defaults={"depth": 16}, **PLAIN)
@register("vgg19", defaults={"depth": 19}, **PLAIN)
@register("vgg11_bn", defaults={"depth": 11, "batch_norm": True}, **NORMALISED)
@register("vgg13_bn", defaults={"depth": 13, "batch_norm": True}, **NORMALISED)
@register("vgg16_bn", defaults={"depth": 16, "batch_norm": True}, **NORMALISED)
@register("vgg19_bn", defaults={"depth": 19, "batch_norm": True}, **NORMALISED)
def vgg(input_shape=(224, 224, 3), num_classes=1000, include_top=True, pooling=None,
        classifier_activation="softmax", weights=None, depth=16, batch_norm=False,
        fc_units=4096, dropout=0.5, name=None):
    """VGG: five stages of 3x3 convolutions and 2x2 max-pooling, then two dense layers.

    `depth` is 11, 13, 16 or 19; `batch_norm=True` adds batch normalisation after every
    convolution. `fc_units` is the width of the two hidden dense layers (4096 in the paper) and
    `dropout` their dropout rate. `name` defaults to the registry name (`vgg16`, `vgg16_bn`,
    ...). `weights` is None, a weight file, or "imagenet" (VGG-16 and VGG-19 without batch
    normalisation: keras.applications' file, which must be in the Keras cache).
    """
    _validate.choice("depth", depth, CONVS)
    _validate.choice("batch_norm", batch_norm, (False, True))
    check_image_classifier(num_classes, include_top, pooling, classifier_activation, weights,
                           imagenet=True)
    _validate.positive_int("fc_units", fc_units)
    dropout = _validate.fraction("dropout", dropout)
    inputs = image_input(input_shape, min_size=MIN_SIZE, fixed_size=(
        "include_top=True flattens the last feature map into dense layers; use "
        "include_top=False for any size" if include_top else None))
    if weights == "imagenet":
        _check_imagenet(depth, batch_norm, include_top, fc_units, input_shape)
        imagenet_file = check_imagenet_weights(
            imagenet_weights_file(depth, include_top), include_top=include_top,
            input_shape=inputs.shape[1:], num_classes=num_classes)
    name = default_name(depth, batch_norm) if name is None else name

    from zoo.layers.conv_blocks import dense_top, vgg_stage

    x = inputs
    for index, (filters, convs) in enumerate(zip(FILTERS, CONVS[depth], strict=True), start=1):
        x = vgg_stage(x, filters, convs, batch_norm=batch_norm, name=f"block{index}")
    if include_top:
        x = dense_top(x, units=fc_units, dropout=dropout, num_classes=num_classes,
                      classifier_activation=classifier_activation)
    else:
        x = classifier_head(x, include_top=False, pooling=pooling, num_classes=num_classes,
                            classifier_activation=classifier_activation)
    model = keras.Model(inputs, x, name=name)

    if weights == "imagenet":
        return load_imagenet_weights(
            model, getattr(keras.applications, KERAS_APPLICATIONS[depth]), imagenet_file,
            include_top=include_top)
    return load_weights(model, weights)
