"""Blocks of the classic plain convolutional networks (AlexNet, ZFNet, VGG, Network in
Network), as Functional-style functions that take a tensor and return a tensor, and the
local response normalisation layer of AlexNet.

- Krizhevsky, A., Sutskever, I. and Hinton, G. E. (2012). ImageNet classification with deep
  convolutional neural networks. NeurIPS. Section 3.3 (local response normalisation), 3.4
  (overlapping pooling), 4.2 (dropout).
- Zeiler, M. D. and Fergus, R. (2014). Visualizing and understanding convolutional networks.
  ECCV. arXiv:1311.2901.
- Simonyan, K. and Zisserman, A. (2015). Very deep convolutional networks for large-scale
  image recognition. ICLR. arXiv:1409.1556.
- Lin, M., Chen, Q. and Yan, S. (2014). Network in network. ICLR. arXiv:1312.4400.

Layer names derive from the `name` each block is given, so a model built twice has the same
names both times; the VGG names are keras.applications' (`block1_conv1`, `block1_pool`, `fc1`,
`fc2`, `predictions`).
"""

import keras
import tensorflow as tf

from zoo.layers.normalization import FusedBatchNormalization

# Krizhevsky et al. (2012), section 3.3: k = 2, n = 5, alpha = 1e-4, beta = 0.75. The paper's
# sum has no 1/n factor, which is also tf.nn.local_response_normalization's form (Caffe's
# alpha is divided by n), so alpha is passed on as it is; n = 5 neighbours is a radius of 2.
LRN_DEPTH_RADIUS = 2
LRN_BIAS = 2.0
LRN_ALPHA = 1e-4
LRN_BETA = 0.75


@keras.saving.register_keras_serializable(package="zoo")
class LocalResponseNormalization(keras.layers.Layer):
    """AlexNet's local response normalisation (Krizhevsky et al., 2012, section 3.3): each
    activation is divided by (bias + alpha * the sum of the squares of the activations of the
    `2 * depth_radius + 1` neighbouring channels at the same position) ** beta, a "lateral
    inhibition" between feature maps. Channels last; no weights."""

    def __init__(self, depth_radius=LRN_DEPTH_RADIUS, bias=LRN_BIAS, alpha=LRN_ALPHA,
                 beta=LRN_BETA, **kwargs):
        super().__init__(**kwargs)
        self.depth_radius = depth_radius
        self.bias = bias
        self.alpha = alpha
        self.beta = beta

    def call(self, inputs):
        return tf.nn.local_response_normalization(
            inputs, depth_radius=self.depth_radius, bias=self.bias, alpha=self.alpha,
            beta=self.beta)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "depth_radius": self.depth_radius, "bias": self.bias,
                "alpha": self.alpha, "beta": self.beta}


def conv_relu(x, filters, kernel_size, *, strides=1, padding="same", batch_norm=False, name):
    """A convolution and ReLU; with `batch_norm`, batch normalisation between the two.

    Without batch normalisation the ReLU is the convolution's own activation, a single layer
    named `name`, as in keras.applications' VGG (so its weights port one to one). With it, the
    layers are `name`, `{name}_bn` and `{name}_relu`; the convolution keeps its bias, as in
    torchvision's `vgg*_bn` (whose parameter counts are then reproduced)."""
    if not batch_norm:
        return keras.layers.Conv2D(filters, kernel_size, strides=strides, padding=padding,
                                   activation="relu", name=name)(x)
    x = keras.layers.Conv2D(filters, kernel_size, strides=strides, padding=padding,
                            name=name)(x)
    x = FusedBatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.Activation("relu", name=f"{name}_relu")(x)


def ceil_max_pool(x, pool_size=3, strides=2, *, name):
    """Max-pooling whose output size is rounded up, ceil((n - pool_size) / strides) + 1, as in
    Caffe (the framework of the reference AlexNet, ZFNet and NIN models): the last window may
    hang over the bottom and right edges. With 3x3/2 windows this gives the papers' map sizes
    (AlexNet 55-27-13-6, ZFNet 110-55-26-13-6 at 224x224), which Keras' "valid" pooling
    (rounding down) does not for ZFNet.

    The overhang is zero-padded, which equals ignoring it because every caller pools the
    output of a ReLU (values >= 0). As in Caffe, a window must start inside the map: the map
    needs `pool_size - strides + 1` rows and columns (2 for 3x3/2 windows).
    """
    height, width = x.shape[1], x.shape[2]
    pad_bottom = -(height - pool_size) % strides
    pad_right = -(width - pool_size) % strides
    if pad_bottom or pad_right:
        x = keras.layers.ZeroPadding2D(((0, pad_bottom), (0, pad_right)), name=f"{name}_pad")(x)
    return keras.layers.MaxPooling2D(pool_size, strides=strides, name=name)(x)


def vgg_stage(x, filters, convs, *, batch_norm=False, name):
    """One VGG stage (Simonyan and Zisserman, 2015, Table 1): `convs` 3x3 convolutions of
    `filters` channels with stride 1 and "same" padding, then 2x2 max-pooling with stride 2.
    Layers are `{name}_conv1` ... `{name}_convN` and `{name}_pool`, as in keras.applications."""
    for index in range(1, convs + 1):
        x = conv_relu(x, filters, 3, batch_norm=batch_norm, name=f"{name}_conv{index}")
    return keras.layers.MaxPooling2D(2, strides=2, name=f"{name}_pool")(x)


def mlpconv(x, filters, kernel_size, *, name):
    """Network in Network's mlpconv layer (Lin, Chen and Yan, 2014, section 3.1): a
    `kernel_size` convolution of `filters[0]` channels followed by 1x1 convolutions of
    `filters[1:]` channels, all with ReLU, i.e. a small multilayer perceptron slid over the
    image (the paper's networks use two 1x1 layers).

    Layers are `{name}_conv` (the spatial convolution), then `{name}_mlp1`, `{name}_mlp2`, ...
    """
    x = conv_relu(x, filters[0], kernel_size, name=f"{name}_conv")
    for index, width in enumerate(filters[1:], start=1):
        x = conv_relu(x, width, 1, name=f"{name}_mlp{index}")
    return x


def dense_top(x, *, units, dropout, num_classes, classifier_activation):
    """The fully connected top of AlexNet, ZFNet and VGG: flatten, two ReLU layers of `units`
    (4096 in the papers) each followed by dropout (0.5 in the papers), and the classifier.

    Names are keras.applications' VGG names (`flatten`, `fc1`, `fc2`, `predictions`; the
    dropouts are `fc1_dropout` and `fc2_dropout`, which keras' VGG leaves out; they hold no
    weights and do nothing at inference). Flattening makes `fc1`'s weights depend on the size
    of the last feature map, hence on the input size.
    """
    x = keras.layers.Flatten(name="flatten")(x)
    for index in (1, 2):
        x = keras.layers.Dense(units, activation="relu", name=f"fc{index}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"fc{index}_dropout")(x)
    return keras.layers.Dense(num_classes, activation=classifier_activation,
                              name="predictions")(x)
