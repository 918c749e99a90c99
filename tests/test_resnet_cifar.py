"""The CIFAR ResNets (He et al., 2016, Section 4.2): the paper's parameter counts, the
parameter-free zero-padded shortcut, the shapes on Fashion-MNIST's 28x28 images, and errors."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.layers.residual import ZeroPaddedShortcut, basic_block

# Table 6 of the paper, in millions of parameters.
PAPER_PARAMETERS = {"resnet20": 0.27, "resnet32": 0.46, "resnet44": 0.66, "resnet56": 0.85,
                    "resnet110": 1.7}


@pytest.mark.parametrize(("name", "millions"), PAPER_PARAMETERS.items())
def test_parameter_counts_are_the_papers(name, millions):
    model = zoo.get_model(name)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert round(trainable / 1e6, 2 if millions < 1 else 1) == millions


def test_resnet20_parameters_counted_by_hand():
    # 3x3 convolutions without bias: the stem 3*3*3*16, 6 at 16*16, one 16->32 and 5 at
    # 32*32, one 32->64 and 5 at 64*64; the dense 64*10 + 10; batch normalization has a scale
    # and an offset per channel after each of the 19 convolutions.
    convolutions = 9 * (3 * 16 + 6 * 16 * 16 + 16 * 32 + 5 * 32 * 32 + 32 * 64 + 5 * 64 * 64)
    batch_norm = 2 * (16 + 6 * 16 + 6 * 32 + 6 * 64)
    model = zoo.get_model("resnet20")
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == \
        convolutions + 64 * 10 + 10 + batch_norm == 269_722


def test_fashion_mnist_images_are_used_at_their_own_size():
    card = zoo.model_card("resnet20")
    assert card.input_shape == (32, 32, 3), "the paper's CIFAR images by default"
    assert card.recipe.model_options["input_shape"] == (28, 28, 1)
    assert "image_size" not in card.recipe.dataset_options
    features = zoo.get_model("resnet20", input_shape=(28, 28, 1), include_top=False)
    assert features.output_shape == (None, 7, 7, 64)
    pooled = zoo.get_model("resnet20", input_shape=(28, 28, 1), include_top=False,
                           pooling="avg")
    assert pooled.output_shape == (None, 64)


def test_odd_sizes_keep_shortcut_and_convolution_shapes_equal():
    model = zoo.get_model("resnet20", input_shape=(9, 11, 3), include_top=False)
    assert model.output_shape == (None, 3, 3, 64)


def test_zero_padded_shortcut_subsamples_and_appends_zero_channels():
    x = np.arange(2 * 4 * 4 * 3, dtype="float32").reshape(2, 4, 4, 3)
    y = ZeroPaddedShortcut(8, stride=2)(x).numpy()
    assert y.shape == (2, 2, 2, 8)
    np.testing.assert_array_equal(y[..., 2:5], x[:, ::2, ::2, :])
    assert not y[..., :2].any() and not y[..., 5:].any()


def test_zero_padded_shortcut_passes_back_exactly_the_subsampled_gradient():
    # Odd sizes keep the first row and column and every other one after them, as a strided
    # slice does; the gradient reaches exactly those positions, unchanged.
    x = tf.constant(np.random.default_rng(0).random((2, 5, 7, 3), dtype=np.float32))
    upstream = tf.constant(np.random.default_rng(1).random((2, 3, 4, 8), dtype=np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = ZeroPaddedShortcut(8, stride=2)(x)
    gradient = tape.gradient(y, x, output_gradients=upstream).numpy()
    np.testing.assert_array_equal(y.numpy()[..., 2:5], x.numpy()[:, ::2, ::2, :])
    expected = np.zeros_like(gradient)
    expected[:, ::2, ::2, :] = upstream.numpy()[..., 2:5]
    np.testing.assert_array_equal(gradient, expected)


def test_zero_padded_shortcut_has_no_weights_and_round_trips(tmp_path):
    inputs = keras.Input((8, 8, 16))
    model = keras.Model(inputs, basic_block(inputs, 32, stride=2, shortcut="zero_pad"))
    assert not any("_0_conv" in w.path for w in model.weights)
    x = np.random.default_rng(0).random((2, 8, 8, 16), dtype=np.float32)
    model.save(tmp_path / "block.keras")
    reloaded = keras.saving.load_model(tmp_path / "block.keras")
    np.testing.assert_allclose(reloaded(x), model(x), atol=1e-6)


@pytest.mark.parametrize(("options", "message"), [
    ({"depth": 18}, r"depth=18"),
    ({"input_shape": (7, 7, 1)}, r"input_shape"),
    ({"num_classes": 0}, r"num_classes"),
])
def test_bad_arguments_are_named(options, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model("resnet20", **options)


def test_a_shortcut_cannot_narrow_or_be_unknown():
    inputs = keras.Input((8, 8, 32))
    with pytest.raises(ValueError, match="cannot narrow 32 channels to 16"):
        basic_block(inputs, 16, stride=2, shortcut="zero_pad")
    with pytest.raises(ValueError, match="shortcut='option_c'"):
        basic_block(inputs, 64, shortcut="option_c")
