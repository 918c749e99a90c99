"""The Inception family: GoogLeNet against the parameter count its paper's table gives, with
its auxiliary classifiers trained as the paper weights them; Inception v3 against
keras.applications.InceptionV3 (parameter count, ported weights). What they share with the other
ImageNet-style families (pooling, odd sizes and channels, the argument errors, ImageNet weight
files and errors, weight-file round trips) is in test_imagenet_families."""

import keras
import numpy as np
import pytest

import zoo
from tests.helpers import assert_same_activations, randomize
from zoo.models.vision._porting import port_weights

# Table 1 of Szegedy et al. 2015 ("Going deeper with convolutions"), typed from the paper:
# #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj.
PAPER_TABLE_1 = [
    (64, 96, 128, 16, 32, 32), (128, 128, 192, 32, 96, 64),
    (192, 96, 208, 16, 48, 64), (160, 112, 224, 24, 64, 64), (128, 128, 256, 24, 64, 64),
    (112, 144, 288, 32, 64, 64), (256, 160, 320, 32, 128, 128),
    (256, 160, 320, 32, 128, 128), (384, 192, 384, 48, 128, 128),
]


def conv_params(kernel, inputs, filters):
    return kernel * kernel * inputs * filters + filters  # weights and one bias per filter


def googlenet_params(channels=3, num_classes=1000):
    """GoogLeNet's parameter count derived from the paper's table 1."""
    stem = conv_params(7, channels, 64) + conv_params(1, 64, 64) + conv_params(3, 64, 192)
    total, inputs = stem, 192
    for n1x1, r3x3, n3x3, r5x5, n5x5, proj in PAPER_TABLE_1:
        total += (conv_params(1, inputs, n1x1) + conv_params(1, inputs, r3x3)
                  + conv_params(3, r3x3, n3x3) + conv_params(1, inputs, r5x5)
                  + conv_params(5, r5x5, n5x5) + conv_params(1, inputs, proj))
        inputs = n1x1 + n3x3 + n5x5 + proj
    return total + inputs * num_classes + num_classes


# --- GoogLeNet --------------------------------------------------------------------------


def test_googlenet_parameter_count_is_the_papers_architecture():
    # 6,998,552 = stem 124,416 + nine modules 5,849,136 + the 1024 -> 1000 classifier
    # 1,025,000: every convolution has a bias, as in the paper's (Caffe) model. Table 1's
    # parameter column adds up to about 6.8M; its per-row figures are rounded and do not
    # follow from its own filter counts exactly (e.g. 159K for inception 3a, whose filters
    # give 163,696), so the paper is a bound (within 5%), the derivation the exact check.
    model = zoo.get_model("googlenet")
    assert model.count_params() == googlenet_params() == 6_998_552
    assert abs(model.count_params() - 6.8e6) / 6.8e6 < 0.05
    assert model.get_layer("inception_5b_output").output.shape[1:] == (7, 7, 1024)
    assert model.get_layer("inception_3a_output").output.shape[1:] == (28, 28, 256)


def test_googlenet_auxiliary_heads_add_the_papers_layers():
    model = zoo.get_model("googlenet", aux_logits=True)
    assert model.output_names == ["predictions", "aux1", "aux2"]
    # Each head: a 1x1 conv to 128 filters over the 4x4 pooled 4a (512) or 4d (528) output,
    # a dense layer from 4 * 4 * 128 = 2048 to 1024 units and a 1024 -> 1000 classifier.
    head = conv_params(1, 512, 128) + 2048 * 1024 + 1024 + 1024 * 1000 + 1000
    head_2 = head + conv_params(1, 528, 128) - conv_params(1, 512, 128)
    assert model.count_params() == googlenet_params() + head + head_2 == 13_378_280
    assert [tuple(output.shape) for output in model.outputs] == [(None, 1000)] * 3


