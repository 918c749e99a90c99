"""MobileNet (Howard et al., 2017, "MobileNets: efficient convolutional neural networks for
mobile vision applications", arXiv:1704.04861) and MobileNetV2 (Sandler, Howard, Zhu,
Zhmoginov and Chen, 2018, "MobileNetV2: inverted residuals and linear bottlenecks",
arXiv:1801.04381).

MobileNet is a 3x3/2 convolution and 13 depthwise separable convolutions (table 1 of the
paper); MobileNetV2 a 3x3/2 convolution, 17 inverted residual blocks with linear bottlenecks
and a 1x1 convolution to 1280 channels (table 2). Both downsample 32 times, so the 32x32
minimum ends at 1x1. The width multiplier `alpha` scales every layer's channels (MobileNetV2
rounds them to multiples of 8 and never narrows its last convolution); MobileNet's
`depth_multiplier` gives each depthwise convolution that many filters per channel. The
papers' resolution multiplier is simply the input size.

Both reproduce keras.applications' MobileNet and MobileNetV2 layer for layer
(keras/src/applications/mobilenet.py, mobilenet_v2.py), names included, so parameter counts
are identical (4,253,864 and 3,538,984 at alpha=1) and keras' ImageNet weights load with
`weights="imagenet"` (from the Keras cache; zoo never downloads). Following keras, MobileNet's
top is not a dense layer: global average pooling keeps a 1x1 map, dropout (`dropout`, keras'
1e-3 by default), a 1x1 convolution `conv_preds` with a bias, a reshape to a vector
(`reshape_2`, keras' name) and the activation (`predictions`) - the same arithmetic as a dense
layer, kept as a convolution so keras' weights port. MobileNetV2 ends with a dense
`predictions` layer.

keras has ImageNet weights for some widths and square input sizes only (its file names say
which); at other sizes keras loads the 224x224 weights, with a warning, and so does zoo.
"""

import functools
import warnings

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

MIN_SIZE = (32, 32)  # keras.applications' minimum: five halvings.
# MobileNet (table 1): a 32-filter 3x3/2 convolution, then (pointwise filters, stride) of the
# 13 depthwise separable convolutions.
V1_STEM_FILTERS = 32
V1_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
             (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))
# MobileNetV2 (table 2): expansion t, output channels c, repeats n, first stride s.
V2_STEM_FILTERS = 32
V2_BLOCKS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
             (6, 160, 3, 2), (6, 320, 1, 1))
V2_LAST_FILTERS = 1280

# keras.applications' ImageNet weights: the widths and square input sizes it has files for.
V1_IMAGENET_ALPHAS = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}
V1_IMAGENET_SIZES = (128, 160, 192, 224)
V2_IMAGENET_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
V2_IMAGENET_SIZES = (96, 128, 160, 192, 224)
# The two widest MobileNetV2s were released at 224x224 only: keras' name for another size
# points to no file (keras-team/keras#16452), so their other sizes fall back to 224 too.
V2_IMAGENET_224_ONLY = (1.3, 1.4)
DEFAULT_IMAGENET_SIZE = 224

HOWARD_2017 = Reference(
    "MobileNets: efficient convolutional neural networks for mobile vision applications",
    "Howard, A. G., Zhu, M., Chen, B., Kalenichenko, D., Wang, W., Weyand, T., Andreetto, M. "
    "and Adam, H.", 2017, "https://arxiv.org/abs/1704.04861")
SANDLER_2018 = Reference("MobileNetV2: inverted residuals and linear bottlenecks",
                         "Sandler, M., Howard, A., Zhu, M., Zhmoginov, A. and Chen, L.-C.", 2018,
                         "https://arxiv.org/abs/1801.04381")
RECIPE = fashion_mnist_recipe(32)
CARD = imagenet_classifier_card("mobilenet", recipe=RECIPE)
# keras' MobileNetV2 keeps batch normalization's moving averages with momentum 0.999, made for
# ImageNet's long schedule: after a few thousand steps from scratch they still lag the
# weights, and a 5-epoch run scored chance (0.1000) on the test split while it trained. The
# recipe moves them at Keras' default rate instead.
V2_RECIPE = fashion_mnist_recipe(32, batch_norm_momentum=0.99)


def _check_alpha(alpha):
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not alpha > 0:
        raise ValueError(f"alpha={alpha!r} must be a positive number.")


def _check_imagenet_alpha(alpha, allowed):
    if alpha not in allowed:
        raise ValueError(
            f"weights='imagenet' has no file for alpha={alpha!r}; keras.applications has "
            f"ImageNet weights for alpha in {sorted(allowed)}. Use weights=None or a weight "
            "file for other widths."
        )


def _imagenet_size(input_shape, sizes):
    """keras' choice of weight file size: the input's, for a square input of a size it has
    files for; otherwise 224, with keras' warning."""
    height, width = input_shape[:2]
    if height == width and height in sizes:
        return height
    warnings.warn(
        f"keras.applications has ImageNet weights for square inputs of {list(sizes)} pixels; "
        f"loading the {DEFAULT_IMAGENET_SIZE}x{DEFAULT_IMAGENET_SIZE} weights into "
        f"input_shape={tuple(input_shape)!r}, as keras does.", stacklevel=2)
    return DEFAULT_IMAGENET_SIZE


