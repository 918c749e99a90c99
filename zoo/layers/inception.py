"""Inception blocks: the four-branch module of GoogLeNet (Inception v1) and the factorised
blocks of Inception v3.

- Szegedy, C., Liu, W., Jia, Y., Sermanet, P., Reed, S., Anguelov, D., Erhan, D., Vanhoucke, V.
  and Rabinovich, A. (2015). Going deeper with convolutions. CVPR. arXiv:1409.4842.
- Szegedy, C., Vanhoucke, V., Ioffe, S., Shlens, J. and Wojna, Z. (2016). Rethinking the
  inception architecture for computer vision. CVPR. arXiv:1512.00567.

Every block takes a channels-last tensor and returns one (Functional style). Layer names
derive from the block's `name`, so a model built twice has the same names both times.

The Inception v3 blocks create their layers in exactly the order of
`keras.applications.InceptionV3` (keras/src/applications/inception_v3.py), so weights port
between the two layer by layer.
"""

import keras

from zoo.layers.normalization import FusedBatchNormalization

CHANNEL_AXIS = -1


def relu_conv(x, filters, kernel_size, *, strides=1, name):
    """A convolution with bias and ReLU, "same" padding: GoogLeNet's only kind of convolution
    (it predates batch normalisation)."""
    return keras.layers.Conv2D(filters, kernel_size, strides=strides, padding="same",
                               activation="relu", name=name)(x)


def inception_v1_module(x, filters_1x1, filters_3x3_reduce, filters_3x3, filters_5x5_reduce,
                        filters_5x5, filters_pool_proj, *, name):
    """GoogLeNet's Inception module (Szegedy et al. 2015, figure 2b): four parallel branches
    concatenated along channels.

    1. a 1x1 convolution (`filters_1x1`);
    2. a 1x1 reduction (`filters_3x3_reduce`) then a 3x3 convolution (`filters_3x3`);
    3. a 1x1 reduction (`filters_5x5_reduce`) then a 5x5 convolution (`filters_5x5`);
    4. 3x3 max pooling with stride 1, then a 1x1 projection (`filters_pool_proj`).

    The 1x1 reductions before the expensive 3x3 and 5x5 convolutions are the paper's point:
    they keep the computation in budget as the network grows wider and deeper. The output has
    `filters_1x1 + filters_3x3 + filters_5x5 + filters_pool_proj` channels and the input's
    spatial size. Names follow the reference Caffe model (`inception_3a_3x3_reduce`, ...).
    """
    branch_1x1 = relu_conv(x, filters_1x1, 1, name=f"{name}_1x1")
    branch_3x3 = relu_conv(x, filters_3x3_reduce, 1, name=f"{name}_3x3_reduce")
    branch_3x3 = relu_conv(branch_3x3, filters_3x3, 3, name=f"{name}_3x3")
    branch_5x5 = relu_conv(x, filters_5x5_reduce, 1, name=f"{name}_5x5_reduce")
    branch_5x5 = relu_conv(branch_5x5, filters_5x5, 5, name=f"{name}_5x5")
    branch_pool = keras.layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x)
    branch_pool = relu_conv(branch_pool, filters_pool_proj, 1, name=f"{name}_pool_proj")
    return keras.layers.Concatenate(axis=CHANNEL_AXIS, name=f"{name}_output")(
        [branch_1x1, branch_3x3, branch_5x5, branch_pool])


def conv2d_bn(x, filters, kernel_size, *, strides=1, padding="same", name):
    """Inception v3's convolution: no bias, batch normalisation without a scale (the ReLU that
    follows makes a per-channel scale redundant), then ReLU. As keras.applications names
    them: `<name>_conv`, `<name>_bn` and `<name>` for the activation."""
    x = keras.layers.Conv2D(filters, kernel_size, strides=strides, padding=padding,
                            use_bias=False, name=f"{name}_conv")(x)
    x = FusedBatchNormalization(axis=CHANNEL_AXIS, scale=False, name=f"{name}_bn")(x)
    return keras.layers.Activation("relu", name=name)(x)


