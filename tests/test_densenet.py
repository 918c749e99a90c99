"""DenseNet-121/169/201: parity with keras.applications (parameter counts, ported weights,
layer names), the paper's table 1, the depth argument, the dense and transition blocks and the
errors users hit. What DenseNet shares with the other ImageNet-style families (pooling, odd
sizes and channels, the common argument errors, ImageNet weight files) is in
test_imagenet_families."""

import keras
import numpy as np
import pytest

import zoo
from tests.helpers import assert_random_keras_weights_port
from zoo.layers import dense_block
from zoo.models.vision import densenet as densenet_module

KERAS_TWINS = [("densenet121", "DenseNet121"), ("densenet169", "DenseNet169"),
               ("densenet201", "DenseNet201")]


@pytest.mark.parametrize(("name", "application"), KERAS_TWINS)
def test_random_keras_weights_port_and_give_keras_outputs(name, application):
    # 67x75: odd sizes, so the stem's explicit padding and the transitions' pooling must
    # round as keras' do (67 -> 34 -> 17 -> 8 -> 4 -> 2).
    shape = (67, 75, 3)
    assert_random_keras_weights_port(getattr(keras.applications, application), name, shape)


def test_layer_names_are_keras_applications_names():
    source = keras.applications.DenseNet121(weights=None, input_shape=(32, 32, 3),
                                            include_top=False)
    model = zoo.get_model("densenet121", input_shape=(32, 32, 3), include_top=False)
    ours = {layer.name for layer in model.layers} - {"image"}
    theirs = {layer.name for layer in source.layers[1:]}
    # keras leaves the stem's two paddings unnamed (zero_padding2d_N); zoo names them.
    assert sorted(ours - theirs) == ["conv1_pad", "pool1_pad"]
    assert all(name.startswith("zero_padding2d") for name in theirs - ours)


@pytest.mark.parametrize(("depth", "blocks", "channels"), [
    (121, (6, 12, 24, 16), 1024), (169, (6, 12, 32, 32), 1664), (201, (6, 12, 48, 32), 1920),
])
def test_blocks_and_widths_are_the_papers_table_1(depth, blocks, channels):
    # Channels by hand: 64 + 6 * 32 = 256 -> 128; + 12 * 32 = 512 -> 256; + b3 * 32 -> half;
    # + b4 * 32 (DenseNet-121: 256 + 768 = 1024 -> 512, 512 + 512 = 1024).
    width = 64
    for index, layers in enumerate(blocks):
        width += 32 * layers
        if index < 3:
            width //= 2
    assert width == channels
    model = zoo.get_model(f"densenet{depth}", input_shape=(32, 32, 3), include_top=False)
    assert model.output_shape == (None, 1, 1, channels)
    concats = [layer for layer in model.layers if layer.name.endswith("_concat")]
    assert len(concats) == sum(blocks)
    # Depth counts the convolutions and the classifier: 2 per dense layer, the stem, three
    # transitions and the dense top.
    assert 2 * sum(blocks) + 1 + 3 + 1 == depth


def test_depth_override_names_the_model_after_its_registry_entry():
    assert zoo.get_model("densenet121", depth=169, input_shape=(32, 32, 3)).name == "densenet169"
    assert densenet_module.densenet(depth=121, input_shape=(32, 32, 3), name="mine").name == "mine"


def test_a_dense_layer_adds_growth_rate_maps_and_a_transition_compresses():
    inputs = keras.Input((8, 8, 64))
    layer = keras.Model(inputs, dense_block.dense_layer(inputs, 12, name="layer"))
    block = keras.Model(inputs, dense_block.dense_block(inputs, 3, 12, name="block"))
    transition = keras.Model(inputs, dense_block.transition_block(inputs, 0.5, name="t"))
    assert layer.output_shape == (None, 8, 8, 64 + 12)
    assert block.output_shape == (None, 8, 8, 64 + 3 * 12)
    assert transition.output_shape == (None, 4, 4, 32)
    # The bottleneck is 4k wide: 1x1 conv 64 -> 48, 3x3 conv 48 -> 12.
    assert layer.get_layer("layer_1_conv").kernel.shape == (1, 1, 64, 48)
    assert layer.get_layer("layer_2_conv").kernel.shape == (3, 3, 48, 12)
    # The block's input passes through unchanged as its first channels.
    x = np.random.default_rng(0).random((1, 8, 8, 64), dtype=np.float32)
    np.testing.assert_array_equal(block(x).numpy()[..., :64], x)


def test_a_transition_needs_a_compression_in_0_1():
    with pytest.raises(ValueError, match=r"compression=0 must be a number in \(0, 1\]"):
        dense_block.transition_block(keras.Input((8, 8, 64)), 0)


def test_a_depth_other_than_121_169_or_201_is_refused():
    with pytest.raises(ValueError,
                       match=r"depth=100 is not allowed; choose one of \[121, 169, 201\]"):
        zoo.get_model("densenet121", depth=100)
