"""MobileNet and MobileNetV2: parity with keras.applications at several widths (parameter
counts, ported weights, layer names, ImageNet weight files), MobileNet's convolutional top,
the width and depth multipliers, the separable blocks and the errors users hit."""

import keras
import numpy as np
import pytest

import zoo
from tests.helpers import assert_same_activations, randomize, save_as_keras_imagenet_file
from zoo.layers import separable
from zoo.models import mobilenet as mobilenet_module
from zoo.models._porting import port_weights, weighted_layers

APPLICATIONS = {"mobilenet": "MobileNet", "mobilenet_v2": "MobileNetV2"}
WIDTHS = [("mobilenet", {}), ("mobilenet", {"alpha": 0.5, "depth_multiplier": 2}),
          ("mobilenet_v2", {}), ("mobilenet_v2", {"alpha": 0.35}),
          ("mobilenet_v2", {"alpha": 1.4})]


def application(name, **options):
    return getattr(keras.applications, APPLICATIONS[name])(weights=None, **options)


@pytest.mark.parametrize(("name", "options"), WIDTHS)
def test_parameter_count_equals_keras_applications(name, options):
    expected = application(name, **options).count_params()
    assert zoo.get_model(name, **options).count_params() == expected
    if not options:
        assert expected == {"mobilenet": 4_253_864, "mobilenet_v2": 3_538_984}[name]


@pytest.mark.parametrize("shape", [(64, 64, 3), (45, 61, 3)])
@pytest.mark.parametrize(("name", "options"), WIDTHS)
def test_random_keras_weights_port_and_give_keras_outputs(name, options, shape):
    # 45x61: odd sizes, so the explicit paddings before strided depthwise convolutions
    # (bottom-right in MobileNet, size-dependent in MobileNetV2) must match keras'.
    source = application(name, input_shape=shape, classes=10, classifier_activation=None,
                         **options)
    randomize(source)
    model = zoo.get_model(name, input_shape=shape, num_classes=10, classifier_activation=None,
                          **options)
    assert [layer.name for layer in weighted_layers(model)] == [
        layer.name for layer in weighted_layers(source)]
    port_weights(source, model)
    x = np.random.default_rng(1).random((2, *shape), dtype=np.float32)
    assert np.abs(source(x).numpy()).max() > 0.1, "outputs large enough to compare"
    assert_same_activations(source, model, x)


@pytest.mark.parametrize("name", ["mobilenet", "mobilenet_v2"])
def test_layer_names_are_keras_applications_names(name):
    source = application(name, input_shape=(32, 32, 3))
    model = zoo.get_model(name, input_shape=(32, 32, 3))
    ours = {layer.name for layer in model.layers} - {"image"}
    theirs = {layer.name for layer in source.layers[1:]}
    # keras leaves the top's global pooling unnamed; zoo names it.
    assert ours - theirs == {"avg_pool"}
    assert len(theirs - ours) == 1 and (theirs - ours).pop().startswith("global_average")


def test_mobilenet_top_is_keras_1x1_convolution_not_a_dense_layer():
    model = zoo.get_model("mobilenet", input_shape=(32, 32, 3), num_classes=5, dropout=0.2)
    assert [layer.name for layer in model.layers[-5:]] == [
        "avg_pool", "dropout", "conv_preds", "reshape_2", "predictions"]
    assert not any(isinstance(layer, keras.layers.Dense) for layer in model.layers)
    assert model.get_layer("conv_preds").kernel.shape == (1, 1, 1024, 5)
    assert model.get_layer("dropout").rate == 0.2
    logits = zoo.get_model("mobilenet", input_shape=(32, 32, 3), num_classes=5,
                           classifier_activation=None)
    x = np.random.default_rng(0).random((2, 32, 32, 3), dtype=np.float32)
    assert logits(x).shape == (2, 5)


