"""DenseNet-121/169/201: parity with keras.applications (parameter counts, ported weights,
layer names, ImageNet weight files), the keras.applications-style arguments, the dense and
transition blocks and the errors users hit."""

import keras
import numpy as np
import pytest

import zoo
from tests.helpers import assert_same_activations, randomize, save_as_keras_imagenet_file
from zoo.layers import dense_block
from zoo.models import densenet as densenet_module
from zoo.models._porting import port_weights, weighted_layers

KERAS_TWINS = [("densenet121", "DenseNet121"), ("densenet169", "DenseNet169"),
               ("densenet201", "DenseNet201")]


@pytest.mark.parametrize(("name", "application"), KERAS_TWINS)
def test_parameter_count_equals_keras_applications(name, application):
    expected = getattr(keras.applications, application)(weights=None).count_params()
    assert zoo.get_model(name).count_params() == expected
    if name == "densenet121":
        assert expected == 8_062_504


@pytest.mark.parametrize(("name", "application"), KERAS_TWINS)
def test_random_keras_weights_port_and_give_keras_outputs(name, application):
    # 67x75: odd sizes, so the stem's explicit padding and the transitions' pooling must
    # round as keras' do (67 -> 34 -> 17 -> 8 -> 4 -> 2).
    shape = (67, 75, 3)
    source = getattr(keras.applications, application)(
        weights=None, input_shape=shape, classes=10, classifier_activation=None)
    randomize(source)
    model = zoo.get_model(name, input_shape=shape, num_classes=10, classifier_activation=None)
    assert [layer.name for layer in weighted_layers(model)] == [
        layer.name for layer in weighted_layers(source)]
    port_weights(source, model)
    x = np.random.default_rng(1).random((2, *shape), dtype=np.float32)
    assert np.abs(source(x).numpy()).max() > 0.1, "outputs large enough to compare"
    assert_same_activations(source, model, x)


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


@pytest.mark.parametrize(("pooling", "features"), [(None, (2, 2)), ("avg", ()), ("max", ())])
def test_without_top_the_output_is_the_feature_map_or_it_pooled(pooling, features):
    model = zoo.get_model("densenet121", input_shape=(64, 64, 3), include_top=False,
                          pooling=pooling)
    assert model.output_shape == (None, *features, 1024)


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_any_size_above_the_minimum_and_1_3_or_4_channels(channels):
    model = zoo.get_model("densenet121", input_shape=(45, 61, channels), num_classes=7)
    x = np.random.default_rng(0).random((2, 45, 61, channels), dtype=np.float32)
    y = model(x).numpy()
    assert y.shape == (2, 7)
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-5)
    # 45 x 61 -> 23 x 31 (conv1) -> 12 x 16 (pool1) -> 6 x 8 -> 3 x 4 -> 1 x 2
    features = zoo.get_model("densenet121", input_shape=(45, 61, channels), include_top=False)
    assert features.output_shape[1:3] == (1, 2)


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


@pytest.mark.parametrize(("overrides", "message"), [
    ({"input_shape": (31, 32, 3)}, r"input_shape=\(31, 32, 3\) is smaller than the minimum"),
    ({"input_shape": (64, 64, 2)}, r"input_shape=\(64, 64, 2\) has 2 channels; allowed: 1, 3, 4"),
    ({"depth": 100}, r"depth=100 is not allowed; choose one of \[121, 169, 201\]"),
    ({"pooling": "mean"}, r"pooling='mean'"),
    ({"include_top": "yes"}, r"include_top='yes' must be True or False"),
    ({"num_classes": 0}, r"num_classes=0 must be a positive integer"),
    ({"classifier_activation": "relu"}, r"classifier_activation='relu'"),
    ({"weights": "missing.weights.h5"}, r"weights='missing.weights.h5' must be None or the path"),
    ({"growth_rate": 12}, r"densenet121 has no argument 'growth_rate'.*allowed:.*depth"),
])
def test_bad_arguments_raise_value_errors_that_name_them(overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model("densenet121", **overrides)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"input_shape": (32, 32, 1), "include_top": False}, r"must have 3 channels"),
    ({"input_shape": (32, 32, 3), "num_classes": 10}, r"num_classes=10 must be 1000"),
])
def test_imagenet_weights_need_rgb_and_1000_classes(overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model("densenet121", weights="imagenet", **overrides)


@pytest.mark.parametrize(("depth", "include_top", "filename"), [
    (121, True, "densenet121_weights_tf_dim_ordering_tf_kernels.h5"),
    (121, False, "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    (169, True, "densenet169_weights_tf_dim_ordering_tf_kernels.h5"),
    (169, False, "densenet169_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    (201, True, "densenet201_weights_tf_dim_ordering_tf_kernels.h5"),
    (201, False, "densenet201_weights_tf_dim_ordering_tf_kernels_notop.h5"),
])
def test_imagenet_weight_files_have_keras_applications_names(depth, include_top, filename):
    assert densenet_module.imagenet_weights_file(depth, include_top) == filename


@pytest.mark.parametrize(("name", "include_top", "filename"), [
    ("densenet169", False, "densenet169_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    ("densenet201", True, "densenet201_weights_tf_dim_ordering_tf_kernels.h5"),
])
def test_imagenet_weights_missing_from_the_keras_cache_name_the_path(
        name, include_top, filename, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    shape = (224, 224, 3) if include_top else (32, 32, 3)
    expected = str(tmp_path / "models" / filename)
    with pytest.raises(ValueError, match=f"needs {filename} in the Keras cache.*{expected}"):
        zoo.get_model(name, weights="imagenet", include_top=include_top, input_shape=shape)


def test_imagenet_weights_from_the_keras_cache_give_keras_outputs(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    shape = (40, 48, 3)
    filename = densenet_module.imagenet_weights_file(121, include_top=False)
    source = save_as_keras_imagenet_file(keras.applications.DenseNet121,
                                         tmp_path / "models" / filename,
                                         include_top=False, input_shape=shape)
    model = zoo.get_model("densenet121", weights="imagenet", include_top=False,
                          input_shape=shape)
    x = np.random.default_rng(2).random((1, *shape), dtype=np.float32)
    np.testing.assert_allclose(model(x).numpy(), source(x).numpy(), atol=1e-5)
