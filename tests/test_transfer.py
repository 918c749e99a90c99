"""Multi-scale features, transfer learning and fine-tuning on a trained backbone."""

import keras
import numpy as np
import pytest

import zoo
from zoo.feature_maps import feature_layers
from zoo.transfer_learning import backbone_of, headless


def test_features_finds_the_maps_at_strides_4_to_32():
    backbone = keras.applications.ResNet50(weights=None, include_top=False,
                                           input_shape=(64, 64, 3))
    assert feature_layers(backbone) == {4: "conv2_block3_out", 8: "conv3_block4_out",
                                        16: "conv4_block6_out", 32: "conv5_block3_out"}
    maps = zoo.features(backbone)(np.zeros((1, 64, 64, 3), "float32"))
    assert {k: tuple(v.shape) for k, v in maps.items()} == {
        "stride_4": (1, 16, 16, 256), "stride_8": (1, 8, 8, 512),
        "stride_16": (1, 4, 4, 1024), "stride_32": (1, 2, 2, 2048)}


def test_padding_that_enlarges_a_map_is_not_taken_for_a_finer_level():
    # At 32x32, ResNet-18's conv5 pads conv4's 2x2 map to 4x4, the size of stride 8.
    backbone = zoo.get_model("resnet18", input_shape=(32, 32, 1), include_top=False)
    assert feature_layers(backbone) == {4: "conv2_block2_out", 8: "conv3_block2_out",
                                        16: "conv4_block2_out", 32: "conv5_block2_out"}


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2"])
def test_features_of_an_any_size_backbone_work_at_any_size(name):
    """A detector's extractor: built once with input_shape=(None, None, 3), it finds the
    same levels as a fixed-size backbone and gives maps at each stride for any image."""
    extractor = zoo.features(name, input_shape=(None, None, 3))
    fixed = zoo.get_model(name, input_shape=(64, 64, 3), include_top=False)
    any_size = zoo.get_model(name, input_shape=(None, None, 3), include_top=False)
    assert feature_layers(any_size) == feature_layers(fixed)
    for height, width in ((64, 96), (128, 64)):
        maps = extractor(np.zeros((1, height, width, 3), "float32"))
        assert {k: tuple(v.shape[1:3]) for k, v in maps.items()} == {
            f"stride_{s}": (height // s, width // s) for s in (4, 8, 16, 32)}


def test_features_by_name_and_their_errors():
    extractor = zoo.features("lenet5_functional", strides=(1, 2))
    assert set(extractor.output) == {"stride_1", "stride_2"}
    with pytest.raises(ValueError, match=r"no feature map at stride \[32\]"):
        zoo.features("lenet5_functional", strides=(2, 32))
    with pytest.raises(ValueError, match="subclassed"):
        zoo.features("lenet5_subclass")


@pytest.fixture(scope="module")
def trained_lenet(tmp_path_factory):
    return zoo.train("lenet5_functional", epochs=1, dataset_options={"limit": 2048},
                     runs_root=tmp_path_factory.mktemp("runs"), verbose=0).model


def test_transfer_keeps_the_backbone_and_trains_only_the_new_head(trained_lenet):
    model = zoo.transfer(trained_lenet, num_classes=10)
    backbone = backbone_of(model)
    assert backbone.output_shape == (None, 84), "cut below the old predictions layer"
    np.testing.assert_array_equal(backbone.get_layer("c1").get_weights()[0],
                                  trained_lenet.get_layer("c1").get_weights()[0])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    frozen = [w.numpy().copy() for w in backbone.weights]
    head = model.get_layer("predictions").get_weights()[0].copy()
    model.fit(zoo.data.load("mnist_5k", "train", limit=256), epochs=1, verbose=0)
    for before, after in zip(frozen, backbone.weights, strict=True):
        np.testing.assert_array_equal(before, after.numpy())
    assert not np.array_equal(head, model.get_layer("predictions").get_weights()[0])


def test_fine_tune_unfreezes_the_last_layers_at_a_low_learning_rate(trained_lenet):
    model = zoo.transfer(trained_lenet, num_classes=10)
    with pytest.raises(ValueError, match="first"):
        zoo.fine_tune(model, last=2)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    zoo.fine_tune(model, last=2, learning_rate=1e-5)
    trainable = [layer.name for layer in backbone_of(model).layers
                 if layer.trainable and layer.weights]
    assert trainable == ["c5", "f6"]
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-5)
    history = model.fit(zoo.data.load("mnist_5k", "train", limit=256), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_transfer_from_a_registered_name_builds_a_headless_backbone():
    model = zoo.transfer("lenet5", num_classes=4, freeze=False)
    assert model.output_shape == (None, 4)
    assert backbone_of(model).trainable
    assert headless(zoo.get_model("lenet5", include_top=False)).output_shape == (None, 1, 1, 120)


def test_transfer_errors():
    with pytest.raises(ValueError, match="num_classes=0"):
        zoo.transfer("lenet5", num_classes=0)
    with pytest.raises(ValueError, match="pooling='mean'"):
        zoo.transfer("lenet5", num_classes=3, pooling="mean")
    with pytest.raises(ValueError, match="subclassed"):
        zoo.transfer(zoo.get_model("lenet5_subclass"), num_classes=3)