def _average_pool_branch(x, filters, name):
    x = keras.layers.AveragePooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x)
    return conv2d_bn(x, filters, 1, name=f"{name}_branch_pool")


def inception_v3_a(x, pool_filters, *, name):
    """The 35x35 block (Szegedy et al. 2016, figure 5; keras' mixed0-2): a 5x5 receptive
    field factorised into two stacked 3x3 convolutions. As in the released model (and keras),
    a 1x1 -> 5x5 branch is kept beside it; `pool_filters` is the pooling branch's projection
    width (32 in mixed0, 64 after)."""
    branch_1x1 = conv2d_bn(x, 64, 1, name=f"{name}_branch1x1")
    branch_5x5 = conv2d_bn(x, 48, 1, name=f"{name}_branch5x5_1")
    branch_5x5 = conv2d_bn(branch_5x5, 64, 5, name=f"{name}_branch5x5_2")
    branch_3x3dbl = conv2d_bn(x, 64, 1, name=f"{name}_branch3x3dbl_1")
    branch_3x3dbl = conv2d_bn(branch_3x3dbl, 96, 3, name=f"{name}_branch3x3dbl_2")
    branch_3x3dbl = conv2d_bn(branch_3x3dbl, 96, 3, name=f"{name}_branch3x3dbl_3")
    branch_pool = _average_pool_branch(x, pool_filters, name)
    return keras.layers.Concatenate(axis=CHANNEL_AXIS, name=name)(
        [branch_1x1, branch_5x5, branch_3x3dbl, branch_pool])


def inception_v3_reduction_a(x, *, name):
    """The 35x35 -> 17x17 grid reduction (Szegedy et al. 2016, figure 10; keras' mixed3):
    strided convolutions and a strided max pooling side by side, so the grid shrinks while
    the channels grow without a representational bottleneck."""
    branch_3x3 = conv2d_bn(x, 384, 3, strides=2, padding="valid", name=f"{name}_branch3x3")
    branch_3x3dbl = conv2d_bn(x, 64, 1, name=f"{name}_branch3x3dbl_1")
    branch_3x3dbl = conv2d_bn(branch_3x3dbl, 96, 3, name=f"{name}_branch3x3dbl_2")
    branch_3x3dbl = conv2d_bn(branch_3x3dbl, 96, 3, strides=2, padding="valid",
                              name=f"{name}_branch3x3dbl_3")
    branch_pool = keras.layers.MaxPooling2D(3, strides=2, name=f"{name}_pool")(x)
    return keras.layers.Concatenate(axis=CHANNEL_AXIS, name=name)(
        [branch_3x3, branch_3x3dbl, branch_pool])


def inception_v3_b(x, filters_7x7, *, name):
    """The 17x17 block (Szegedy et al. 2016, figure 6; keras' mixed4-7): n x n convolutions
    factorised into 1 x n followed by n x 1 (n = 7), which costs 2n instead of n^2 weights per
    channel pair. `filters_7x7` is the width inside the factorised branches (128, 160, 192)."""
    branch_1x1 = conv2d_bn(x, 192, 1, name=f"{name}_branch1x1")
    branch_7x7 = conv2d_bn(x, filters_7x7, 1, name=f"{name}_branch7x7_1")
    branch_7x7 = conv2d_bn(branch_7x7, filters_7x7, (1, 7), name=f"{name}_branch7x7_2")
    branch_7x7 = conv2d_bn(branch_7x7, 192, (7, 1), name=f"{name}_branch7x7_3")
    branch_7x7dbl = conv2d_bn(x, filters_7x7, 1, name=f"{name}_branch7x7dbl_1")
    branch_7x7dbl = conv2d_bn(branch_7x7dbl, filters_7x7, (7, 1), name=f"{name}_branch7x7dbl_2")
    branch_7x7dbl = conv2d_bn(branch_7x7dbl, filters_7x7, (1, 7), name=f"{name}_branch7x7dbl_3")
    branch_7x7dbl = conv2d_bn(branch_7x7dbl, filters_7x7, (7, 1), name=f"{name}_branch7x7dbl_4")
    branch_7x7dbl = conv2d_bn(branch_7x7dbl, 192, (1, 7), name=f"{name}_branch7x7dbl_5")
    branch_pool = _average_pool_branch(x, 192, name)
    return keras.layers.Concatenate(axis=CHANNEL_AXIS, name=name)(
        [branch_1x1, branch_7x7, branch_7x7dbl, branch_pool])


