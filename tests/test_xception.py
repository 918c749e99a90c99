"""Xception: parity with keras.applications.Xception (parameter count, ported weights, layer
names, ImageNet weight files), the keras.applications-style arguments, the Xception module
and the errors users hit."""

import keras
import numpy as np
import pytest

import zoo
from tests.helpers import assert_same_activations, randomize, save_as_keras_imagenet_file
from zoo.layers import separable
from zoo.models import xception as xception_module
from zoo.models._porting import port_weights, weighted_layers


def test_parameter_count_equals_keras_applications():
    expected = keras.applications.Xception(weights=None).count_params()
    model = zoo.get_model("xception")
    assert model.count_params() == expected == 22_910_480
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


@pytest.mark.parametrize(("pooling", "features"), [(None, (3, 3)), ("avg", ()), ("max", ())])
def test_without_top_the_output_is_the_feature_map_or_it_pooled(pooling, features):
    model = zoo.get_model("xception", input_shape=(71, 71, 3), include_top=False,
                          pooling=pooling)
    assert model.output_shape == (None, *features, 2048)


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_any_size_above_the_minimum_and_1_3_or_4_channels(channels):
    model = zoo.get_model("xception", input_shape=(75, 90, channels), num_classes=7)
    x = np.random.default_rng(0).random((2, 75, 90, channels), dtype=np.float32)
    y = model(x).numpy()
    assert y.shape == (2, 7)
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-5)
    # 75 x 90 -> 37 x 44 -> 35 x 42, then four "same" halvings: 18 x 21, 9 x 11, 5 x 6, 3 x 3
    features = zoo.get_model("xception", input_shape=(75, 90, channels), include_top=False)
    assert features.output_shape[1:3] == (3, 3)


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


@pytest.mark.parametrize(("overrides", "message"), [
    ({"input_shape": (70, 71, 3)}, r"input_shape=\(70, 71, 3\) is smaller than the minimum"),
    ({"input_shape": (71, 71, 2)}, r"input_shape=\(71, 71, 2\) has 2 channels; allowed: 1, 3, 4"),
    ({"pooling": "mean"}, r"pooling='mean'"),
    ({"include_top": 1}, r"include_top=1 must be True or False"),
    ({"num_classes": -3}, r"num_classes=-3 must be a positive integer"),
    ({"classifier_activation": "tanh"}, r"classifier_activation='tanh'"),
    ({"weights": "missing.weights.h5"}, r"weights='missing.weights.h5' must be None or the path"),
    ({"depth": 41}, r"xception has no argument 'depth'.*allowed:.*input_shape"),
])
def test_bad_arguments_raise_value_errors_that_name_them(overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model("xception", **overrides)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"input_shape": (71, 71, 1), "include_top": False}, r"must have 3 channels"),
    ({"input_shape": (71, 71, 3), "num_classes": 10}, r"num_classes=10 must be 1000"),
])
def test_imagenet_weights_need_rgb_and_1000_classes(overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model("xception", weights="imagenet", **overrides)


@pytest.mark.parametrize(("include_top", "filename"), [
    (True, "xception_weights_tf_dim_ordering_tf_kernels.h5"),
    (False, "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"),
])
def test_imagenet_weights_missing_from_the_keras_cache_name_the_path(
        include_top, filename, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    shape = (299, 299, 3) if include_top else (71, 71, 3)
    expected = str(tmp_path / "models" / filename)
    assert xception_module.IMAGENET_FILES[include_top] == filename
    with pytest.raises(ValueError, match=f"needs {filename} in the Keras cache.*{expected}"):
        zoo.get_model("xception", weights="imagenet", include_top=include_top,
                      input_shape=shape)


def test_imagenet_weights_from_the_keras_cache_give_keras_outputs(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    shape = (71, 80, 3)
    filename = xception_module.IMAGENET_FILES[False]
    source = save_as_keras_imagenet_file(keras.applications.Xception,
                                         tmp_path / "models" / filename,
                                         include_top=False, input_shape=shape)
    model = zoo.get_model("xception", weights="imagenet", include_top=False, input_shape=shape)
    x = np.random.default_rng(2).random((1, *shape), dtype=np.float32)
    np.testing.assert_allclose(model(x).numpy(), source(x).numpy(), atol=1e-5)
