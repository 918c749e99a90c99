"""DenseNet-121/169/201 (Huang, Liu, van der Maaten and Weinberger, 2017, "Densely connected
convolutional networks", arXiv:1608.06993).

In a dense block every layer receives the feature maps of all layers before it, concatenated,
and adds `growth_rate` (k = 32) maps of its own; transition layers between blocks halve the
resolution and the channels (compression 0.5). The networks are the paper's DenseNet-BC of
table 1: a 7x7/2 convolution and 3x3/2 max pooling, four dense blocks of (6, 12, 24, 16),
(6, 12, 32, 32) or (6, 12, 48, 32) layers with three transitions between them, then batch
normalization, ReLU, global average pooling and the classifier. The image is downsampled 32
times, so the 32x32 minimum ends at 1x1.

The models reproduce keras.applications' DenseNet121, DenseNet169 and DenseNet201 layer for
layer (keras/src/applications/densenet.py), names included (keras leaves the stem's two zero
paddings unnamed; here they are `conv1_pad` and `pool1_pad`), so parameter counts are
identical (DenseNet-121: 8,062,504) and keras' ImageNet weights load with
`weights="imagenet"` (from the Keras cache; zoo never downloads). That means keras'
conventions: no convolution biases and batch normalization's epsilon 1.001e-5.
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

MIN_SIZE = (32, 32)  # keras.applications' minimum: the stem and three transitions divide by 32.
GROWTH_RATE = 32
COMPRESSION = 0.5
STEM_FILTERS = 2 * GROWTH_RATE  # the paper's DenseNet-BC stem: 2k maps
# Layers per dense block (table 1 of the paper) and keras.applications' twin.
BLOCKS = {
    121: ((6, 12, 24, 16), "DenseNet121"),
    169: ((6, 12, 32, 32), "DenseNet169"),
    201: ((6, 12, 48, 32), "DenseNet201"),
}

HUANG_2017 = Reference("Densely connected convolutional networks",
                       "Huang, G., Liu, Z., van der Maaten, L. and Weinberger, K. Q.", 2017,
                       "https://arxiv.org/abs/1608.06993")
RECIPE = fashion_mnist_recipe(32)
CARD = imagenet_classifier_card("densenet", recipe=RECIPE, reference=HUANG_2017)


def imagenet_weights_file(depth, include_top):
    """keras.applications' file name for the ImageNet weights of this DenseNet."""
    return (f"densenet{depth}_weights_tf_dim_ordering_tf_kernels"
            f"{'' if include_top else '_notop'}.h5")


def _stem(x):
    """7x7/2 convolution, BN, ReLU and 3x3/2 max pooling, each zero-padded explicitly as keras
    does (so odd and even sizes round as keras' do)."""
    from zoo.layers.dense_block import BN_EPSILON
    from zoo.layers.normalization import FusedBatchNormalization

    x = keras.layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(x)
    x = keras.layers.Conv2D(STEM_FILTERS, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = FusedBatchNormalization(epsilon=BN_EPSILON, name="conv1_bn")(x)
    x = keras.layers.Activation("relu", name="conv1_relu")(x)
    x = keras.layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    return keras.layers.MaxPooling2D(3, strides=2, name="pool1")(x)


@search_space(recipe_only)
@register("densenet121", defaults={"depth": 121}, **CARD)
@register("densenet169", defaults={"depth": 169}, **CARD)
@register("densenet201", defaults={"depth": 201}, **CARD)
def densenet(input_shape=(224, 224, 3), num_classes=1000, include_top=True, pooling=None,
             classifier_activation="softmax", weights=None, depth=121, name=None):
    """DenseNet-BC: a convolutional stem, four dense blocks (growth rate 32) joined by
    transitions with compression 0.5, and a BN-ReLU before the classifier.

    `depth` is 121, 169 or 201. `name` defaults to the registry name (`densenet121`, ...), so
    the model finds its card whatever the depth. `weights` is None, a weight file, or
    "imagenet" (keras.applications' file, which must be in the Keras cache); keras'
    preprocessing is `keras.applications.densenet.preprocess_input`.
    """
    from zoo.layers.dense_block import BN_EPSILON, dense_block, transition_block
    from zoo.layers.normalization import FusedBatchNormalization

    _validate.choice("depth", depth, BLOCKS)
    check_image_classifier(num_classes, include_top, pooling, classifier_activation, weights,
                           imagenet=True)
    name = f"densenet{depth}" if name is None else name
    blocks, application = BLOCKS[depth]

    inputs = image_input(input_shape, min_size=MIN_SIZE, fixed_size=None)
    if weights == "imagenet":
        imagenet_file = check_imagenet_weights(
            imagenet_weights_file(depth, include_top), include_top=include_top,
            input_shape=inputs.shape[1:], num_classes=num_classes)
    x = _stem(inputs)
    # Blocks conv2 ... conv5 and transitions pool2 ... pool4, keras' names.
    for index, layers in enumerate(blocks, start=2):
        x = dense_block(x, layers, GROWTH_RATE, name=f"conv{index}")
        if index < 5:
            x = transition_block(x, COMPRESSION, name=f"pool{index}")
    # DenseNet's layers are pre-activated (BN-ReLU-conv): the last block's output still needs
    # its BN and ReLU before pooling.
    x = FusedBatchNormalization(epsilon=BN_EPSILON, name="bn")(x)
    x = keras.layers.Activation("relu", name="relu")(x)
    outputs = classifier_head(x, include_top=include_top, pooling=pooling,
                              num_classes=num_classes,
                              classifier_activation=classifier_activation)
    model = keras.Model(inputs, outputs, name=name)

    if weights == "imagenet":
        return load_imagenet_weights(model, getattr(keras.applications, application),
                                     imagenet_file, include_top=include_top)
    return load_weights(model, weights)