def mobilenet_imagenet_file(alpha, size, include_top):
    """keras.applications' file name for MobileNet's ImageNet weights."""
    return f"mobilenet_{V1_IMAGENET_ALPHAS[alpha]}_{size}_tf{'' if include_top else '_no_top'}.h5"


def mobilenet_v2_imagenet_file(alpha, size, include_top):
    """keras.applications' file name for MobileNetV2's ImageNet weights."""
    return (f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{size}"
            f"{'' if include_top else '_no_top'}.h5")


def _imagenet_file(file_name, sizes, alpha, *, include_top, input_shape, num_classes):
    """The checked path of the ImageNet weight file (`file_name(alpha, size, include_top)`)
    for this input, before anything is built."""
    size = _imagenet_size(input_shape, sizes)
    return check_imagenet_weights(file_name(alpha, size, include_top), include_top=include_top,
                                  input_shape=input_shape, num_classes=num_classes)


def _v1_top(x, *, num_classes, classifier_activation, dropout):
    """keras' MobileNet top: a 1x1 convolution over the pooled 1x1 map instead of a dense
    layer (the same function; the convolution's weights are keras')."""
    x = keras.layers.GlobalAveragePooling2D(keepdims=True, name="avg_pool")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    x = keras.layers.Conv2D(num_classes, 1, padding="same", name="conv_preds")(x)
    x = keras.layers.Reshape((num_classes,), name="reshape_2")(x)
    return keras.layers.Activation(classifier_activation, name="predictions")(x)


