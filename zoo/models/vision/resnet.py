"""Residual networks: ResNet-18/34/50/101/152 (He, Zhang, Ren and Sun, 2016, "Deep residual
learning for image recognition") and the pre-activation ResNet-50/101/152 "v2" (He, Zhang,
Ren and Sun, 2016, "Identity mappings in deep residual networks").

A 7x7/2 convolution and a 3x3/2 max-pooling (the stem), four stacks of residual blocks at
64, 128, 256 and 512 filters (`zoo.layers.residual`), global average pooling and a dense
classifier. The image is downsampled 32 times, so the 32x32 minimum ends at 1x1.

ResNet-50/101/152 and their v2 reproduce keras.applications' ResNet50 ... ResNet152V2 layer
for layer, names included, so parameter counts are identical and keras' ImageNet weights load
with `weights="imagenet"` (from the Keras cache; zoo never downloads). That means keras'
conventions: v1 convolutions have biases, the bottleneck's stride is on its first 1x1
convolution and batch normalization's epsilon is 1.001e-5; v2 puts each stack's stride on its
last block and ends with batch normalization and ReLU after the last stack.

ResNet-18/34 have no keras.applications counterpart and no ImageNet weights here. They are
built in the same style (same stem, names and epsilon) but follow torchvision and the paper:
no convolution biases (every convolution is followed by batch normalization), the stride on
the first 3x3 convolution of a block, and 1x1 projections where the shape changes. Their
trainable parameters are then torchvision's 11,689,512 and 21,797,672; `count_params()` adds
the batch-normalization moving means and variances (9,600 and 17,024).
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
    recipe_only,
)
from zoo.models.vision._porting import check_imagenet_weights, load_imagenet_weights
from zoo.registry import Reference, register, search_space

MIN_SIZE = (32, 32)  # keras.applications' minimum: the stem and three stacks divide by 32.
FILTERS = (64, 128, 256, 512)
# Blocks per stack (conv2_x ... conv5_x of the paper's Table 1) and the block type.
STACKS = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}
DEPTHS = {1: (18, 34, 50, 101, 152), 2: (50, 101, 152)}
# The keras.applications model with the same layers, and the stem of its weight file names.
KERAS_APPLICATIONS = {
    (1, 50): ("ResNet50", "resnet50"),
    (1, 101): ("ResNet101", "resnet101"),
    (1, 152): ("ResNet152", "resnet152"),
    (2, 50): ("ResNet50V2", "resnet50v2"),
    (2, 101): ("ResNet101V2", "resnet101v2"),
    (2, 152): ("ResNet152V2", "resnet152v2"),
}

HE_2016 = Reference("Deep residual learning for image recognition",
                    "He, K., Zhang, X., Ren, S. and Sun, J.", 2016,
                    "https://arxiv.org/abs/1512.03385")
HE_2016_V2 = Reference("Identity mappings in deep residual networks",
                       "He, K., Zhang, X., Ren, S. and Sun, J.", 2016,
                       "https://arxiv.org/abs/1603.05027")
RECIPE = fashion_mnist_recipe(32)
CARD = imagenet_classifier_card("resnet", recipe=RECIPE)


def default_name(depth, version):
    """The registry name of a ResNet: `resnet50`, `resnet50_v2`, ..."""
    return f"resnet{depth}" + ("_v2" if version == 2 else "")


def imagenet_weights_file(depth, version, include_top):
    """keras.applications' file name for the ImageNet weights of this ResNet."""
    stem = KERAS_APPLICATIONS[(version, depth)][1]
    return f"{stem}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"


def _check_weights(weights, depth, version):
    if weights == "imagenet" and (version, depth) not in KERAS_APPLICATIONS:
        available = ", ".join(default_name(d, v) for v, d in KERAS_APPLICATIONS)
        raise ValueError(
            f"weights='imagenet' is not available for {default_name(depth, version)}; "
            f"ImageNet weights exist for {available}. Use weights=None or a weight file."
        )


def _stem(x, *, use_bias, preact):
    """7x7/2 convolution and 3x3/2 max-pooling, each zero-padded explicitly as keras does.
    Pre-activation networks leave the convolution's BN and ReLU to the first block."""
    x = keras.layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(x)
    x = keras.layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        from zoo.layers.normalization import FusedBatchNormalization
        from zoo.layers.residual import BN_EPSILON

        x = FusedBatchNormalization(epsilon=BN_EPSILON, name="conv1_bn")(x)
        x = keras.layers.Activation("relu", name="conv1_relu")(x)
    x = keras.layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    return keras.layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)


