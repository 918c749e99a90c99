"""A convolution whose kernel covers its whole input, computed as the matrix product it is.

LeCun et al. (1998, "Gradient-based learning applied to document recognition", section II.B)
describe LeNet-5's C5 as a convolution of 5x5 kernels over S4's 5x5 maps, "a full connection
between S4 and C5", kept a convolution only so that larger inputs give larger maps. Where the
kernel covers the input, each output is one dot product of the flattened input with the
flattened kernel: a dense layer. TensorFlow's CPU convolution (oneDNN) does not see that and
runs its general kernel, forward and in both gradients, several times slower than the matrix
product at C5's shapes; what it gains LeNet-5's whole training step is the `covering_conv`
lever of `benchmarks/speed_levers.py`.
"""

from __future__ import annotations

import math

from zoo._lazy import keras, tf


@keras.saving.register_keras_serializable(package="zoo")
class CoveringConv2D(keras.layers.Conv2D):
    """`keras.layers.Conv2D` that runs as a matrix product where its kernel covers its input.

    That is: "valid" padding, an input whose height and width equal the kernel's, no dilation,
    one group and channels last; the output is then 1x1 whatever the strides. The variables,
    their names, shapes and order, and the config are Keras' own, so weights and `.keras` files
    move both ways; any other input (a larger image, unknown sizes) takes Keras' convolution.
    """

    def _covers(self, inputs) -> bool:
        return (self.padding == "valid" and self.data_format == "channels_last"
                and self.groups == 1 and tuple(self.dilation_rate) == (1, 1)
                and tuple(inputs.shape[1:3]) == tuple(self.kernel_size))

    def call(self, inputs):
        if not self._covers(inputs):
            return super().call(inputs)
        # The kernel's (height, width, in, out) flattens in the order the input's
        # (height, width, channels) does, so one reshape of each lines them up.
        fan_in = math.prod(self.kernel_size) * inputs.shape[-1]
        outputs = tf.matmul(tf.reshape(inputs, (-1, fan_in)),
                            tf.reshape(self.kernel, (fan_in, self.filters)))
        if self.use_bias:
            # bias_add (not +) so that grappler fuses MatMul, BiasAdd and the activation.
            outputs = tf.nn.bias_add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return tf.reshape(outputs, (-1, 1, 1, self.filters))