def inception_v3_reduction_b(x, *, name):
    """The 17x17 -> 8x8 grid reduction (keras' mixed8), built like `inception_v3_reduction_a`
    with a factorised 7x7 in the deeper branch."""
    branch_3x3 = conv2d_bn(x, 192, 1, name=f"{name}_branch3x3_1")
    branch_3x3 = conv2d_bn(branch_3x3, 320, 3, strides=2, padding="valid",
                           name=f"{name}_branch3x3_2")
    branch_7x7x3 = conv2d_bn(x, 192, 1, name=f"{name}_branch7x7x3_1")
    branch_7x7x3 = conv2d_bn(branch_7x7x3, 192, (1, 7), name=f"{name}_branch7x7x3_2")
    branch_7x7x3 = conv2d_bn(branch_7x7x3, 192, (7, 1), name=f"{name}_branch7x7x3_3")
    branch_7x7x3 = conv2d_bn(branch_7x7x3, 192, 3, strides=2, padding="valid",
                             name=f"{name}_branch7x7x3_4")
    branch_pool = keras.layers.MaxPooling2D(3, strides=2, name=f"{name}_pool")(x)
    return keras.layers.Concatenate(axis=CHANNEL_AXIS, name=name)(
        [branch_3x3, branch_7x7x3, branch_pool])


def inception_v3_c(x, *, name, split_name=None):
    """The 8x8 block (Szegedy et al. 2016, figure 7; keras' mixed9-10): the 3x3 convolutions
    are split into parallel 1x3 and 3x1 convolutions whose outputs are concatenated, widening
    the coarsest grid's representation. The inner concatenations are `split_name` (default
    `<name>_3x3`; keras calls them `mixed9_0` and `mixed9_1`) and `<name>_3x3dbl`."""
    branch_1x1 = conv2d_bn(x, 320, 1, name=f"{name}_branch1x1")

    branch_3x3 = conv2d_bn(x, 384, 1, name=f"{name}_branch3x3_1")
    branch_3x3_1 = conv2d_bn(branch_3x3, 384, (1, 3), name=f"{name}_branch3x3_2a")
    branch_3x3_2 = conv2d_bn(branch_3x3, 384, (3, 1), name=f"{name}_branch3x3_2b")
    branch_3x3 = keras.layers.Concatenate(axis=CHANNEL_AXIS, name=split_name or f"{name}_3x3")(
        [branch_3x3_1, branch_3x3_2])

    branch_3x3dbl = conv2d_bn(x, 448, 1, name=f"{name}_branch3x3dbl_1")
    branch_3x3dbl = conv2d_bn(branch_3x3dbl, 384, 3, name=f"{name}_branch3x3dbl_2")
    branch_3x3dbl_1 = conv2d_bn(branch_3x3dbl, 384, (1, 3), name=f"{name}_branch3x3dbl_3a")
    branch_3x3dbl_2 = conv2d_bn(branch_3x3dbl, 384, (3, 1), name=f"{name}_branch3x3dbl_3b")
    branch_3x3dbl = keras.layers.Concatenate(axis=CHANNEL_AXIS, name=f"{name}_3x3dbl")(
        [branch_3x3dbl_1, branch_3x3dbl_2])

    branch_pool = _average_pool_branch(x, 192, name)
    return keras.layers.Concatenate(axis=CHANNEL_AXIS, name=name)(
        [branch_1x1, branch_3x3, branch_3x3dbl, branch_pool])
