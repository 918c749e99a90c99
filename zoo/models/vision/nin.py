"""Network in Network (Lin, Chen and Yan, 2014, "Network in network"): the CIFAR-10 network
of the paper, three mlpconv layers and global average pooling over class maps.

An mlpconv layer (`zoo.layers.conv_blocks.mlpconv`) is a convolution followed by two 1x1
convolutions: a small multilayer perceptron slid over the image, a more expressive local
feature detector than one linear filter. The last mlpconv layer outputs one map per class and
global average pooling turns each map into the class's score: no dense layers, so nothing to
overfit at the top and every map reads as a confidence map of its class.

    mlpconv1  5x5 conv 192, 1x1 160, 1x1 96      3x3/2 max-pool, dropout 0.5   32 -> 16
    mlpconv2  5x5 conv 192, 1x1 192, 1x1 192     3x3/2 max-pool, dropout 0.5   16 -> 8
    mlpconv3  3x3 conv 192, 1x1 192, 1x1 classes (`predictions`), global average pooling

The widths are those of the authors' released CIFAR-10 model (966,986 parameters for 10
classes at 32x32x3). Pooling is max-pooling after the first two mlpconv layers, followed by
dropout, as section 4.1 of the paper says (that model averages in its second pooling), and it
rounds up as Caffe's does (`zoo.layers.conv_blocks.ceil_max_pool`). Two choices differ from
that model: the class maps have no ReLU, so that the averaged maps are unconstrained logits
(`classifier_activation=None` gives them), and the softmax is a separate
`predictions_activation` layer.

Without the top (`include_top=False`), the network ends with mlpconv3's second layer (192
maps), optionally pooled by `pooling`: the class-map convolution is the classifier.
"""

from zoo import _validate
from zoo._lazy import keras
from zoo.models._common import (
    check_image_classifier,
    classifier_head,
    fashion_mnist_recipe,
    image_input,
    load_weights,
)
from zoo.registry import Reference, register, search_space

# Two 3x3/2 poolings that round up, each needing 2 rows: 4 -> 2 -> 1, while 3 -> 1 leaves
# the second nothing to pool. The convolutions are "same" and do not shrink the maps.
MIN_SIZE = (4, 4)
MLPCONV_FILTERS = ((192, 160, 96), (192, 192, 192), (192, 192))
MLPCONV_KERNELS = (5, 5, 3)

LIN_2014 = Reference("Network in network", "Lin, M., Chen, Q. and Yan, S.", 2014,
                     "https://arxiv.org/abs/1312.4400")


def nin_space(hp) -> dict:
    """The dropout after the first two mlpconv layers, the one regulariser of Network in
    Network besides its global average pooling (Lin, Chen and Yan, 2014, section 4.1). The
    mlpconv widths are the authors' released model."""
    return {"dropout": hp.Float("dropout", 0.0, 0.7, step=0.1, default=0.5)}


@search_space(nin_space)
@register("nin", family="nin", task="image-classification", api="functional",
          input_shape=(32, 32, 3), input_name="image", dataset="fashion_mnist", num_classes=10,
          recipe=fashion_mnist_recipe(32),
          reference=LIN_2014)
def nin(input_shape=(32, 32, 3), num_classes=10, include_top=True, pooling=None,
        classifier_activation="softmax", weights=None, dropout=0.5, name="nin"):
    """Network in Network: three mlpconv layers, the last giving one map per class, and global
    average pooling of the class maps instead of dense layers.

    `dropout` is the rate after the first two mlpconv layers. `weights` is None or a weight
    file.
    """
    check_image_classifier(num_classes, include_top, pooling, classifier_activation, weights)
    dropout = _validate.fraction("dropout", dropout)
    inputs = image_input(input_shape, min_size=MIN_SIZE,
                         fixed_size="its Caffe-style pooling pads each map by its known size")

    from zoo.layers.conv_blocks import ceil_max_pool, mlpconv

    x = inputs
    for index, (filters, kernel_size) in enumerate(
            zip(MLPCONV_FILTERS, MLPCONV_KERNELS, strict=True), start=1):
        x = mlpconv(x, filters, kernel_size, name=f"mlpconv{index}")
        if index < len(MLPCONV_FILTERS):
            x = ceil_max_pool(x, name=f"pool{index}")
            if dropout:
                x = keras.layers.Dropout(dropout, name=f"dropout{index}")(x)
    if include_top:
        x = keras.layers.Conv2D(num_classes, 1, name="predictions")(x)
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = keras.layers.Activation(classifier_activation, name="predictions_activation")(x)
    else:
        x = classifier_head(x, include_top=False, pooling=pooling, num_classes=num_classes,
                            classifier_activation=classifier_activation)
    return load_weights(keras.Model(inputs, x, name=name), weights)
