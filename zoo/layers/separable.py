"""Depthwise separable convolution blocks, as Functional-style functions that take a tensor
and return a tensor.

A depthwise separable convolution factorises a KxK convolution into a KxK depthwise
convolution (one filter per input channel) and a 1x1 pointwise convolution that mixes the
channels: about 1/K^2 of the multiply-adds and parameters.

- `xception_block`: Xception's residual module of two or three ReLU-separable convolution-BN
  units (Chollet, F. (2017). Xception: deep learning with depthwise separable convolutions.
  CVPR. arXiv:1610.02357, figure 5). Its separable convolution is one `SeparableConv2D` layer,
  with no batch normalization or ReLU between the depthwise and the pointwise step (the
  paper's section 4.7 finds the intermediate non-linearity hurts).
- `depthwise_separable_block`: MobileNet's 3x3 depthwise convolution-BN-ReLU6, 1x1 pointwise
  convolution-BN-ReLU6 (Howard, A. G., Zhu, M., Chen, B., Kalenichenko, D., Wang, W., Weyand,
  T., Andreetto, M. and Adam, H. (2017). MobileNets: efficient convolutional neural networks
  for mobile vision applications. arXiv:1704.04861, figure 3).
- `inverted_residual_block`: MobileNetV2's bottleneck: a 1x1 expansion-BN-ReLU6, 3x3 depthwise
  convolution-BN-ReLU6, and a linear 1x1 projection-BN, with an identity shortcut between the
  narrow ends when the shapes allow (Sandler, M., Howard, A., Zhu, M., Zhmoginov, A. and Chen,
  L.-C. (2018). MobileNetV2: inverted residuals and linear bottlenecks. CVPR.
  arXiv:1801.04381, figure 3b and table 1).

The blocks reproduce keras.applications' Xception, MobileNet and MobileNetV2 layer for layer
(keras/src/applications/xception.py, mobilenet.py, mobilenet_v2.py): same layers, graph and
names where keras names them, so keras' weights port into them. That includes keras'
explicit zero padding before strided depthwise convolutions and its batch-normalization
settings (Keras' defaults for Xception and MobileNet; epsilon 1e-3 and momentum 0.999 for
MobileNetV2, as in its TF-Slim original).
"""

import keras

from zoo.layers.normalization import FusedBatchNormalization

# MobileNetV2's batch normalization (keras.applications, after the TF-Slim model).
V2_BN = {"epsilon": 1e-3, "momentum": 0.999}


