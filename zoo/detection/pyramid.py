"""A feature pyramid over a backbone's maps: Lin, Dollar, Girshick, He, Hariharan and Belongie
(2017), "Feature pyramid networks for object detection", CVPR, arXiv:1612.03144, Section 3.

Each backbone map gets a 1x1 "lateral" convolution to one width; from the coarsest level down,
each level adds the level above it upsampled (nearest neighbour), so that fine maps, good at
where things are, also get the semantics of the coarse ones; a 3x3 convolution on every merged
map then smooths the upsampling's aliasing. Without the top-down path (`top_down=False`) the
laterals alone bring every level to the one width that shared detection heads need, as SSD
(Liu et al. 2016) predicts from each backbone map on its own.
"""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="zoo")
class UpsampleToMatch(keras.layers.Layer):
    """A coarse map repeated `factor` times along height and width (nearest neighbour), then
    cropped to a finer map's height and width: `[coarse, fine] -> map` of the fine map's size
    and the coarse one's channels.

    A "same"-padded network of total stride s gives ceil(size / s) cells, so the repeated map
    covers the fine one with fewer than `factor` extra rows and columns at the bottom and right,
    and cropping them leaves each fine cell under the coarse cell that contains it, at any
    image size (an exact 2x upsampling would not fit the 13 cells of stride 8 under the 7 of
    stride 16 that a 100-pixel image gives).
    """

    def __init__(self, factor: int, **kwargs):
        super().__init__(**kwargs)
        self.factor = int(factor)

    def call(self, inputs):
        coarse, fine = inputs
        repeated = tf.repeat(tf.repeat(coarse, self.factor, axis=1), self.factor, axis=2)
        size = tf.shape(fine)
        return repeated[:, :size[1], :size[2], :]

    def compute_output_shape(self, input_shape):
        coarse, fine = input_shape
        return (coarse[0], fine[1], fine[2], coarse[3])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def feature_pyramid(maps, strides, width: int, *, top_down: bool = True) -> list:
    """Pyramid maps of `width` channels, one per backbone map, fine to coarse.

    Args:
        maps: the backbone's Keras tensors, fine to coarse, at `strides`.
        strides: each map's stride; each must divide the next (the upsampling's factor).
        width: the pyramid's channels (256 in Lin et al.).
        top_down: add the top-down path and 3x3 smoothing (FPN); False keeps the laterals.
    """
    laterals = [keras.layers.Conv2D(width, 1, name=f"lateral_stride_{stride}")(level)
                for level, stride in zip(maps, strides, strict=True)]
    if not top_down:
        return laterals
    merged = [laterals[-1]]
    for level in reversed(range(len(laterals) - 1)):
        fine, coarse = strides[level], strides[level + 1]
        upsampled = UpsampleToMatch(coarse // fine, name=f"upsample_stride_{coarse}_to_{fine}")(
            [merged[0], laterals[level]])
        merged.insert(0, keras.layers.Add(name=f"merge_stride_{fine}")(
            [laterals[level], upsampled]))
    return [keras.layers.Conv2D(width, 3, padding="same", name=f"pyramid_stride_{stride}")(level)
            for level, stride in zip(merged, strides, strict=True)]