def mobilenet_space(hp) -> dict:
    """The width multiplier alpha, the depthwise filters per channel and the dropout before
    the classifier: alpha is the knob Howard et al. (2017, section 3.3) give for trading
    accuracy for size."""
    return {"alpha": hp.Choice("alpha", [0.5, 0.75, 1.0, 1.25], default=1.0),
            "depth_multiplier": hp.Choice("depth_multiplier", [1, 2]),
            "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1)}


@search_space(mobilenet_space)
@register("mobilenet", reference=HOWARD_2017, **CARD)
def mobilenet(input_shape=(224, 224, 3), num_classes=1000, include_top=True, pooling=None,
              classifier_activation="softmax", weights=None, alpha=1.0, depth_multiplier=1,
              dropout=1e-3, name="mobilenet"):
    """MobileNet: a 3x3/2 convolution and 13 depthwise separable convolutions, as
    keras.applications.MobileNet.

    `alpha` (width multiplier, at least 1/32 so every layer keeps a channel) scales the
    channels; `depth_multiplier` is the number of depthwise filters per channel; `dropout`
    comes before the classifier. `weights` is None, a weight file, or "imagenet" (alpha 0.25,
    0.5, 0.75 or 1.0 and depth_multiplier 1: keras.applications' file for the input size,
    which must be in the Keras cache); keras' preprocessing is
    `keras.applications.mobilenet.preprocess_input` (pixels scaled to [-1, 1]).
    """
    from zoo.layers.normalization import FusedBatchNormalization
    from zoo.layers.separable import depthwise_separable_block

    check_image_classifier(num_classes, include_top, pooling, classifier_activation, weights,
                           imagenet=True)
    _check_alpha(alpha)
    if int(V1_STEM_FILTERS * alpha) < 1:  # keras truncates: int(32 * alpha) stem filters
        raise ValueError(f"alpha={alpha!r} leaves MobileNet's 32-filter stem without a "
                         "channel; it must be at least 1/32 (0.03125).")
    _validate.positive_int("depth_multiplier", depth_multiplier)
    _validate.fraction("dropout", dropout)
    if weights == "imagenet":
        _check_imagenet_alpha(alpha, V1_IMAGENET_ALPHAS)
        if depth_multiplier != 1:
            raise ValueError(f"weights='imagenet' needs depth_multiplier=1, got "
                             f"{depth_multiplier!r}: keras' ImageNet weights have one "
                             "depthwise filter per channel.")
    inputs = image_input(input_shape, min_size=MIN_SIZE, fixed_size=None)
    if weights == "imagenet":
        imagenet_file = _imagenet_file(mobilenet_imagenet_file, V1_IMAGENET_SIZES, alpha,
                                       include_top=include_top, input_shape=inputs.shape[1:],
                                       num_classes=num_classes)

    x = keras.layers.Conv2D(int(V1_STEM_FILTERS * alpha), 3, strides=2, padding="same",
                            use_bias=False, name="conv1")(inputs)
    x = FusedBatchNormalization(name="conv1_bn")(x)
    x = keras.layers.ReLU(6.0, name="conv1_relu")(x)
    for block_id, (filters, stride) in enumerate(V1_BLOCKS, start=1):
        x = depthwise_separable_block(x, int(filters * alpha), stride=stride,
                                      depth_multiplier=depth_multiplier, block_id=block_id)
    if include_top:
        outputs = _v1_top(x, num_classes=num_classes,
                          classifier_activation=classifier_activation, dropout=dropout)
    else:
        outputs = classifier_head(x, include_top=False, pooling=pooling, num_classes=None,
                                  classifier_activation=None)
    model = keras.Model(inputs, outputs, name=name)

    if weights == "imagenet":
        return load_imagenet_weights(
            model, functools.partial(keras.applications.MobileNet, alpha=alpha), imagenet_file,
            include_top=include_top)
    return load_weights(model, weights)


def mobilenet_v2_space(hp) -> dict:
    """The width multiplier alpha (Sandler et al., 2018, section 6.1, sweep it from 0.35 to
    1.4) and the batch normalisation's momentum, which the recipe lowers to 0.99 so that the
    moving averages keep up in short training from scratch."""
    return {"alpha": hp.Choice("alpha", [0.5, 0.75, 1.0, 1.4], default=1.0),
            "batch_norm_momentum": hp.Choice("batch_norm_momentum", [0.9, 0.99, 0.999],
                                             default=0.99)}


@search_space(mobilenet_v2_space)
@register("mobilenet_v2", reference=SANDLER_2018, **{**CARD, "recipe": V2_RECIPE})
def mobilenet_v2(input_shape=(224, 224, 3), num_classes=1000, include_top=True, pooling=None,
                 classifier_activation="softmax", weights=None, alpha=1.0,
                 batch_norm_momentum=0.999, name="mobilenet_v2"):
    """MobileNetV2: a 3x3/2 convolution, 17 inverted residual blocks with linear bottlenecks
    and a 1x1 convolution to 1280 channels, as keras.applications.MobileNetV2.

    `alpha` (width multiplier, any positive number) scales the channels, rounded to multiples
    of 8; the last convolution only ever widens. `weights` is None, a weight file, or
    "imagenet" (alpha 0.35, 0.5, 0.75, 1.0, 1.3 or 1.4: keras.applications' file for the input
    size, which must be in the Keras cache); keras' preprocessing is
    `keras.applications.mobilenet_v2.preprocess_input` (pixels scaled to [-1, 1]).
    `batch_norm_momentum` is that of every batch normalization's moving averages (keras'
    0.999; lower for short training from scratch).
    """
    from zoo.layers.normalization import FusedBatchNormalization
    from zoo.layers.separable import V2_BN, inverted_residual_block, make_divisible

    check_image_classifier(num_classes, include_top, pooling, classifier_activation, weights,
                           imagenet=True)
    _check_alpha(alpha)
    batch_norm = {**V2_BN, "momentum": _validate.fraction("batch_norm_momentum",
                                                          batch_norm_momentum)}
    if weights == "imagenet":
        _check_imagenet_alpha(alpha, V2_IMAGENET_ALPHAS)
    inputs = image_input(input_shape, min_size=MIN_SIZE, fixed_size=None)
    if weights == "imagenet":
        sizes = (DEFAULT_IMAGENET_SIZE,) if alpha in V2_IMAGENET_224_ONLY else V2_IMAGENET_SIZES
        imagenet_file = _imagenet_file(mobilenet_v2_imagenet_file, sizes, alpha,
                                       include_top=include_top, input_shape=inputs.shape[1:],
                                       num_classes=num_classes)

    x = keras.layers.Conv2D(make_divisible(V2_STEM_FILTERS * alpha), 3, strides=2,
                            padding="same", use_bias=False, name="Conv1")(inputs)
    x = FusedBatchNormalization(**batch_norm, name="bn_Conv1")(x)
    x = keras.layers.ReLU(6.0, name="Conv1_relu")(x)
    block_id = 0
    for expansion, channels, repeats, first_stride in V2_BLOCKS:
        for repeat in range(repeats):
            # keras' names: the first block (no expansion) is "expanded_conv".
            x = inverted_residual_block(
                x, make_divisible(int(channels * alpha)), expansion=expansion,
                stride=first_stride if repeat == 0 else 1,
                name=f"block_{block_id}" if block_id else "expanded_conv",
                batch_norm=batch_norm)
            block_id += 1
    # The paper applies a width multiplier below one to every layer but the last.
    last = make_divisible(V2_LAST_FILTERS * alpha) if alpha > 1 else V2_LAST_FILTERS
    x = keras.layers.Conv2D(last, 1, use_bias=False, name="Conv_1")(x)
    x = FusedBatchNormalization(**batch_norm, name="Conv_1_bn")(x)
    x = keras.layers.ReLU(6.0, name="out_relu")(x)
    outputs = classifier_head(x, include_top=include_top, pooling=pooling,
                              num_classes=num_classes,
                              classifier_activation=classifier_activation)
    model = keras.Model(inputs, outputs, name=name)

    if weights == "imagenet":
        return load_imagenet_weights(
            model, functools.partial(keras.applications.MobileNetV2, alpha=alpha),
            imagenet_file, include_top=include_top)
    return load_weights(model, weights)