def _stacks(x, depth, version):
    """The four stacks, named conv2 ... conv5 as the paper's conv2_x ... conv5_x."""
    from zoo.layers import residual

    kind, blocks = STACKS[depth]
    names = [f"conv{index}" for index in range(2, 6)]
    if version == 2:
        # The stride is on each stack's last block, so conv2-conv4 halve and conv5 does not.
        for filters, count, stride, name in zip(FILTERS, blocks, (2, 2, 2, 1), names,
                                                strict=True):
            x = residual.preact_residual_stack(x, filters, count, stride=stride, name=name)
        x = residual.FusedBatchNormalization(epsilon=residual.BN_EPSILON, name="post_bn")(x)
        return keras.layers.Activation("relu", name="post_relu")(x)
    block = residual.basic_block if kind == "basic" else residual.bottleneck_block
    for filters, count, stride, name in zip(FILTERS, blocks, (1, 2, 2, 2), names, strict=True):
        x = residual.residual_stack(x, block, filters, count, stride=stride, name=name)
    return x


@search_space(recipe_only)
@register("resnet18", reference=HE_2016, defaults={"depth": 18}, **CARD)
@register("resnet34", reference=HE_2016, defaults={"depth": 34}, **CARD)
@register("resnet50", reference=HE_2016, defaults={"depth": 50}, **CARD)
@register("resnet101", reference=HE_2016, defaults={"depth": 101}, **CARD)
@register("resnet152", reference=HE_2016, defaults={"depth": 152}, **CARD)
@register("resnet50_v2", reference=HE_2016_V2, defaults={"depth": 50, "version": 2}, **CARD)
@register("resnet101_v2", reference=HE_2016_V2, defaults={"depth": 101, "version": 2}, **CARD)
@register("resnet152_v2", reference=HE_2016_V2, defaults={"depth": 152, "version": 2}, **CARD)
def resnet(input_shape=(224, 224, 3), num_classes=1000, include_top=True, pooling=None,
           classifier_activation="softmax", weights=None, depth=50, version=1, name=None):
    """ResNet: a convolutional stem and four stacks of residual blocks with identity shortcuts.

    `depth` is 18 or 34 (basic blocks) or 50, 101 or 152 (bottleneck blocks); `version=2`
    (depths 50, 101, 152) builds the pre-activation network. `name` defaults to the registry
    name (`resnet50`, `resnet50_v2`, ...), so the model finds its card whatever the depth.
    `weights` is None, a weight file, or "imagenet" (depths 50, 101 and 152: keras.applications'
    file, which must be in the Keras cache).
    """
    _validate.choice("version", version, DEPTHS)
    if depth not in DEPTHS[version]:
        raise ValueError(f"depth={depth!r} is not allowed for version={version}; choose one of "
                         f"{list(DEPTHS[version])}.")
    check_image_classifier(num_classes, include_top, pooling, classifier_activation, weights,
                           imagenet=True)
    _check_weights(weights, depth, version)
    name = default_name(depth, version) if name is None else name

    inputs = image_input(input_shape, min_size=MIN_SIZE, fixed_size=None)
    if weights == "imagenet":
        imagenet_file = check_imagenet_weights(
            imagenet_weights_file(depth, version, include_top), include_top=include_top,
            input_shape=inputs.shape[1:], num_classes=num_classes)
    # keras' v1 and v2 stem convolutions have a bias; ResNet-18/34 have none (module docstring).
    x = _stem(inputs, use_bias=STACKS[depth][0] == "bottleneck", preact=version == 2)
    x = _stacks(x, depth, version)
    outputs = classifier_head(x, include_top=include_top, pooling=pooling,
                              num_classes=num_classes,
                              classifier_activation=classifier_activation)
    model = keras.Model(inputs, outputs, name=name)

    if weights == "imagenet":
        application = getattr(keras.applications, KERAS_APPLICATIONS[(version, depth)][0])
        return load_imagenet_weights(model, application, imagenet_file,
                                     include_top=include_top)
    return load_weights(model, weights)
