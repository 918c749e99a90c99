"""ResNet v1 and v2: parity with keras.applications, the hand-counted ResNet-18/34, the
keras.applications-style arguments, the blocks and the errors users hit."""

import keras
import numpy as np
import pytest

import zoo
from tests.helpers import assert_same_activations, randomize, save_as_keras_imagenet_file
from zoo.layers import residual
from zoo.models import resnet as resnet_module
from zoo.models._porting import port_weights, weighted_layers

KERAS_TWINS = [("resnet50", "ResNet50"), ("resnet101", "ResNet101"), ("resnet152", "ResNet152"),
               ("resnet50_v2", "ResNet50V2"), ("resnet101_v2", "ResNet101V2"),
               ("resnet152_v2", "ResNet152V2")]


@pytest.mark.parametrize(("name", "application"), KERAS_TWINS)
def test_parameter_count_equals_keras_applications(name, application):
    expected = getattr(keras.applications, application)(weights=None).count_params()
    assert zoo.get_model(name).count_params() == expected
    if name == "resnet50":
        assert expected == 25_636_712
    if name == "resnet50_v2":
        assert expected == 25_613_800


@pytest.mark.parametrize(("name", "application"), KERAS_TWINS)
def test_random_keras_weights_port_and_give_keras_outputs(name, application):
    shape = (64, 64, 3)  # 2x2 after the stem and stacks: padding and strides matter
    source = getattr(keras.applications, application)(
        weights=None, input_shape=shape, classes=10, classifier_activation=None)
    randomize(source)
    model = zoo.get_model(name, input_shape=shape, num_classes=10, classifier_activation=None)
    assert [layer.name for layer in weighted_layers(model)] == [
        layer.name for layer in weighted_layers(source)]
    port_weights(source, model)
    x = np.random.default_rng(1).random((2, *shape), dtype=np.float32)
    expected = source(x).numpy()
    assert np.abs(expected).max() > 0.1, "outputs large enough for the comparison to matter"
    assert_same_activations(source, model, x)


def test_layer_names_are_keras_applications_names():
    source = keras.applications.ResNet50V2(weights=None, input_shape=(32, 32, 3))
    model = zoo.get_model("resnet50_v2", input_shape=(32, 32, 3))
    ours = {layer.name for layer in model.layers} - {"image"}
    theirs = {layer.name for layer in source.layers[1:]}
    # keras leaves the subsampling shortcuts unnamed (max_pooling2d_N); zoo names them.
    assert sorted(ours - theirs) == ["conv2_block3_0_pool", "conv3_block4_0_pool",
                                     "conv4_block6_0_pool"]
    assert all(name.startswith("max_pooling2d") for name in theirs - ours)


# The count by hand. Convolutions have no bias; a batch normalization over c channels has 2c
# trainable weights (scale, offset) and 2c moving statistics, which torchvision does not count
# as parameters but Keras' count_params() does. A block's first conv takes c_in channels.
#                                                               ResNet-18       ResNet-34
#   stem   7*7*3*64 + 2*64                         =  9,536         9,536           9,536
#   conv2  block 2*(3*3*64*64) + 2*2*64            = 73,984     x2 147,968      x3 221,952
#   conv3  first 3*3*64*128 + 3*3*128*128 + 64*128 + 3*2*128 = 230,144
#          other 2*(3*3*128*128) + 2*2*128         = 295,424  +1x  525,568   +3x 1,116,416
#   conv4  first 3*3*128*256 + 3*3*256*256 + 128*256 + 3*2*256 = 919,040
#          other 2*(3*3*256*256) + 2*2*256         = 1,180,672 +1x 2,099,712 +5x 6,822,400
#   conv5  first 3*3*256*512 + 3*3*512*512 + 256*512 + 3*2*512 = 3,673,088
#          other 2*(3*3*512*512) + 2*2*512         = 4,720,640 +1x 8,393,728 +2x 13,114,368
#   top    512*1000 + 1000                         =               513,000         513,000
#   trainable (torchvision's resnet18 / resnet34)               11,689,512      21,797,672
#   BN channels 64 + blocks*2*c + the projections' c: ResNet-18 64 + 256 + 640 + 1,280 +
#   2,560 = 4,800; ResNet-34 64 + 384 + 1,152 + 3,328 + 3,584 = 8,512; moving statistics
#   twice that                                                        9,600          17,024
@pytest.mark.parametrize(("name", "trainable", "moving_statistics"), [
    ("resnet18", 11_689_512, 9_600),
    ("resnet34", 21_797_672, 17_024),
])
def test_resnet18_and_34_have_torchvision_parameter_counts(name, trainable, moving_statistics):
    model = zoo.get_model(name)
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == trainable
    assert model.count_params() == trainable + moving_statistics


