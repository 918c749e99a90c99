"""Residual blocks and the stacks (stages) built from them, as Functional-style functions that
take a tensor and return a tensor.

- `basic_block`: two 3x3 convolutions (ResNet-18/34), He, Zhang, Ren and Sun (2016), "Deep
  residual learning for image recognition", arXiv:1512.03385, Fig. 2 and Table 1.
- `bottleneck_block`: 1x1 reduce, 3x3, 1x1 expand by 4 (ResNet-50/101/152), same paper, Fig. 5.
- `preact_bottleneck_block`: the pre-activation bottleneck of He, Zhang, Ren and Sun (2016),
  "Identity mappings in deep residual networks", arXiv:1603.05027, Fig. 1(b) and 4(e): BN and
  ReLU come before each convolution and nothing follows the addition, so the shortcut path
  stays a pure identity from block to block.

The bottleneck blocks and stacks reproduce keras.applications' `residual_block_v1`,
`residual_block_v2` and their stacks layer for layer (same layers, order and names), so that
keras' ImageNet weights port into them. Layer names follow keras' scheme: `{name}_0_*` is the
shortcut branch, `{name}_1_*`, `{name}_2_*`, ... the residual branch in order.

A block picks its own shortcut: the identity where the input already has the output's shape,
otherwise a strided 1x1 projection (the paper's option B). The basic block can instead take
option A, the parameter-free shortcut of the paper's CIFAR networks (Section 4.2): the input
subsampled by the stride, with zero channels appended (`ZeroPaddedShortcut`). In the
pre-activation block a change of resolution alone is a 1x1 max-pooling with the block's stride
(keras' choice), i.e. the identity subsampled.
"""

import keras
import tensorflow as tf

from zoo.layers.normalization import FusedBatchNormalization

# keras.applications' epsilon, just above cuDNN's minimum of 1e-5; kept so that ImageNet
# weights give keras' outputs.
BN_EPSILON = 1.001e-5
BOTTLENECK_EXPANSION = 4


def _batch_norm(x, name):
    return FusedBatchNormalization(epsilon=BN_EPSILON, name=name)(x)


def _conv3x3(x, filters, stride, *, use_bias, name):
    """A 3x3 convolution that keeps the size at stride 1 and gives ceil(size / stride) else.

    A strided convolution is zero-padded by one pixel on every side (as in the paper's Caffe
    and torchvision models) rather than with "same" padding, which pads only the bottom and
    right for even sizes.
    """
    if stride == 1:
        return keras.layers.Conv2D(filters, 3, padding="same", use_bias=use_bias,
                                   name=f"{name}_conv")(x)
    x = keras.layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_pad")(x)
    return keras.layers.Conv2D(filters, 3, strides=stride, use_bias=use_bias,
                               name=f"{name}_conv")(x)


# "none" is the paper's plain network (Section 4.1, Fig. 6): the same layers, no shortcut.
SHORTCUTS = ("projection", "zero_pad", "none")


