"""The classic convolutional networks: the small CNN, AlexNet and ZFNet, VGG and Network in
Network. Parity of VGG-16/19 with keras.applications, the papers' map sizes and parameter
counts, the minimum sizes, the arguments only they have, the blocks and the errors users hit.
What they share with the other ImageNet-style families (pooling, odd sizes and channels, the
common argument errors, ImageNet weight files and errors) is in test_imagenet_families."""

import keras
import numpy as np
import pytest

import zoo
from tests.helpers import images, randomize
from zoo.layers import conv_blocks
from zoo.models.vision import alexnet as alexnet_module
from zoo.models.vision import nin as nin_module
from zoo.models.vision import small_cnn as small_cnn_module
from zoo.models.vision import vgg as vgg_module
from zoo.models.vision._porting import port_weights, weighted_layers
from zoo.transfer_learning import headless

KERAS_TWINS = [("vgg16", "VGG16"), ("vgg19", "VGG19")]
# The smallest input of each network (one example per factory).
MINIMUMS = [("small_cnn", small_cnn_module, 10), ("alexnet", alexnet_module, 35),
            ("zfnet", alexnet_module, 47), ("vgg11", vgg_module, 32), ("nin", nin_module, 4)]


# --- parity with keras.applications ------------------------------------------------------


@pytest.mark.parametrize(("name", "application"), KERAS_TWINS)
def test_random_keras_vgg_weights_port_and_give_keras_outputs(name, application):
    shape = (32, 32, 3)  # the minimum: fc1 then takes the 1x1x512 last map
    source = getattr(keras.applications, application)(
        weights=None, input_shape=shape, classes=10, classifier_activation=None)
    randomize(source)
    model = zoo.get_model(name, input_shape=shape, num_classes=10, classifier_activation=None)
    assert [layer.name for layer in weighted_layers(model)] == [
        layer.name for layer in weighted_layers(source)]
    port_weights(source, model)
    x = images(shape)
    expected = source(x).numpy()
    assert np.abs(expected).max() > 0.1, "outputs large enough for the comparison to matter"
    np.testing.assert_allclose(model(x).numpy(), expected, atol=1e-4)


def test_vgg_layer_names_are_keras_applications_names():
    source = keras.applications.VGG19(weights=None, input_shape=(32, 32, 3))
    model = zoo.get_model("vgg19", input_shape=(32, 32, 3))
    ours = [layer.name for layer in model.layers[1:]]
    theirs = [layer.name for layer in source.layers[1:]]
    # The paper's dropout after fc1 and fc2 is the only addition.
    assert [n for n in ours if n not in ("fc1_dropout", "fc2_dropout")] == theirs


# torchvision's documented parameter counts (its VGG pools adaptively to 7x7, which is the
# identity at 224x224). The "_bn" convolutions keep their bias, and batch normalisation adds
# 2 trainable weights per channel: 2 * (64 + 128 + 2 * 256 + 4 * 512) = 5,504 for VGG-11.
@pytest.mark.parametrize(("name", "trainable"), [
    ("vgg11", 132_863_336), ("vgg13", 133_047_848), ("vgg11_bn", 132_868_840),
    ("vgg13_bn", 133_053_736), ("vgg16_bn", 138_365_992), ("vgg19_bn", 143_678_248),
])
def test_vgg_parameter_counts_equal_torchvision(name, trainable):
    model = zoo.get_model(name)
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == trainable


# --- the papers' networks ----------------------------------------------------------------


@pytest.mark.parametrize(("name", "sizes", "count"), [
    # Krizhevsky et al. 2012, Fig. 2 (55, 27, 13, 13, 13 and 6 after pool5), single tower.
    ("alexnet", {"conv1": 55, "pool1": 27, "conv2": 27, "pool2": 13, "conv5": 13, "pool5": 6},
     62_378_344),
    # Zeiler and Fergus 2014, Fig. 3 (110, 55, 26, 13, 13, 13, 6).
    ("zfnet", {"conv1": 110, "pool1": 55, "conv2": 26, "pool2": 13, "conv5": 13, "pool5": 6},
     62_357_608),
])
def test_alexnet_and_zfnet_have_the_papers_map_sizes_at_224(name, sizes, count):
    model = zoo.get_model(name)
    assert {layer: model.get_layer(layer).output.shape[1] for layer in sizes} == sizes
    assert model.get_layer("pool5").output.shape[1:] == (6, 6, 256)
    # By hand: 96, 256, 384, 384 and 256 maps, then 6*6*256 -> 4096 -> 4096 -> 1000.
    conv1 = {"alexnet": 11 * 11, "zfnet": 7 * 7}[name] * 3 * 96 + 96
    convs = 5 * 5 * 96 * 256 + 256 + 9 * 256 * 384 + 384 + 9 * 384 * 384 + 384 + 9 * 384 * 256
    dense = 9216 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000
    assert model.count_params() == conv1 + convs + 256 + dense == count


