"""The pieces a segmentation decoder is built from, beyond Keras' own layers.

- `CropToMatch`: a map upsampled by a transposed convolution cropped to the size of the finer
  map it is merged with (or of the image). A "same"-padded backbone of total stride s has
  ceil(size / s) cells, so upsampling by f gives f * ceil(size / s) >= ceil(size * f / s)
  cells: the extra rows and columns sit at the bottom and right, and cropping them keeps each
  cell over the pixels it came from, at any image size. (Long, Shelhamer and Darrell crop
  with an offset instead, because their VGG pads the input by 100 pixels.)
- `BilinearUpsampling`: the initialiser FCN gives its transposed convolutions (Long et al.
  2015, Section 3.3), so that a new network upsamples its coarse scores bilinearly and
  training only has to refine that.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


@keras.saving.register_keras_serializable(package="zoo")
class CropToMatch(keras.layers.Layer):
    """`[map, reference] -> map` cropped to `reference`'s height and width (top-left kept).

    Refuses a map smaller than its reference when it runs: that is a backbone whose grid is
    not ceil(size / stride), which `zoo.detection.backbones.check_grid` refuses when the
    model is built.
    """

    def call(self, inputs):
        large, reference = inputs
        size, wanted = tf.shape(large), tf.shape(reference)
        with tf.control_dependencies([tf.debugging.assert_greater_equal(
                size[1:3], wanted[1:3],
                message=f"{self.name}: the upsampled map is smaller than its reference")]):
            return large[:, :wanted[1], :wanted[2], :]

    def compute_output_shape(self, input_shape):
        large, reference = input_shape
        return (large[0], reference[1], reference[2], large[3])


def bilinear_kernel(size: int) -> np.ndarray:
    """The [size, size] weights of bilinear interpolation for upsampling by (size + 1) // 2
    (FCN's `upsample_filt`): 1 at the centre, falling linearly to 0 one factor away."""
    factor = (size + 1) // 2
    centre = factor - 1 if size % 2 == 1 else factor - 0.5
    grid = np.arange(size)
    weights = 1 - np.abs(grid - centre) / factor
    return np.outer(weights, weights).astype(np.float32)


@keras.saving.register_keras_serializable(package="zoo")
class BilinearUpsampling(keras.initializers.Initializer):
    """A transposed convolution's kernel that upsamples each channel bilinearly on its own:
    `bilinear_kernel` on the diagonal of [height, width, out channels, in channels], zero
    elsewhere. For kernels of 2f with stride f (FCN's 4x4 for 2x, 16x16 for 8x)."""

    def __call__(self, shape, dtype=None):
        height, width, outputs, inputs = shape
        if height != width or outputs != inputs:
            raise ValueError(f"BilinearUpsampling needs a square kernel with as many output as "
                             f"input channels (each channel upsampled on its own); got shape "
                             f"{tuple(shape)}.")
        kernel = np.zeros(shape, np.float32)
        kernel[:, :, np.arange(outputs), np.arange(inputs)] = bilinear_kernel(height)[..., None]
        return keras.ops.convert_to_tensor(kernel, dtype=dtype or "float32")

    def get_config(self):
        return {}