@keras.saving.register_keras_serializable(package="zoo")
class ZeroPaddedShortcut(keras.layers.Layer):
    """The parameter-free "option A" shortcut of He et al. (2016), "Deep residual learning
    for image recognition", Section 3.3 and 4.2: where a block halves the resolution and
    widens, the identity is subsampled by `stride` (every other pixel, the positions a strided
    3x3 convolution with one pixel of padding centres on) and padded with zero channels up to
    `filters`."""

    def __init__(self, filters, stride=1, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.stride = stride

    def subsample(self, inputs):
        """Every `stride`-th pixel from the first, as `inputs[:, ::stride, ::stride, :]`."""
        # A 1x1 average pool rather than the strided slice: the same values and gradients, but
        # TensorFlow's CPU gradient of a strided slice scatters into a tensor of zeros; in
        # ResNet-20's profiled training step the slices and their gradients took 7.7 ms, the
        # pool's gradient 2.6 ms (benchmarks/profile_step.py; the "pooled_subsample" lever of
        # benchmarks/speed_levers.py).
        if self.stride == 1:
            return inputs
        return tf.nn.avg_pool2d(inputs, 1, self.stride, "VALID")

    def call(self, inputs):
        x = self.subsample(inputs)
        extra = self.filters - inputs.shape[-1]
        return tf.pad(x, [[0, 0], [0, 0], [0, 0], [extra // 2, extra - extra // 2]])

    def compute_output_shape(self, input_shape):
        def subsampled(size):
            return None if size is None else -(-size // self.stride)

        return (input_shape[0], subsampled(input_shape[1]), subsampled(input_shape[2]),
                self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "stride": self.stride}


def basic_block(x, filters, stride=1, name="block", shortcut="projection"):
    """Two 3x3 convolutions with batch normalization and a shortcut added before the last ReLU
    (He et al., 2016, "Deep residual learning for image recognition", Fig. 2).

    The stride is on the first 3x3 convolution. Convolutions have no bias: each is followed
    by batch normalization, whose offset makes a bias redundant (torchvision's convention, which
    gives the paper's parameter counts). Where the shape changes, `shortcut="projection"` is a
    1x1 convolution with batch normalization (option B, the ImageNet ResNets) and
    `shortcut="zero_pad"` the parameter-free `ZeroPaddedShortcut` (option A, the CIFAR ResNets).
    `shortcut="none"` leaves the shortcut out: the plain network's two layers that the paper
    compares the residual block against.
    """
    if shortcut not in SHORTCUTS:
        raise ValueError(f"shortcut={shortcut!r} must be one of {SHORTCUTS}.")
    if shortcut == "none":
        residual = None
    elif stride == 1 and x.shape[-1] == filters:
        residual = x
    elif shortcut == "zero_pad":
        if x.shape[-1] > filters:
            raise ValueError(f"a zero-padded shortcut cannot narrow {x.shape[-1]} channels to "
                             f"{filters}; use shortcut='projection'.")
        residual = ZeroPaddedShortcut(filters, stride, name=f"{name}_0_pad")(x)
    else:
        residual = keras.layers.Conv2D(filters, 1, strides=stride, use_bias=False,
                                       name=f"{name}_0_conv")(x)
        residual = _batch_norm(residual, f"{name}_0_bn")

    x = _conv3x3(x, filters, stride, use_bias=False, name=f"{name}_1")
    x = _batch_norm(x, f"{name}_1_bn")
    x = keras.layers.Activation("relu", name=f"{name}_1_relu")(x)

    x = _conv3x3(x, filters, 1, use_bias=False, name=f"{name}_2")
    x = _batch_norm(x, f"{name}_2_bn")

    if residual is not None:
        x = keras.layers.Add(name=f"{name}_add")([residual, x])
    return keras.layers.Activation("relu", name=f"{name}_out")(x)


def bottleneck_block(x, filters, stride=1, name="block"):
    """1x1 convolution down to `filters`, 3x3, 1x1 up to 4 * `filters`, each followed by batch
    normalization, with the shortcut added before the last ReLU (He et al., 2016, "Deep
    residual learning for image recognition", Fig. 5 right).

    As in the paper's released Caffe models and keras.applications (ResNet "v1"), the stride is
    on the first 1x1 convolution; torchvision's "v1.5" moves it to the 3x3 one. Convolutions
    have biases, as keras' have.
    """
    outputs = BOTTLENECK_EXPANSION * filters
    if stride != 1 or x.shape[-1] != outputs:
        shortcut = keras.layers.Conv2D(outputs, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = _batch_norm(shortcut, f"{name}_0_bn")
    else:
        shortcut = x

    x = keras.layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = _batch_norm(x, f"{name}_1_bn")
    x = keras.layers.Activation("relu", name=f"{name}_1_relu")(x)

    x = keras.layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = _batch_norm(x, f"{name}_2_bn")
    x = keras.layers.Activation("relu", name=f"{name}_2_relu")(x)

    x = keras.layers.Conv2D(outputs, 1, name=f"{name}_3_conv")(x)
    x = _batch_norm(x, f"{name}_3_bn")

    x = keras.layers.Add(name=f"{name}_add")([shortcut, x])
    return keras.layers.Activation("relu", name=f"{name}_out")(x)


def preact_bottleneck_block(x, filters, stride=1, name="block"):
    """Pre-activation bottleneck: BN-ReLU, then 1x1, BN-ReLU-3x3, BN-ReLU-1x1 up to 4 *
    `filters`, added to the shortcut with nothing after the addition (He et al., 2016,
    "Identity mappings in deep residual networks", Fig. 4(e)).

    A projection shortcut starts from the pre-activated input (the paper's Appendix: projection
    shortcuts are also with pre-activation). The stride is on the 3x3
    convolution. As in keras.applications' ResNetV2, the 1x1 and 3x3 convolutions followed by
    batch normalization have no bias; the block's last convolution and the projection do.
    """
    outputs = BOTTLENECK_EXPANSION * filters
    preact = _batch_norm(x, f"{name}_preact_bn")
    preact = keras.layers.Activation("relu", name=f"{name}_preact_relu")(preact)

    if x.shape[-1] != outputs:
        shortcut = keras.layers.Conv2D(outputs, 1, strides=stride,
                                       name=f"{name}_0_conv")(preact)
    elif stride != 1:
        shortcut = keras.layers.MaxPooling2D(1, strides=stride, name=f"{name}_0_pool")(x)
    else:
        shortcut = x

    x = keras.layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = _batch_norm(x, f"{name}_1_bn")
    x = keras.layers.Activation("relu", name=f"{name}_1_relu")(x)

    # Always padded explicitly, as keras does: the same at stride 1 as "same" padding.
    x = keras.layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = keras.layers.Conv2D(filters, 3, strides=stride, use_bias=False,
                            name=f"{name}_2_conv")(x)
    x = _batch_norm(x, f"{name}_2_bn")
    x = keras.layers.Activation("relu", name=f"{name}_2_relu")(x)

    x = keras.layers.Conv2D(outputs, 1, name=f"{name}_3_conv")(x)
    return keras.layers.Add(name=f"{name}_out")([shortcut, x])


def residual_stack(x, block, filters, blocks, stride=2, name="stack", **block_options):
    """`blocks` post-activation blocks (`basic_block` or `bottleneck_block`, given
    `block_options`); the first one changes resolution by `stride` and width, as in the
    original ResNets. Blocks are named `{name}_block1`, `{name}_block2`, ..."""
    x = block(x, filters, stride=stride, name=f"{name}_block1", **block_options)
    for index in range(2, blocks + 1):
        x = block(x, filters, name=f"{name}_block{index}", **block_options)
    return x


def preact_residual_stack(x, filters, blocks, stride=2, name="stack"):
    """`blocks` pre-activation bottlenecks; the first changes the width and the last the
    resolution (by `stride`), as keras.applications' ResNetV2 (after TF-Slim's resnet_v2) does:
    each stack then ends at the next stack's resolution."""
    if blocks < 2:
        raise ValueError(f"blocks={blocks!r} must be at least 2 in a pre-activation stack.")
    x = preact_bottleneck_block(x, filters, name=f"{name}_block1")
    for index in range(2, blocks):
        x = preact_bottleneck_block(x, filters, name=f"{name}_block{index}")
    return preact_bottleneck_block(x, filters, stride=stride, name=f"{name}_block{blocks}")
