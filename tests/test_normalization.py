"""zoo.layers.normalization.FusedBatchNormalization: Keras' batch normalisation, computed by
TensorFlow's fused kernel in training, with the same results."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from tests.helpers import built_alike
from zoo.layers.normalization import FusedBatchNormalization


def _pair(**options):
    """Keras' layer and the fused one, built on the same random weights."""
    return built_alike(keras.layers.BatchNormalization(epsilon=1.001e-5, **options),
                       FusedBatchNormalization(epsilon=1.001e-5, **options), (None, 5, 5, 4))


_LOSS_WEIGHTS = tf.constant(np.random.default_rng(1).normal(0.0, 1.0, (8, 5, 5, 4)), tf.float32)


def _train_step(layer, x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=True)
        # A weight per element: with one weight per channel the input gradient is zero
        # analytically (a channel's normalised outputs sum to zero whatever x), and the test
        # would compare two kernels' rounding noise instead of a gradient.
        loss = tf.reduce_sum(y * _LOSS_WEIGHTS)
    gradients = tape.gradient(loss, [x, *layer.trainable_weights])
    return y.numpy(), [g.numpy() for g in gradients], [w.numpy() for w in layer.weights]


@pytest.mark.parametrize("options", [{}, {"scale": False}, {"center": False, "momentum": 0.9}])
def test_a_training_step_matches_keras_layer(options):
    x = tf.constant(np.random.default_rng(0).normal(2.0, 3.0, (8, 5, 5, 4)), tf.float32)
    keras_layer, fused = _pair(**options)
    expected, ours = _train_step(keras_layer, x), _train_step(fused, x)
    np.testing.assert_allclose(ours[0], expected[0], atol=1e-5)
    for got, want in zip(ours[1], expected[1], strict=True):  # input, gamma, beta gradients
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    # Moving statistics: Keras' biased batch variance, not the kernel's corrected one.
    for got, want in zip(ours[2], expected[2], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_the_training_graph_uses_the_fused_kernel_and_inference_keras_path():
    _, fused = _pair()
    x = tf.zeros((2, 5, 5, 4))

    def op_types(training):
        function = tf.function(lambda inputs: fused(inputs, training=training))
        return {op.type for op in function.get_concrete_function(x).graph.get_operations()}

    assert "FusedBatchNormV3" in op_types(True)
    assert "FusedBatchNormV3" not in op_types(False)


def test_other_ranks_and_frozen_layers_take_keras_path():
    keras_layer, fused = _pair()
    fused.trainable = keras_layer.trainable = False  # frozen: moving statistics, no update
    x = tf.constant(np.random.default_rng(2).random((3, 5, 5, 4)), tf.float32)
    np.testing.assert_allclose(fused(x, training=True), keras_layer(x, training=True),
                               atol=1e-6)
    dense = FusedBatchNormalization()
    features = tf.constant(np.random.default_rng(3).random((6, 4)), tf.float32)
    assert dense(features, training=True).shape == (6, 4)


def test_mixed_precision_keeps_the_compute_dtype():
    layer = FusedBatchNormalization(dtype="mixed_float16")
    y = layer(tf.random.normal((2, 4, 4, 3), dtype=tf.float16), training=True)
    assert y.dtype == tf.float16 and layer.moving_mean.dtype == tf.float32
    assert np.isfinite(y.numpy()).all()


def test_image_families_use_it_and_port_keras_applications_weights():
    model = zoo.get_model("resnet50", input_shape=(64, 64, 3), num_classes=5)
    assert all(isinstance(layer, FusedBatchNormalization) for layer in model.layers
               if isinstance(layer, keras.layers.BatchNormalization))
    reference = keras.applications.ResNet50(weights=None, input_shape=(64, 64, 3), classes=5)
    from zoo.models.vision._porting import port_weights

    port_weights(reference, model)
    x = np.random.default_rng(4).random((2, 64, 64, 3), dtype=np.float32)
    np.testing.assert_allclose(model(x).numpy(), reference(x).numpy(), atol=1e-5)


@pytest.mark.parametrize("shape", [(1, 1, 1, 3), (2, 1, 1, 3)])
def test_one_or_two_values_per_channel_update_the_statistics_as_keras_does(shape):
    # e.g. batch 1 at ResNet-50's last stage on a 32x32 image: no division by n - 1 = 0.
    x = tf.constant(np.random.default_rng(5).random(shape), tf.float32)
    keras_layer, fused = keras.layers.BatchNormalization(), FusedBatchNormalization()
    np.testing.assert_allclose(fused(x, training=True), keras_layer(x, training=True),
                               atol=1e-6)
    np.testing.assert_allclose(fused.moving_variance.numpy(),
                               keras_layer.moving_variance.numpy(), rtol=1e-6)
    assert np.isfinite(fused.moving_variance.numpy()).all()