def test_googlenet_with_auxiliary_heads_trains_with_the_papers_loss_weights():
    keras.utils.set_random_seed(0)
    model = zoo.get_model("googlenet", aux_logits=True, input_shape=(65, 65, 1), num_classes=10)
    loss = "sparse_categorical_crossentropy"
    weights = {"predictions": 1.0, "aux1": 0.3, "aux2": 0.3}
    model.compile("adam", loss=dict.fromkeys(weights, loss), loss_weights=weights)
    rng = np.random.default_rng(0)
    x = rng.random((4, 65, 65, 1), dtype=np.float32)
    y = rng.integers(0, 10, 4)
    targets = dict.fromkeys(weights, y)

    outputs = model(x, training=False)
    assert [tuple(o.shape) for o in outputs] == [(4, 10)] * 3
    each = [keras.losses.sparse_categorical_crossentropy(y, o).numpy().mean() for o in outputs]
    total = model.compute_loss(x=x, y=targets, y_pred=outputs)
    np.testing.assert_allclose(total, each[0] + 0.3 * each[1] + 0.3 * each[2], rtol=1e-5)

    heads = {name: model.get_layer(name).get_weights()[0].copy() for name in weights}
    logs = model.train_on_batch(x, targets, return_dict=True)
    assert np.isfinite(logs["loss"])
    for name, before in heads.items():
        assert not np.array_equal(model.get_layer(name).get_weights()[0], before), name


def test_googlenet_runs_at_its_minimum_sizes_and_any_channels():
    for shape, options in [((32, 32, 1), {}), ((45, 37, 3), {}), ((64, 96, 4), {}),
                           ((65, 65, 3), {"aux_logits": True})]:
        model = zoo.get_model("googlenet", input_shape=shape, num_classes=5, **options)
        y = model(np.zeros((2, *shape), np.float32))
        y = y if isinstance(y, list) else [y]
        assert [tuple(o.shape) for o in y] == [(2, 5)] * len(model.outputs)
    # Only the stem's first kernel depends on the channels.
    grey = zoo.get_model("googlenet", input_shape=(32, 32, 1))
    assert grey.count_params() == googlenet_params(channels=1) == 6_998_552 - 7 * 7 * 2 * 64


@pytest.mark.parametrize(("overrides", "message"), [
    ({"input_shape": (64, 64, 3), "aux_logits": True},
     r"input_shape=\(64, 64, 3\) is smaller than the minimum \(65, 65, 1\)"),
    ({"aux_logits": True, "include_top": False}, r"aux_logits=True .*include_top=True"),
    ({"aux_logits": "yes"}, r"aux_logits='yes' must be True or False"),
])
def test_googlenet_bad_arguments(overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model("googlenet", **overrides)


# --- Inception v3 -------------------------------------------------------------------------


def test_inception_v3_parameter_count_matches_keras_applications():
    model = zoo.get_model("inception_v3")
    reference = keras.applications.InceptionV3(weights=None)
    assert model.count_params() == reference.count_params() == 23_851_784
    assert model.input_shape == reference.input_shape == (None, 299, 299, 3)
    mixed = [f"mixed{i}" for i in range(11)] + ["mixed9_0", "mixed9_1"]
    for name in mixed:
        assert model.get_layer(name).output.shape == reference.get_layer(name).output.shape


def test_inception_v3_ported_weights_give_keras_outputs():
    # At keras' minimum 75x75 to keep it fast; logits, so that softmax cannot hide a mismatch.
    reference = keras.applications.InceptionV3(weights=None, input_shape=(75, 75, 3),
                                               classifier_activation=None)
    randomize(reference)
    model = zoo.get_model("inception_v3", input_shape=(75, 75, 3), classifier_activation=None)
    port_weights(reference, model)
    x = np.random.default_rng(1).random((2, 75, 75, 3), dtype=np.float32)
    expected = reference(x, training=False).numpy()
    assert expected.std() > 1e-2  # the outputs differ between classes and inputs
    assert_same_activations(reference, model, x)