@pytest.mark.parametrize(("name", "options", "width"), [
    ("mobilenet", {}, 1024), ("mobilenet", {"alpha": 0.25}, 256),
    ("mobilenet_v2", {}, 1280), ("mobilenet_v2", {"alpha": 0.5}, 1280),
    ("mobilenet_v2", {"alpha": 1.4}, 1792),
])
def test_width_multiplier_scales_the_channels(name, options, width):
    model = zoo.get_model(name, input_shape=(32, 32, 3), include_top=False, **options)
    assert model.output_shape == (None, 1, 1, width)


def test_depth_multiplier_gives_that_many_depthwise_filters_per_channel():
    model = zoo.get_model("mobilenet", input_shape=(32, 32, 3), depth_multiplier=3)
    # conv_dw_1 sees the stem's 32 channels and makes 3 maps of each.
    assert model.get_layer("conv_dw_1").output.shape[-1] == 96
    assert model.get_layer("conv_pw_1").kernel.shape == (1, 1, 96, 64)


@pytest.mark.parametrize("name", ["mobilenet", "mobilenet_v2"])
@pytest.mark.parametrize(("pooling", "features"), [(None, (2, 2)), ("avg", ()), ("max", ())])
def test_without_top_the_output_is_the_feature_map_or_it_pooled(name, pooling, features):
    model = zoo.get_model(name, input_shape=(64, 64, 3), include_top=False, pooling=pooling)
    assert model.output_shape == (None, *features, {"mobilenet": 1024,
                                                    "mobilenet_v2": 1280}[name])


# Five halvings of 45 x 61. MobileNetV2 rounds up ("same" padding): 23 x 31, 12 x 16, 6 x 8,
# 3 x 4, 2 x 2. MobileNet's stem does too (23 x 31), but its strided blocks pad only the
# bottom and right, which rounds odd sizes down: 11 x 15, 5 x 7, 2 x 3, 1 x 1.
@pytest.mark.parametrize(("name", "features"), [("mobilenet", (1, 1)),
                                                ("mobilenet_v2", (2, 2))])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_any_size_above_the_minimum_and_1_3_or_4_channels(name, features, channels):
    model = zoo.get_model(name, input_shape=(45, 61, channels), num_classes=7)
    x = np.random.default_rng(0).random((2, 45, 61, channels), dtype=np.float32)
    y = model(x).numpy()
    assert y.shape == (2, 7)
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-5)
    model = zoo.get_model(name, input_shape=(45, 61, channels), include_top=False)
    assert model.output_shape[1:3] == features


@pytest.mark.parametrize(("name", "alpha"), [("mobilenet", 0.3), ("mobilenet", 1 / 32),
                                             ("mobilenet_v2", 0.1), ("mobilenet_v2", 2)])
def test_any_positive_alpha_builds_without_imagenet_weights(name, alpha):
    model = zoo.get_model(name, input_shape=(32, 32, 3), alpha=alpha, num_classes=3)
    assert model.output_shape == (None, 3)


def test_inverted_residual_adds_the_input_only_when_the_shape_is_kept():
    inputs = keras.Input((9, 9, 16))
    kept = keras.Model(inputs, separable.inverted_residual_block(inputs, 16, name="kept"))
    strided = keras.Model(inputs, separable.inverted_residual_block(inputs, 16, stride=2,
                                                                    name="strided"))
    narrow = keras.Model(inputs, separable.inverted_residual_block(inputs, 16, expansion=1,
                                                                   name="narrow"))
    assert "kept_add" in [layer.name for layer in kept.layers]
    assert kept.get_layer("kept_expand").kernel.shape == (1, 1, 16, 96)
    assert "strided_add" not in [layer.name for layer in strided.layers]
    assert strided.output_shape == (None, 5, 5, 16)
    assert "narrow_expand" not in [layer.name for layer in narrow.layers]
    # The projection is linear: its batch normalization is the last layer before the sum.
    assert type(kept.layers[-2]).__name__ == "BatchNormalization"