def test_depth_and_version_overrides_name_the_model_after_its_registry_entry():
    assert zoo.get_model("resnet50", depth=101, input_shape=(32, 32, 3)).name == "resnet101"
    assert zoo.get_model("resnet50", version=2, input_shape=(32, 32, 3)).name == "resnet50_v2"
    assert resnet_module.resnet(depth=18, input_shape=(32, 32, 3), name="mine").name == "mine"


@pytest.mark.parametrize(("name", "width"), [("resnet18", 512), ("resnet50", 2048),
                                             ("resnet50_v2", 2048)])
@pytest.mark.parametrize(("pooling", "features"), [(None, (2, 2)), ("avg", ()), ("max", ())])
def test_without_top_the_output_is_the_feature_map_or_it_pooled(name, width, pooling, features):
    model = zoo.get_model(name, input_shape=(64, 64, 3), include_top=False, pooling=pooling)
    assert model.output_shape == (None, *features, width)


@pytest.mark.parametrize("name", ["resnet18", "resnet50", "resnet50_v2"])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_any_size_above_the_minimum_and_1_3_or_4_channels(name, channels):
    # Odd sizes: every stride rounds up (45 -> 23 -> 12 -> 6 -> 3 -> 2), and the shortcut and
    # residual branches must round alike.
    model = zoo.get_model(name, input_shape=(45, 61, channels), num_classes=7)
    x = np.random.default_rng(0).random((2, 45, 61, channels), dtype=np.float32)
    y = model(x).numpy()
    assert y.shape == (2, 7)
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-5)
    features = zoo.get_model(name, input_shape=(45, 61, channels), include_top=False)
    assert features.output_shape[1:3] == (2, 2)


def test_a_weight_file_from_the_same_architecture_loads(tmp_path):
    source = zoo.get_model("resnet18", input_shape=(32, 32, 1), num_classes=10)
    randomize(source)
    path = tmp_path / "resnet18.weights.h5"
    source.save_weights(path)
    model = zoo.get_model("resnet18", input_shape=(32, 32, 1), num_classes=10,
                          weights=str(path))
    x = np.random.default_rng(0).random((2, 32, 32, 1), dtype=np.float32)
    np.testing.assert_array_equal(model(x).numpy(), source(x).numpy())


