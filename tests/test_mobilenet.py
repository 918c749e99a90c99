"""MobileNet and MobileNetV2: parity with keras.applications at several widths (parameter
counts, ported weights, layer names), MobileNet's convolutional top, the width and depth
multipliers, ImageNet weight files per width and size, the separable blocks and the errors
users hit. What the MobileNets share with the other ImageNet-style families (pooling, odd sizes
and channels, the common argument and ImageNet weight errors) is in test_imagenet_families."""

import keras
import numpy as np
import pytest

import zoo
from tests.helpers import assert_random_keras_weights_port
from zoo.layers import separable
from zoo.models.vision import mobilenet as mobilenet_module

APPLICATIONS = {"mobilenet": "MobileNet", "mobilenet_v2": "MobileNetV2"}
WIDTHS = [("mobilenet", {}), ("mobilenet", {"alpha": 0.5, "depth_multiplier": 2}),
          ("mobilenet_v2", {}), ("mobilenet_v2", {"alpha": 0.35}),
          ("mobilenet_v2", {"alpha": 1.4})]


def application(name, **options):
    return getattr(keras.applications, APPLICATIONS[name])(weights=None, **options)


# At the default width: test_imagenet_families.
@pytest.mark.parametrize(("name", "options"), [width for width in WIDTHS if width[1]])
def test_parameter_count_equals_keras_applications_at_other_widths(name, options):
    expected = application(name, **options).count_params()
    assert zoo.get_model(name, **options).count_params() == expected


@pytest.mark.parametrize("shape", [(64, 64, 3), (45, 61, 3)])
@pytest.mark.parametrize(("name", "options"), WIDTHS)
def test_random_keras_weights_port_and_give_keras_outputs(name, options, shape):
    # 45x61: odd sizes, so the explicit paddings before strided depthwise convolutions
    # (bottom-right in MobileNet, size-dependent in MobileNetV2) must match keras'.
    assert_random_keras_weights_port(getattr(keras.applications, APPLICATIONS[name]), name,
                                     shape, **options)


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
    assert isinstance(kept.layers[-2], keras.layers.BatchNormalization)


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
    ("mobilenet", {"alpha": 0}, r"alpha=0 must be a positive number"),
    ("mobilenet_v2", {"alpha": -1.0}, r"alpha=-1.0 must be a positive number"),
    ("mobilenet_v2", {"alpha": "wide"}, r"alpha='wide' must be a positive number"),
    ("mobilenet", {"alpha": 0.03}, r"alpha=0.03 leaves MobileNet's 32-filter stem"),
    ("mobilenet", {"depth_multiplier": 0}, r"depth_multiplier=0 must be a positive integer"),
    ("mobilenet", {"depth_multiplier": 1.5}, r"depth_multiplier=1.5 must be a positive"),
    ("mobilenet", {"dropout": 1.0}, r"dropout=1.0 must be a number in \[0, 1\)"),
])
def test_bad_arguments_raise_value_errors_that_name_them(name, overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model(name, **overrides)


@pytest.mark.parametrize(("name", "overrides", "message"), [
    ("mobilenet", {"alpha": 0.3}, r"no file for alpha=0.3.*\[0.25, 0.5, 0.75, 1.0\]"),
    ("mobilenet_v2", {"alpha": 0.25}, r"no file for alpha=0.25.*\[0.35, 0.5, 0.75, 1.0, 1.3"),
    ("mobilenet", {"depth_multiplier": 2}, r"weights='imagenet' needs depth_multiplier=1"),
])
def test_imagenet_weights_need_a_width_and_depth_multiplier_keras_has(name, overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model(name, weights="imagenet", **overrides)


@pytest.mark.parametrize(("name", "alpha", "size", "include_top", "filename"), [
    ("mobilenet", 1.0, 224, True, "mobilenet_1_0_224_tf.h5"),
    ("mobilenet", 0.75, 192, False, "mobilenet_7_5_192_tf_no_top.h5"),
    ("mobilenet", 0.5, 160, True, "mobilenet_5_0_160_tf.h5"),
    ("mobilenet", 0.25, 128, False, "mobilenet_2_5_128_tf_no_top.h5"),
    ("mobilenet_v2", 1.0, 224, True, "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5"),
    ("mobilenet_v2", 1, 96, False,
     "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5"),
    ("mobilenet_v2", 0.35, 128, True,
     "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_128.h5"),
    ("mobilenet_v2", 1.4, 224, False,
     "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.4_224_no_top.h5"),
])
def test_imagenet_files_have_keras_applications_names(name, alpha, size, include_top, filename):
    file_of = getattr(mobilenet_module, f"{name}_imagenet_file")
    assert file_of(alpha, size, include_top) == filename


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


def test_mobilenet_v2_batch_norm_momentum_is_keras_by_default_and_settable():
    def momenta(model):
        return {layer.momentum for layer in model.layers
                if isinstance(layer, keras.layers.BatchNormalization)}

    assert momenta(zoo.get_model("mobilenet_v2", input_shape=(32, 32, 3))) == {0.999}
    recipe = zoo.model_card("mobilenet_v2").recipe
    assert momenta(zoo.get_model("mobilenet_v2", **recipe.model_options)) == {0.99}
    with pytest.raises(ValueError, match="batch_norm_momentum=1.5"):
        zoo.get_model("mobilenet_v2", batch_norm_momentum=1.5)