def make_divisible(value, divisor=8):
    """`value` rounded to the nearest multiple of `divisor`, at least `divisor` and never more
    than 10% below `value`: MobileNetV2's channel rounding for width multipliers (keras' and
    TF-Slim's `_make_divisible`)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def stride2_padding(height, width, kernel_size=3):
    """The zero padding ((top, bottom), (left, right)) before a stride-2 "valid" convolution
    that gives ceil(size / 2) outputs (keras' `imagenet_utils.correct_pad`): one row or column
    fewer at the top/left for even sizes, as TensorFlow's "same" padding does."""
    half = kernel_size // 2
    return ((half - 1 + height % 2, half), (half - 1 + width % 2, half))


# --- Xception -------------------------------------------------------------------------------


def separable_conv_bn(x, filters, name):
    """A 3x3 `SeparableConv2D` (no bias) and batch normalization, named `{name}` and
    `{name}_bn`: the unit Xception repeats."""
    x = keras.layers.SeparableConv2D(filters, 3, padding="same", use_bias=False, name=name)(x)
    return FusedBatchNormalization(name=f"{name}_bn")(x)


def xception_block(x, filters, *, activate_input=True, downsample=True, name="block"):
    """Xception's residual module: for each entry of `filters`, ReLU, a separable convolution
    and batch normalization (named `{name}_sepconv{i}_act`, `{name}_sepconv{i}`,
    `{name}_sepconv{i}_bn`), added to a shortcut.

    With `downsample`, the module ends with 3x3/2 max pooling and the shortcut is a strided
    1x1 convolution with batch normalization (the entry and exit flows of figure 5);
    otherwise the shortcut is the identity (the middle flow). `activate_input=False` leaves
    out the first ReLU, for the first module, whose input has just been through one.
    """
    if downsample:
        shortcut = keras.layers.Conv2D(filters[-1], 1, strides=2, padding="same",
                                       use_bias=False, name=f"{name}_residual_conv")(x)
        shortcut = FusedBatchNormalization(name=f"{name}_residual_bn")(shortcut)
    else:
        shortcut = x
    y = x
    for index, width in enumerate(filters, start=1):
        if index > 1 or activate_input:
            y = keras.layers.Activation("relu", name=f"{name}_sepconv{index}_act")(y)
        y = separable_conv_bn(y, width, name=f"{name}_sepconv{index}")
    if downsample:
        y = keras.layers.MaxPooling2D(3, strides=2, padding="same", name=f"{name}_pool")(y)
    # The separable branch first, then the shortcut: keras' order, which porting relies on.
    return keras.layers.Add(name=f"{name}_add")([y, shortcut])


# --- MobileNet ------------------------------------------------------------------------------


def depthwise_separable_block(x, filters, *, stride=1, depth_multiplier=1, block_id=1):
    """MobileNet's depthwise separable convolution (Howard et al. 2017, figure 3): a 3x3
    depthwise convolution with `depth_multiplier` filters per channel, then a 1x1 convolution
    to `filters` channels, each followed by batch normalization and ReLU6.

    Layers are named as keras names them: `conv_dw_{block_id}`, `conv_pw_{block_id}`, ... A
    stride-2 block pads one row and column at the bottom and right (`conv_pad_{block_id}`)
    and convolves without padding, as keras does: the same as "same" padding for even sizes,
    one row or column fewer for odd ones.
    """
    if stride == 1:
        y = x
        padding = "same"
    else:
        y = keras.layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
        padding = "valid"
    y = keras.layers.DepthwiseConv2D(3, strides=stride, padding=padding,
                                     depth_multiplier=depth_multiplier, use_bias=False,
                                     name=f"conv_dw_{block_id}")(y)
    y = FusedBatchNormalization(name=f"conv_dw_{block_id}_bn")(y)
    y = keras.layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(y)
    y = keras.layers.Conv2D(filters, 1, padding="same", use_bias=False,
                            name=f"conv_pw_{block_id}")(y)
    y = FusedBatchNormalization(name=f"conv_pw_{block_id}_bn")(y)
    return keras.layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(y)


def inverted_residual_block(x, filters, *, expansion=6, stride=1, name="block",
                            batch_norm=V2_BN):
    """MobileNetV2's inverted residual with linear bottleneck (Sandler et al. 2018, table 1):
    1x1 expansion to `expansion` times the input channels (left out when `expansion` is 1),
    3x3 depthwise convolution with `stride`, 1x1 projection to `filters` channels without an
    activation, batch normalization after each, ReLU6 after the first two.

    The input is added to the output when the block keeps the shape (stride 1, `filters`
    equal to the input channels). Layers are named `{name}_expand`, `{name}_depthwise`,
    `{name}_project`, ... with keras' suffixes (`_BN`, `_relu`, `_pad`, `_add`).
    `batch_norm` holds the options of every batch normalization (keras': `V2_BN`).
    """
    channels = x.shape[-1]
    y = x
    if expansion != 1:
        y = keras.layers.Conv2D(expansion * channels, 1, padding="same", use_bias=False,
                                name=f"{name}_expand")(y)
        y = FusedBatchNormalization(**batch_norm, name=f"{name}_expand_BN")(y)
        y = keras.layers.ReLU(6.0, name=f"{name}_expand_relu")(y)
    # keras pads explicitly before a "valid" stride-2 convolution; the padding depends on the
    # map's size, so at an unknown size "same" padding (the same zeros for every size) does it.
    padded = stride == 2 and None not in y.shape[1:3]
    if padded:
        padding = stride2_padding(y.shape[1], y.shape[2])
        y = keras.layers.ZeroPadding2D(padding=padding, name=f"{name}_pad")(y)
    y = keras.layers.DepthwiseConv2D(3, strides=stride, padding="valid" if padded else "same",
                                     use_bias=False, name=f"{name}_depthwise")(y)
    y = FusedBatchNormalization(**batch_norm, name=f"{name}_depthwise_BN")(y)
    y = keras.layers.ReLU(6.0, name=f"{name}_depthwise_relu")(y)
    # Linear bottleneck: no ReLU after the projection (the paper's section 3.2: a ReLU in
    # the narrow layer destroys information).
    y = keras.layers.Conv2D(filters, 1, padding="same", use_bias=False,
                            name=f"{name}_project")(y)
    y = FusedBatchNormalization(**batch_norm, name=f"{name}_project_BN")(y)
    if stride == 1 and channels == filters:
        return keras.layers.Add(name=f"{name}_add")([x, y])
    return y
