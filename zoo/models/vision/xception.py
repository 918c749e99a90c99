"""Xception (Chollet, 2017, "Xception: deep learning with depthwise separable convolutions",
arXiv:1610.02357).

An Inception-style network in which every Inception module is replaced by depthwise separable
convolutions, in 14 blocks with residual connections around all but the first and last
(figure 5 of the paper): the entry flow (two convolutions, then three downsampling modules
to 128, 256 and 728 channels), the middle flow (eight modules of three 728-channel
separable convolutions with identity shortcuts) and the exit flow (a downsampling module to
1024 channels, then separable convolutions to 1536 and 2048 channels), global average
pooling and the classifier. The stem's unpadded convolutions and five halvings make 71x71
the least input that leaves a 3x3 map.

The model reproduces keras.applications.Xception layer for layer
(keras/src/applications/xception.py), named as keras names them where keras names them (its
shortcut convolutions, batch normalizations and additions are unnamed there; here they are
`block{i}_residual_conv`, `block{i}_residual_bn` and `block{i}_add`), so the parameter count
is identical (22,910,480) and keras' ImageNet weights load with `weights="imagenet"` (from the
Keras cache; zoo never downloads).
"""

from zoo._lazy import keras
from zoo.models._common import (
    check_image_classifier,
    classifier_head,
    fashion_mnist_recipe,
    image_input,
    imagenet_classifier_card,
    load_weights,
    recipe_only,
)
from zoo.models.vision._porting import check_imagenet_weights, load_imagenet_weights
from zoo.registry import Reference, register, search_space

MIN_SIZE = (71, 71)  # keras.applications' minimum: 71 -> 35 -> 33 -> 17 -> 9 -> 5 -> 3.
ENTRY_FLOW = (128, 256, 728)  # blocks 2-4, each two separable convolutions
MIDDLE_FLOW_BLOCKS = 8  # blocks 5-12, each three 728-channel separable convolutions
MIDDLE_FLOW_WIDTH = 728
IMAGENET_FILES = {True: "xception_weights_tf_dim_ordering_tf_kernels.h5",
                  False: "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"}

CHOLLET_2017 = Reference("Xception: deep learning with depthwise separable convolutions",
                         "Chollet, F.", 2017, "https://arxiv.org/abs/1610.02357")
# The recipe trains at Xception's minimum size: Fashion-MNIST's 28x28 images resized to 71.
RECIPE = fashion_mnist_recipe(71, batch_size=64)


def _conv_bn_relu(x, filters, strides, name):
    """An unpadded 3x3 convolution (no bias), BN and ReLU: the stem's unit."""
    from zoo.layers.normalization import FusedBatchNormalization

    x = keras.layers.Conv2D(filters, 3, strides=strides, use_bias=False, name=name)(x)
    x = FusedBatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.Activation("relu", name=f"{name}_act")(x)


def _separable_conv_bn_relu(x, filters, name):
    from zoo.layers.separable import separable_conv_bn

    x = separable_conv_bn(x, filters, name=name)
    return keras.layers.Activation("relu", name=f"{name}_act")(x)


@search_space(recipe_only)
@register("xception", **imagenet_classifier_card(
    "xception", input_shape=(299, 299, 3), recipe=RECIPE, reference=CHOLLET_2017))
def xception(input_shape=(299, 299, 3), num_classes=1000, include_top=True, pooling=None,
             classifier_activation="softmax", weights=None, name="xception"):
    """Xception: entry, middle and exit flows of depthwise separable convolutions with
    residual connections, as keras.applications.Xception.

    Inputs are at least 71x71. `weights` is None, a weight file, or "imagenet"
    (keras.applications' file, which must be in the Keras cache; 3 channels and, with the
    top, 1000 classes); keras' preprocessing is `keras.applications.xception.preprocess_input`
    (pixels scaled to [-1, 1]).
    """
    from zoo.layers.separable import xception_block

    check_image_classifier(num_classes, include_top, pooling, classifier_activation, weights,
                           imagenet=True)
    inputs = image_input(input_shape, min_size=MIN_SIZE, fixed_size=None)
    if weights == "imagenet":
        imagenet_file = check_imagenet_weights(
            IMAGENET_FILES[include_top], include_top=include_top, input_shape=inputs.shape[1:],
            num_classes=num_classes)

    # Entry flow.
    x = _conv_bn_relu(inputs, 32, 2, name="block1_conv1")
    x = _conv_bn_relu(x, 64, 1, name="block1_conv2")
    for index, width in enumerate(ENTRY_FLOW, start=2):
        # The stem ends with a ReLU already: the first module does not repeat it.
        x = xception_block(x, (width, width), activate_input=index > 2, name=f"block{index}")
    # Middle flow.
    for index in range(5, 5 + MIDDLE_FLOW_BLOCKS):
        x = xception_block(x, (MIDDLE_FLOW_WIDTH,) * 3, downsample=False, name=f"block{index}")
    # Exit flow.
    x = xception_block(x, (728, 1024), name="block13")
    x = _separable_conv_bn_relu(x, 1536, name="block14_sepconv1")
    x = _separable_conv_bn_relu(x, 2048, name="block14_sepconv2")

    outputs = classifier_head(x, include_top=include_top, pooling=pooling,
                              num_classes=num_classes,
                              classifier_activation=classifier_activation)
    model = keras.Model(inputs, outputs, name=name)

    if weights == "imagenet":
        return load_imagenet_weights(model, keras.applications.Xception, imagenet_file,
                                     include_top=include_top)
    return load_weights(model, weights)
