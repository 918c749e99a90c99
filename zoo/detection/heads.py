"""RetinaNet's class and box subnets: Lin, Goyal, Girshick, He and Dollar (2017), "Focal loss
for dense object detection", ICCV, arXiv:1708.02002, Section 4 and Figure 3.

Each head is a small fully convolutional network, `depth` 3x3 convolutions of `width` filters
with ReLU and a last 3x3 convolution to k outputs per anchor, shared by every pyramid level
(the levels have one width, and an object looks the same to the head at whatever level its
size puts it). New layers start from a Gaussian of standard deviation 0.01; the class head's
last bias starts at -log((1 - pi) / pi), so that every anchor first scores pi = 0.01 for each
class: with ~10^4 anchors of which a handful are objects, an unbiased start would give the
background a loss that swamps the first steps (Lin et al., Section 4.1, "Initialization").
"""

from __future__ import annotations

import math

import keras

from zoo import _validate

PRIOR_PROBABILITY = 0.01
HEAD_INITIALIZER_STDDEV = 0.01


def prior_bias(prior_probability: float = PRIOR_PROBABILITY) -> float:
    """The logit of `prior_probability`: -log((1 - pi) / pi)."""
    pi = _validate.fraction("prior_probability", prior_probability, inclusive_zero=False)
    return -math.log((1 - pi) / pi)


def prediction_head(width: int, depth: int, outputs: int, *, bias: float = 0.0,
                    name: str) -> keras.Model:
    """A head from a map of `width` channels (any height and width) to `outputs` channels per
    cell (anchors per cell times classes, or times 4 box deltas), with its last bias at
    `bias`: one number, or one per output."""
    def initializer():
        return keras.initializers.RandomNormal(stddev=HEAD_INITIALIZER_STDDEV)

    features = keras.Input((None, None, width), name=f"{name}_features")
    x = features
    for index in range(1, depth + 1):
        x = keras.layers.Conv2D(width, 3, padding="same", activation="relu",
                                kernel_initializer=initializer(), name=f"{name}_conv_{index}")(x)
    predictions = keras.layers.Conv2D(
        outputs, 3, padding="same", kernel_initializer=initializer(),
        bias_initializer=keras.initializers.Constant(bias), name=f"{name}_predictions")(x)
    return keras.Model(features, predictions, name=name)
