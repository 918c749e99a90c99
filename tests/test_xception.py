"""Xception: parity with keras.applications.Xception (parameter count, ported weights, layer
names) and the Xception module. What Xception shares with the other ImageNet-style families
(pooling, odd sizes and channels, the argument errors, ImageNet weight files) is in
test_imagenet_families."""

import keras
import numpy as np
import pytest

import zoo
from tests.helpers import assert_same_activations, randomize
from zoo.layers import separable
from zoo.models.vision._porting import port_weights, weighted_layers


def test_the_flows_have_the_papers_map_sizes_at_299():
    model = zoo.get_model("xception")
    assert model.input_shape == (None, 299, 299, 3)
    # Figure 5: the middle flow runs at 19x19x728 and the exit flow ends at 10x10x2048.
    assert model.get_layer("block12_add").output.shape[1:] == (19, 19, 728)
    assert model.get_layer("block14_sepconv2_act").output.shape[1:] == (10, 10, 2048)


@pytest.mark.parametrize("shape", [(71, 71, 3), (80, 99, 3)])
def test_random_keras_weights_port_and_give_keras_outputs(shape):
    # 71x71 is the minimum (a 3x3 map at the end); 80x99 has odd and even sizes, so every
    # "same" pooling and strided shortcut must round as keras' do.
    source = keras.applications.Xception(weights=None, input_shape=shape, classes=10,
                                         classifier_activation=None)
    randomize(source)
    model = zoo.get_model("xception", input_shape=shape, num_classes=10,
                          classifier_activation=None)
    assert len(weighted_layers(model)) == len(weighted_layers(source))
    port_weights(source, model)
    x = np.random.default_rng(1).random((2, *shape), dtype=np.float32)
    assert np.abs(source(x).numpy()).max() > 0.1, "outputs large enough to compare"
    assert_same_activations(source, model, x)


def test_layer_names_are_keras_applications_names():
    source = keras.applications.Xception(weights=None, input_shape=(71, 71, 3),
                                         include_top=False)
    model = zoo.get_model("xception", input_shape=(71, 71, 3), include_top=False)
    ours = {layer.name for layer in model.layers} - {"image"}
    theirs = {layer.name for layer in source.layers[1:]}
    # keras leaves the shortcuts and additions unnamed; zoo names them after their block.
    shortcuts = {f"block{i}_residual_{kind}" for i in (2, 3, 4, 13) for kind in ("conv", "bn")}
    additions = {f"block{i}_add" for i in range(2, 14)}
    assert ours - theirs == shortcuts | additions
    assert all(name.startswith(("conv2d", "batch_normalization", "add"))
               for name in theirs - ours)
    # The weighted layers keras names come in the same order in both models.
    named = [layer.name for layer in weighted_layers(source) if layer.name in ours]
    assert named == [layer.name for layer in weighted_layers(model) if layer.name in theirs]


def test_xception_blocks_downsample_with_a_projection_or_keep_the_identity():
    inputs = keras.Input((8, 8, 64))
    entry = keras.Model(inputs, separable.xception_block(
        inputs, (128, 128), activate_input=False, name="entry"))
    middle = keras.Model(inputs, separable.xception_block(
        inputs, (64, 64, 64), downsample=False, name="middle"))
    assert entry.output_shape == (None, 4, 4, 128)
    assert middle.output_shape == (None, 8, 8, 64)
    entry_names = [layer.name for layer in entry.layers]
    middle_names = [layer.name for layer in middle.layers]
    assert "entry_residual_conv" in entry_names and "entry_sepconv1_act" not in entry_names
    assert "entry_sepconv2_act" in entry_names and "entry_pool" in entry_names
    assert not any("residual" in name or "pool" in name for name in middle_names)
    # One SeparableConv2D per unit: depthwise and pointwise with nothing between them.
    kinds = [type(layer).__name__ for layer in middle.layers]
    assert kinds.count("SeparableConv2D") == 3 and "DepthwiseConv2D" not in kinds