@pytest.mark.parametrize(("size", "padding"), [(8, ((0, 1), (0, 1))), (9, ((1, 1), (1, 1)))])
def test_strided_blocks_pad_as_keras_does(size, padding):
    # MobileNetV2 pads like "same" (ceil(size / 2) outputs); MobileNet always pads one row
    # and column at the bottom and right (floor for odd sizes).
    assert separable.stride2_padding(size, size) == padding
    inputs = keras.Input((size, size, 4))
    v2 = separable.inverted_residual_block(inputs, 8, stride=2, name="v2")
    v1 = separable.depthwise_separable_block(inputs, 8, stride=2, block_id=1)
    assert v2.shape[1:3] == ((size + 1) // 2,) * 2
    assert v1.shape[1:3] == (size // 2,) * 2


@pytest.mark.parametrize(("value", "expected"), [(32, 32), (32 * 0.35, 16), (16 * 0.35, 8),
                                                  (1280 * 1.4, 1792), (24 * 0.75, 24)])
def test_make_divisible_rounds_to_multiples_of_8_within_10_percent(value, expected):
    assert separable.make_divisible(value) == expected


@pytest.mark.parametrize(("name", "overrides", "message"), [
    ("mobilenet", {"input_shape": (31, 32, 3)}, r"input_shape=\(31, 32, 3\) is smaller"),
    ("mobilenet_v2", {"input_shape": (64, 64, 2)}, r"has 2 channels; allowed: 1, 3, 4"),
    ("mobilenet", {"alpha": 0}, r"alpha=0 must be a positive number"),
    ("mobilenet_v2", {"alpha": -1.0}, r"alpha=-1.0 must be a positive number"),
    ("mobilenet_v2", {"alpha": "wide"}, r"alpha='wide' must be a positive number"),
    ("mobilenet", {"alpha": 0.03}, r"alpha=0.03 leaves MobileNet's 32-filter stem"),
    ("mobilenet", {"depth_multiplier": 0}, r"depth_multiplier=0 must be a positive integer"),
    ("mobilenet", {"depth_multiplier": 1.5}, r"depth_multiplier=1.5 must be a positive"),
    ("mobilenet", {"dropout": 1.0}, r"dropout=1.0 must be a number in \[0, 1\)"),
    ("mobilenet", {"pooling": "mean"}, r"pooling='mean'"),
    ("mobilenet_v2", {"num_classes": 0}, r"num_classes=0 must be a positive integer"),
    ("mobilenet", {"weights": "missing.h5"}, r"weights='missing.h5' must be None or the path"),
    ("mobilenet_v2", {"depth_multiplier": 2}, r"mobilenet_v2 has no argument 'depth_mult"),
    ("mobilenet", {"version": 2}, r"mobilenet has no argument 'version'.*alpha"),
])
def test_bad_arguments_raise_value_errors_that_name_them(name, overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model(name, **overrides)


@pytest.mark.parametrize(("name", "overrides", "message"), [
    ("mobilenet", {"alpha": 0.3}, r"no file for alpha=0.3.*\[0.25, 0.5, 0.75, 1.0\]"),
    ("mobilenet_v2", {"alpha": 0.25}, r"no file for alpha=0.25.*\[0.35, 0.5, 0.75, 1.0, 1.3"),
    ("mobilenet", {"depth_multiplier": 2}, r"weights='imagenet' needs depth_multiplier=1"),
    ("mobilenet", {"input_shape": (128, 128, 1), "include_top": False},
     r"must have 3 channels"),
    ("mobilenet_v2", {"num_classes": 10}, r"num_classes=10 must be 1000"),
])
def test_imagenet_weights_need_a_width_keras_has_rgb_and_1000_classes(name, overrides,
                                                                      message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model(name, weights="imagenet", **overrides)


@pytest.mark.parametrize(("alpha", "size", "include_top", "filename"), [
    (1.0, 224, True, "mobilenet_1_0_224_tf.h5"),
    (0.75, 192, False, "mobilenet_7_5_192_tf_no_top.h5"),
    (0.5, 160, True, "mobilenet_5_0_160_tf.h5"),
    (0.25, 128, False, "mobilenet_2_5_128_tf_no_top.h5"),
])
def test_mobilenet_imagenet_files_have_keras_applications_names(alpha, size, include_top,
                                                                filename):
    assert mobilenet_module.mobilenet_imagenet_file(alpha, size, include_top) == filename


@pytest.mark.parametrize(("alpha", "size", "include_top", "filename"), [
    (1.0, 224, True, "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5"),
    (1, 96, False, "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5"),
    (0.35, 128, True, "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_128.h5"),
    (1.4, 224, False, "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.4_224_no_top.h5"),
])
def test_mobilenet_v2_imagenet_files_have_keras_applications_names(alpha, size, include_top,
                                                                   filename):
    assert mobilenet_module.mobilenet_v2_imagenet_file(alpha, size, include_top) == filename


@pytest.mark.parametrize(("name", "options", "filename", "warns"), [
    ("mobilenet", {"alpha": 0.5, "input_shape": (128, 128, 3), "include_top": False},
     "mobilenet_5_0_128_tf_no_top.h5", False),
    ("mobilenet", {"input_shape": (160, 160, 3)}, "mobilenet_1_0_160_tf.h5", False),
    # keras has no weights for 100x100 or non-square inputs: it loads the 224x224 ones.
    ("mobilenet", {"alpha": 0.75, "input_shape": (100, 100, 3), "include_top": False},
     "mobilenet_7_5_224_tf_no_top.h5", True),
    ("mobilenet_v2", {"alpha": 0.35, "input_shape": (96, 96, 3), "include_top": False},
     "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5", False),
    ("mobilenet_v2", {"input_shape": (128, 160, 3), "include_top": False},
     "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5", True),
    # The widest MobileNetV2s exist at 224x224 only (keras' 1.4_96 name is a missing file).
    ("mobilenet_v2", {"alpha": 1.4, "input_shape": (96, 96, 3), "include_top": False},
     "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.4_224_no_top.h5", True),
])
def test_imagenet_weights_missing_from_the_keras_cache_name_the_file_for_the_size(
        name, options, filename, warns, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    expected = str(tmp_path / "models" / filename)
    with pytest.raises(ValueError, match=f"needs {filename} in the Keras cache.*{expected}"):
        if warns:
            with pytest.warns(UserWarning, match="loading the 224x224 weights"):
                zoo.get_model(name, weights="imagenet", **options)
        else:
            zoo.get_model(name, weights="imagenet", **options)


@pytest.mark.parametrize(("name", "alpha", "include_top", "shape"), [
    ("mobilenet", 0.5, True, (128, 128, 3)),
    ("mobilenet_v2", 0.35, False, (96, 96, 3)),
])
def test_imagenet_weights_from_the_keras_cache_give_keras_outputs(
        name, alpha, include_top, shape, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    file_of = {"mobilenet": mobilenet_module.mobilenet_imagenet_file,
               "mobilenet_v2": mobilenet_module.mobilenet_v2_imagenet_file}[name]
    filename = file_of(alpha, shape[0], include_top)
    source = save_as_keras_imagenet_file(getattr(keras.applications, APPLICATIONS[name]),
                                         tmp_path / "models" / filename, alpha=alpha,
                                         include_top=include_top, input_shape=shape)
    model = zoo.get_model(name, weights="imagenet", alpha=alpha, include_top=include_top,
                          input_shape=shape)
    x = np.random.default_rng(2).random((1, *shape), dtype=np.float32)
    np.testing.assert_allclose(model(x).numpy(), source(x).numpy(), atol=1e-5)
