"""zoo.layers.convolution.CoveringConv2D: Keras' Conv2D, computed as a matrix product where its
kernel covers its input, with the same results, and Keras' convolution everywhere else."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from tests.helpers import built_alike
from zoo.layers.convolution import CoveringConv2D


def _pair(input_shape=(None, 5, 5, 3), **options):
    options = {"filters": 4, "kernel_size": 5, "activation": "relu", **options}
    return built_alike(keras.layers.Conv2D(**options), CoveringConv2D(**options), input_shape)


def _train_step(layer, x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        loss = tf.reduce_sum(y * tf.range(1.0, 1.0 + y.shape[-1]))  # a weight per filter
    gradients = tape.gradient(loss, [x, *layer.trainable_weights])
    return y.numpy(), [g.numpy() for g in gradients]


def _op_types(layer, x):
    graph = tf.function(layer).get_concrete_function(x).graph
    return {op.type for op in graph.get_operations()}


@pytest.mark.parametrize("options", [{}, {"use_bias": False}, {"activation": None},
                                     {"strides": 2, "kernel_size": (5, 5)}])
def test_where_the_kernel_covers_the_input_it_computes_keras_convolution(options):
    x = tf.constant(np.random.default_rng(0).normal(size=(8, 5, 5, 3)), tf.float32)
    keras_layer, covering = _pair(**options)
    (expected, expected_gradients), (got, gradients) = (_train_step(keras_layer, x),
                                                        _train_step(covering, x))
    assert got.shape == expected.shape == (8, 1, 1, 4)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    for ours, keras_gradient in zip(gradients, expected_gradients, strict=True):
        np.testing.assert_allclose(ours, keras_gradient, rtol=1e-4, atol=1e-4)
    assert "MatMul" in _op_types(covering, x) and "Conv2D" not in _op_types(covering, x)


@pytest.mark.parametrize("input_shape, options", [
    ((None, 7, 7, 3), {}),                         # larger than the kernel
    ((None, 5, 5, 3), {"padding": "same"}),        # padded: 5x5 outputs, not one
    ((None, 9, 9, 3), {"dilation_rate": 2}),       # a dilated kernel spans 9x9
])
def test_anywhere_else_it_is_keras_convolution(input_shape, options):
    x = tf.constant(np.random.default_rng(1).normal(size=(2, *input_shape[1:])), tf.float32)
    keras_layer, covering = _pair(input_shape, **options)
    np.testing.assert_allclose(covering(x), keras_layer(x), rtol=1e-5, atol=1e-5)
    assert "Conv2D" in _op_types(covering, x)


def test_unknown_spatial_sizes_take_keras_path():
    keras_layer, covering = _pair((None, None, None, 3))
    spec = tf.TensorSpec((None, None, None, 3), tf.float32)
    graph = tf.function(covering).get_concrete_function(spec).graph
    assert "Conv2D" in {op.type for op in graph.get_operations()}
    x = tf.constant(np.random.default_rng(2).normal(size=(2, 5, 5, 3)), tf.float32)
    np.testing.assert_allclose(covering(x), keras_layer(x), rtol=1e-5, atol=1e-5)


def test_mixed_precision_keeps_the_compute_dtype():
    layer = CoveringConv2D(8, 5, dtype="mixed_float16")
    y = layer(tf.random.normal((2, 5, 5, 3), dtype=tf.float16))
    assert y.dtype == tf.float16 and layer.kernel.dtype == tf.float32 and y.shape == (2, 1, 1, 8)


def test_lenet5_c5_is_one_and_round_trips_a_keras_file(tmp_path):
    """C5 covers S4's 5x5 maps at LeNet-5's 28x28 input; larger inputs keep a convolution."""
    model = zoo.get_model("lenet5")
    assert isinstance(model.get_layer("c5"), CoveringConv2D)
    x = np.random.default_rng(3).random((4, 28, 28, 1), dtype=np.float32)
    model.save(tmp_path / "lenet5.keras")
    reloaded = keras.saving.load_model(tmp_path / "lenet5.keras")
    assert isinstance(reloaded.get_layer("c5"), CoveringConv2D)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)
    larger = zoo.get_model("lenet5", input_shape=(36, 36, 1))
    assert larger.get_layer("c5").output.shape == (None, 3, 3, 120)