@pytest.mark.parametrize(("overrides", "message"), [
    ({"input_shape": (31, 32, 3)}, r"input_shape=\(31, 32, 3\) is smaller than the minimum"),
    ({"input_shape": (64, 64, 2)}, r"input_shape=\(64, 64, 2\) has 2 channels; allowed: 1, 3, 4"),
    ({"depth": 20}, r"depth=20 is not allowed for version=1; choose one of \[18, 34, 50"),
    ({"depth": 18, "version": 2}, r"depth=18 is not allowed for version=2.*\[50, 101, 152\]"),
    ({"version": 3}, r"version=3 is not allowed; choose one of \[1, 2\]"),
    ({"pooling": "mean"}, r"pooling='mean'"),
    ({"include_top": "yes"}, r"include_top='yes' must be True or False"),
    ({"num_classes": 0}, r"num_classes=0 must be a positive integer"),
    ({"classifier_activation": "relu"}, r"classifier_activation='relu'"),
    ({"depth": 34, "weights": "imagenet"},
     r"weights='imagenet' is not available for resnet34; .*resnet50, resnet101"),
    ({"weights": "missing.weights.h5"}, r"weights='missing.weights.h5' must be None or the path"),
    ({"width": 2}, r"resnet50 has no argument 'width'.*allowed:.*depth.*version"),
])
def test_bad_arguments_raise_value_errors_that_name_them(overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model("resnet50", **overrides)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"input_shape": (32, 32, 1), "include_top": False}, r"must have 3 channels"),
    ({"input_shape": (32, 32, 3), "num_classes": 10}, r"num_classes=10 must be 1000"),
])
def test_imagenet_weights_need_rgb_and_1000_classes(overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model("resnet50", weights="imagenet", **overrides)


@pytest.mark.parametrize(("name", "include_top", "filename"), [
    ("resnet50", True, "resnet50_weights_tf_dim_ordering_tf_kernels.h5"),
    ("resnet101", False, "resnet101_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    ("resnet152", True, "resnet152_weights_tf_dim_ordering_tf_kernels.h5"),
    ("resnet50_v2", False, "resnet50v2_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    ("resnet101_v2", True, "resnet101v2_weights_tf_dim_ordering_tf_kernels.h5"),
    ("resnet152_v2", False, "resnet152v2_weights_tf_dim_ordering_tf_kernels_notop.h5"),
])
def test_imagenet_weight_files_have_keras_applications_names(name, include_top, filename):
    card = zoo.model_card(name)
    depth, version = card.defaults["depth"], card.defaults.get("version", 1)
    assert resnet_module.imagenet_weights_file(depth, version, include_top) == filename


@pytest.mark.parametrize(("name", "include_top", "filename"), [
    ("resnet50", False, "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    ("resnet101_v2", True, "resnet101v2_weights_tf_dim_ordering_tf_kernels.h5"),
])
def test_imagenet_weights_missing_from_the_keras_cache_name_the_path(
        name, include_top, filename, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    shape = (224, 224, 3) if include_top else (32, 32, 3)
    expected = str(tmp_path / "models" / filename)
    with pytest.raises(ValueError, match=f"needs {filename} in the Keras cache.*{expected}"):
        zoo.get_model(name, weights="imagenet", include_top=include_top, input_shape=shape)


@pytest.mark.parametrize(("name", "include_top", "shape"), [
    ("resnet50", False, (40, 48, 3)),
    ("resnet50_v2", True, (224, 224, 3)),
])
def test_imagenet_weights_from_the_keras_cache_give_keras_outputs(
        name, include_top, shape, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    card = zoo.model_card(name)
    depth, version = card.defaults["depth"], card.defaults.get("version", 1)
    filename = resnet_module.imagenet_weights_file(depth, version, include_top)
    application = getattr(keras.applications, dict(KERAS_TWINS)[name])
    source = save_as_keras_imagenet_file(application, tmp_path / "models" / filename,
                                         include_top=include_top, input_shape=shape)
    model = zoo.get_model(name, weights="imagenet", include_top=include_top, input_shape=shape)
    x = np.random.default_rng(2).random((1, *shape), dtype=np.float32)
    np.testing.assert_allclose(model(x).numpy(), source(x).numpy(), atol=1e-5)


def test_blocks_use_identity_shortcuts_unless_the_shape_changes():
    inputs = keras.Input((8, 8, 64))
    same = keras.Model(inputs, residual.basic_block(inputs, 64, name="same"))
    wider = keras.Model(inputs, residual.basic_block(inputs, 128, name="wider"))
    strided = keras.Model(inputs, residual.preact_bottleneck_block(inputs, 16, stride=2,
                                                                    name="strided"))
    assert not any("_0_" in layer.name for layer in same.layers)
    assert "wider_0_conv" in [layer.name for layer in wider.layers]
    # 64 = 4 * 16 channels already: a strided pre-activation block only subsamples its input.
    assert [layer.name for layer in strided.layers if "_0_" in layer.name] == ["strided_0_pool"]
    assert wider.output_shape == (None, 8, 8, 128)
    assert strided.output_shape == (None, 4, 4, 64)


def test_a_pre_activation_stack_needs_two_blocks():
    with pytest.raises(ValueError, match="blocks=1 must be at least 2"):
        residual.preact_residual_stack(keras.Input((8, 8, 64)), 16, 1, name="short")
