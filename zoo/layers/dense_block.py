"""Dense blocks and transition layers of DenseNet, as Functional-style functions that take a
tensor and return a tensor.

Huang, G., Liu, Z., van der Maaten, L. and Weinberger, K. Q. (2017). Densely connected
convolutional networks. CVPR. arXiv:1608.06993.

- `dense_layer`: the "DenseNet-B" composite function BN-ReLU-1x1 convolution (4k filters) -
  BN-ReLU-3x3 convolution (k filters), whose k new feature maps are concatenated to its input
  (section 3, "Bottleneck layers"; k is the growth rate).
- `dense_block`: a run of dense layers, each seeing the feature maps of all before it.
- `transition_block`: BN-ReLU-1x1 convolution-2x2 average pooling between dense blocks, the
  convolution keeping `compression` of the channels ("DenseNet-C", section 3).

The functions reproduce keras.applications' `conv_block`, `dense_block` and
`transition_block` (keras/src/applications/densenet.py) layer for layer, names included, so
keras' weights port into them: convolutions have no bias (batch normalization follows or
precedes each), and batch normalization's epsilon is keras' 1.001e-5.
"""

import keras

from zoo.layers.normalization import FusedBatchNormalization

# keras.applications' epsilon, just above cuDNN's minimum of 1e-5; kept so that ImageNet
# weights give keras' outputs.
BN_EPSILON = 1.001e-5
BOTTLENECK_WIDTH = 4  # the 1x1 convolution produces 4k maps (paper, section 3)


def _bn_relu(x, name):
    x = FusedBatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)
    return keras.layers.Activation("relu", name=f"{name}_relu")(x)


def dense_layer(x, growth_rate, name="layer"):
    """BN-ReLU-1x1 convolution to `4 * growth_rate` maps, BN-ReLU-3x3 convolution to
    `growth_rate` maps, concatenated after the input (Huang et al. 2017, DenseNet-B).

    The output has `growth_rate` more channels than the input. Layers are named
    `{name}_0_bn`, `{name}_1_conv`, ... as keras names them.
    """
    y = _bn_relu(x, f"{name}_0")
    y = keras.layers.Conv2D(BOTTLENECK_WIDTH * growth_rate, 1, use_bias=False,
                            name=f"{name}_1_conv")(y)
    y = _bn_relu(y, f"{name}_1")
    y = keras.layers.Conv2D(growth_rate, 3, padding="same", use_bias=False,
                            name=f"{name}_2_conv")(y)
    # The input first, then the new maps: keras' order, which the ported weights rely on.
    return keras.layers.Concatenate(name=f"{name}_concat")([x, y])


def dense_block(x, layers, growth_rate=32, name="block"):
    """`layers` dense layers in a row, named `{name}_block1`, `{name}_block2`, ...: the output
    has `layers * growth_rate` more channels than the input, at the same resolution."""
    for index in range(1, layers + 1):
        x = dense_layer(x, growth_rate, name=f"{name}_block{index}")
    return x


def transition_block(x, compression=0.5, name="transition"):
    """BN-ReLU, a 1x1 convolution to `int(channels * compression)` maps and 2x2 average
    pooling with stride 2 (Huang et al. 2017, section 3, "Pooling layers" and "Compression").
    """
    if not 0 < compression <= 1:
        raise ValueError(f"compression={compression!r} must be a number in (0, 1].")
    filters = int(x.shape[-1] * compression)
    x = _bn_relu(x, name)
    x = keras.layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_conv")(x)
    return keras.layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)