def test_nin_is_the_cifar10_network_with_class_maps_and_no_dense_layers():
    model = zoo.get_model("nin")
    assert model.count_params() == 966_986
    assert not [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert model.get_layer("predictions").output.shape[1:] == (8, 8, 10)
    assert model.get_layer("pool1").output.shape[1:] == (16, 16, 96)
    # The output is the softmax of the class maps' spatial means.
    class_maps = keras.Model(model.inputs[0], model.get_layer("predictions").output)
    x = images((32, 32, 3))
    logits = class_maps(x).numpy().mean(axis=(1, 2))
    expected = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_nin_without_its_class_maps_is_its_backbone():
    features = zoo.get_model("nin", include_top=False)
    assert features.output_shape == (None, 8, 8, 192)
    assert headless(zoo.get_model("nin")).output_shape == (None, 8, 8, 192)


def test_small_cnn_is_a_sequential_stack_of_the_lectures_layers():
    model = zoo.get_model("small_cnn")
    assert isinstance(model, keras.Sequential)
    assert zoo.model_card("small_cnn").api == "sequential"
    assert [layer.name for layer in model.layers] == [
        "conv1", "pool1", "conv2", "pool2", "flatten", "fc1", "fc1_dropout", "predictions"]
    # 28 -> conv 26 -> pool 13 -> conv 11 -> pool 5: 5*5*64 features into the dense layer.
    assert model.get_layer("fc1").kernel.shape == (5 * 5 * 64, 128)
    narrow = zoo.get_model("small_cnn", filters=(8, 16), units=32, dropout=0)
    assert [layer.name for layer in narrow.layers][-2:] == ["fc1", "predictions"]
    assert narrow.get_layer("fc1").kernel.shape == (5 * 5 * 16, 32)


@pytest.mark.parametrize("name", ["alexnet", "zfnet"])
def test_local_response_normalization_sits_where_the_paper_puts_it(name):
    model = zoo.get_model(name, lrn=True, input_shape=(64, 64, 3))
    names = [layer.name for layer in model.layers]
    order = {"alexnet": ["conv1", "norm1", "pool1", "conv2", "norm2", "pool2"],
             "zfnet": ["conv1", "pool1", "norm1", "conv2", "pool2", "norm2"]}[name]
    assert [n for n in names if n in order] == order
    assert "norm1" not in [layer.name for layer in zoo.get_model(name, input_shape=(64, 64, 3)
                                                                 ).layers]


def test_local_response_normalization_is_the_papers_formula():
    x = np.random.default_rng(0).normal(0, 10, (2, 3, 4, 9)).astype(np.float32)
    y = conv_blocks.LocalResponseNormalization()(x).numpy()
    # Krizhevsky et al. 2012, section 3.3: b_i = a_i / (k + alpha * sum_j a_j^2) ** beta over
    # the n = 5 channels j around i (clipped at the ends), k = 2, alpha = 1e-4, beta = 0.75.
    expected = np.empty_like(x)
    for i in range(9):
        window = x[..., max(0, i - 2):min(9, i + 3)]
        expected[..., i] = x[..., i] / (2 + 1e-4 * (window ** 2).sum(axis=-1)) ** 0.75
    np.testing.assert_allclose(y, expected, rtol=1e-5)
    layer = conv_blocks.LocalResponseNormalization(depth_radius=1, alpha=0.1, name="lrn")
    assert conv_blocks.LocalResponseNormalization.from_config(layer.get_config()).alpha == 0.1


def test_a_model_with_lrn_round_trips_through_a_keras_file(tmp_path):
    model = zoo.get_model("alexnet", lrn=True, input_shape=(64, 64, 1), num_classes=10,
                          fc_units=16)
    path = tmp_path / "alexnet.keras"
    model.save(path)
    x = images((64, 64, 1))
    np.testing.assert_allclose(zoo.load_model(path)(x).numpy(), model(x).numpy(), atol=1e-6)


@pytest.mark.parametrize("name", ["alexnet", "zfnet", "vgg11_bn"])
def test_batch_norm_goes_between_each_convolution_and_its_relu(name):
    model = zoo.get_model(name, batch_norm=True, input_shape=(64, 64, 3), fc_units=16)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == {"alexnet": 5, "zfnet": 5, "vgg11_bn": 8}[name]
    for conv in convs:
        assert conv.activation is keras.activations.linear
        assert isinstance(model.get_layer(f"{conv.name}_bn"), keras.layers.BatchNormalization)
        assert model.get_layer(f"{conv.name}_relu").activation is keras.activations.relu


def test_ceil_max_pool_rounds_up_and_ignores_the_overhang():
    x = keras.Input((13, 6, 2))
    pooled = conv_blocks.ceil_max_pool(x, name="pool")
    # ceil((13 - 3) / 2) + 1 = 6 and ceil((6 - 3) / 2) + 1 = 3, where Keras' valid gives 6, 2.
    assert pooled.shape[1:] == (6, 3, 2)
    values = np.random.default_rng(0).random((1, 6, 6, 1), dtype=np.float32)
    inputs = keras.Input((6, 6, 1))
    y = keras.Model(inputs, conv_blocks.ceil_max_pool(inputs, name="p"))(values).numpy()
    assert y[0, 2, 2, 0] == values[0, 4:, 4:, 0].max()  # the last window holds 2x2 values


# --- keras.applications-style arguments --------------------------------------------------


@pytest.mark.parametrize(("name", "module", "size"), MINIMUMS)
def test_the_minimum_size_builds_and_one_pixel_less_is_refused(name, module, size, monkeypatch):
    model = zoo.get_model(name, input_shape=(size, size, 1), num_classes=3)
    y = model(images((size, size, 1))).numpy()
    assert y.shape == (2, 3) and np.isfinite(y).all()
    with pytest.raises(ValueError, match=rf"input_shape=\({size - 1}, {size}, 1\) is smaller "
                                         rf"than the minimum \({size}, {size}, 1\)"):
        zoo.get_model(name, input_shape=(size - 1, size, 1))
    # Without the check, one pixel less does not build: the minimum is not set too high.
    if isinstance(module.MIN_SIZE, dict):
        monkeypatch.setitem(module.MIN_SIZE, name, (1, 1))
    else:
        monkeypatch.setattr(module, "MIN_SIZE", (1, 1))
    with pytest.raises(ValueError, match="negative|output size"):
        zoo.get_model(name, input_shape=(size, size - 1, 1), include_top=False)


def test_the_depth_and_batch_norm_name_the_vgg_after_its_registry_entry():
    assert zoo.get_model("vgg16", depth=11, input_shape=(32, 32, 3)).name == "vgg11"
    assert zoo.get_model("vgg19", batch_norm=True, input_shape=(32, 32, 3)).name == "vgg19_bn"
    assert vgg_module.vgg(depth=13, input_shape=(32, 32, 3), name="mine").name == "mine"
    model = zoo.get_model("vgg19", input_shape=(32, 32, 3))
    assert [layer.name for layer in model.layers if layer.name.startswith("block3_conv")] == [
        "block3_conv1", "block3_conv2", "block3_conv3", "block3_conv4"]


def test_fc_units_and_dropout_shape_the_dense_top():
    model = zoo.get_model("vgg11", input_shape=(64, 64, 1), num_classes=10, fc_units=512,
                          dropout=0.0)
    assert model.get_layer("fc1").kernel.shape == (2 * 2 * 512, 512)
    assert model.get_layer("fc2").kernel.shape == (512, 512)
    assert not [layer for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    dropouts = [layer for layer in zoo.get_model("zfnet", input_shape=(64, 64, 1),
                                                 fc_units=8).layers
                if isinstance(layer, keras.layers.Dropout)]
    assert [(layer.name, layer.rate) for layer in dropouts] == [("fc1_dropout", 0.5),
                                                                 ("fc2_dropout", 0.5)]


# --- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "overrides", "message"), [
    ("vgg16", {"depth": 12}, r"depth=12 is not allowed; choose one of \[11, 13, 16, 19\]"),
    ("small_cnn", {"input_shape": (28, 28)}, r"must have 3 dimensions"),
    ("vgg16", {"batch_norm": "yes"}, r"batch_norm='yes' is not allowed"),
    ("vgg16", {"fc_units": 0}, r"fc_units=0 must be a positive integer"),
    ("vgg16", {"dropout": 1.0}, r"dropout=1.0 must be a number in \[0, 1\)"),
    ("alexnet", {"lrn": "yes"}, r"lrn='yes' is not allowed"),
    ("small_cnn", {"filters": (32,)}, r"filters=\(32,\) must give the widths of the 2"),
    ("small_cnn", {"units": -1}, r"units=-1 must be a positive integer"),
])
def test_bad_arguments_raise_value_errors_that_name_them(name, overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model(name, **overrides)


@pytest.mark.parametrize(("name", "overrides", "message"), [
    ("vgg19", {"input_shape": (64, 64, 3)},
     r"include_top=True needs input_shape=\(224, 224, 3\) and fc_units=4096"),
    ("vgg16", {"fc_units": 512}, r"fc_units=4096 .*got .*fc_units=512"),
])
def test_imagenet_weights_with_the_top_need_keras_input_and_fc_units(name, overrides,
                                                                      message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model(name, weights="imagenet", **overrides)
