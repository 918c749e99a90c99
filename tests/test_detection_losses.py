"""Detection losses: smooth L1, sigmoid focal loss and GIoU loss on hand-computed values,
against keras' own losses where they compute the same thing, their reductions, degenerate and
empty boxes, and bad input."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.detection import losses


def test_smooth_l1_on_hand_computed_values():
    targets = np.zeros(4, "float32")
    predictions = np.array([0.5, 2.0, -3.0, 0.0], "float32")
    # beta 1: 0.5 * 0.25, 2 - 0.5, 3 - 0.5, 0.
    np.testing.assert_allclose(
        losses.smooth_l1(targets, predictions, reduction="none").numpy(), [0.125, 1.5, 2.5, 0])
    # beta 0.5: 0.5 - 0.25 (|x| = beta is the linear side), 2 - 0.25, 3 - 0.25, 0.
    np.testing.assert_allclose(
        losses.smooth_l1(targets, predictions, beta=0.5, reduction="none").numpy(),
        [0.25, 1.75, 2.75, 0])
    # beta 0: the L1 loss.
    np.testing.assert_allclose(
        losses.smooth_l1(targets, predictions, beta=0, reduction="none").numpy(), [0.5, 2, 3, 0])
    assert float(losses.smooth_l1(targets, predictions, reduction="sum")) == pytest.approx(4.125)
    assert float(losses.smooth_l1(targets, predictions)) == pytest.approx(4.125 / 4)


def test_smooth_l1_is_keras_huber_divided_by_beta():
    rng = np.random.default_rng(0)
    targets, predictions = rng.normal(0, 2, (2, 5, 4)), rng.normal(0, 2, (2, 5, 4))
    for beta in (1.0, 1 / 9, 2.5):
        huber = keras.losses.Huber(delta=beta, reduction="none")(targets, predictions).numpy()
        ours = losses.smooth_l1(targets, predictions, beta=beta, reduction="none").numpy()
        np.testing.assert_allclose(ours.mean(-1), huber / beta, rtol=1e-5)


def test_smooth_l1_with_beta_zero_has_a_finite_gradient_at_zero_error():
    predictions = tf.constant([0.0, 1.0, -2.0])
    with tf.GradientTape() as tape:
        tape.watch(predictions)
        loss = losses.smooth_l1(tf.zeros(3), predictions, beta=0, reduction="sum")
    assert np.isfinite(tape.gradient(loss, predictions).numpy()).all()


def test_sigmoid_focal_loss_on_hand_computed_values():
    log2 = math.log(2)
    # Logit 0 (p = 0.5): cross-entropy log 2, (1 - p_t)^2 = 1/4, alpha_t 0.25 or 0.75.
    # Logit log 3 (p = 3/4) on a positive: cross-entropy -log(3/4), (1/4)^2, alpha 0.25.
    # Logit log 3 on a negative: p_t = 1/4, cross-entropy -log(1/4), (3/4)^2, 0.75.
    labels = np.array([1, 0, 1, 0], "float32")
    logits = np.array([0, 0, math.log(3), math.log(3)], "float32")
    expected = [0.25 * 0.25 * log2, 0.75 * 0.25 * log2,
                0.25 * (1 / 16) * -math.log(0.75), 0.75 * (9 / 16) * -math.log(0.25)]
    np.testing.assert_allclose(
        losses.sigmoid_focal_loss(labels, logits, reduction="none").numpy(), expected,
        rtol=1e-5)
    # Without alpha and with gamma 0 it is binary cross-entropy.
    np.testing.assert_allclose(
        losses.sigmoid_focal_loss(labels, logits, alpha=None, gamma=0, reduction="none"),
        [log2, log2, -math.log(0.75), -math.log(0.25)], rtol=1e-5)
    assert float(losses.sigmoid_focal_loss(labels, logits, reduction="sum")) == pytest.approx(
        sum(expected), rel=1e-5)


@pytest.mark.parametrize("alpha,gamma", [(0.25, 2.0), (0.5, 0.0), (0.9, 1.5)])
def test_sigmoid_focal_loss_equals_keras_binary_focal_crossentropy_per_element(alpha, gamma):
    rng = np.random.default_rng(1)
    labels = (rng.random((64, 1)) < 0.3).astype("float32")
    logits = rng.normal(0, 3, (64, 1)).astype("float32")
    reference = keras.losses.BinaryFocalCrossentropy(
        apply_class_balancing=True, alpha=alpha, gamma=gamma, from_logits=True,
        reduction="none")(labels, logits).numpy()
    ours = losses.sigmoid_focal_loss(labels, logits, alpha=alpha, gamma=gamma,
                                     reduction="none").numpy()
    np.testing.assert_allclose(ours[:, 0], reference, rtol=1e-4, atol=1e-6)


def test_sigmoid_focal_loss_is_finite_for_extreme_logits():
    logits = tf.constant([-100.0, 100.0, -100.0, 100.0])
    labels = tf.constant([1.0, 0.0, 0.0, 1.0])
    with tf.GradientTape() as tape:
        tape.watch(logits)
        loss = losses.sigmoid_focal_loss(labels, logits, reduction="none")
    assert np.isfinite(loss.numpy()).all()
    assert np.isfinite(tape.gradient(loss, logits).numpy()).all()
    # Sure and wrong costs about alpha_t * |logit|; sure and right costs nothing.
    np.testing.assert_allclose(loss.numpy(), [25, 75, 0, 0], atol=1e-3)


def test_giou_loss_on_hand_computed_values():
    targets = np.array([[0, 0, 2, 2], [0, 0, 2, 2], [0, 0, 2, 2]], "float32")
    predicted = np.array([[0, 0, 2, 2], [1, 1, 3, 3], [3, 0, 4, 2]], "float32")
    # 1 - 1; 1 - (1/7 - 2/9); 1 - (0 - 2/8).
    expected = [0.0, 1 - (1 / 7 - 2 / 9), 1.25]
    np.testing.assert_allclose(losses.giou_loss(targets, predicted, reduction="none").numpy(),
                               expected, atol=1e-6)
    assert float(losses.giou_loss(targets, predicted)) == pytest.approx(np.mean(expected))
    assert float(losses.giou_loss(targets[None], predicted[None], reduction="sum")) == (
        pytest.approx(sum(expected)))


def test_giou_loss_is_finite_for_degenerate_and_empty_boxes():
    targets = tf.constant([[5, 5, 5, 5], [0, 0, 0, 0], [0, 0, 4, 0]], tf.float32)
    predicted = tf.constant([[5, 5, 5, 5], [3, 3, 3, 3], [1, 0, 2, 0]], tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(predicted)
        loss = losses.giou_loss(targets, predicted, reduction="none")
    assert np.isfinite(loss.numpy()).all()
    assert np.isfinite(tape.gradient(loss, predicted).numpy()).all()
    # An image with no matched boxes: the mean of nothing is 0, not NaN.
    empty = np.zeros((0, 4), "float32")
    for reduction in ("mean", "sum"):
        assert float(losses.giou_loss(empty, empty, reduction=reduction)) == 0.0
        assert float(losses.smooth_l1(empty, empty, reduction=reduction)) == 0.0
        assert float(losses.sigmoid_focal_loss(empty, empty, reduction=reduction)) == 0.0


def test_losses_run_in_a_graph():
    @tf.function(input_signature=[tf.TensorSpec([None, 4])] * 2)
    def total(targets, predicted):
        return (losses.giou_loss(targets, predicted) + losses.smooth_l1(targets, predicted)
                + losses.sigmoid_focal_loss(tf.ones_like(predicted), predicted))

    assert np.isfinite(float(total(tf.zeros((0, 4)), tf.zeros((0, 4)))))
    assert float(total(tf.constant([[0, 0, 2, 2.0]]), tf.constant([[0, 0, 2, 2.0]]))) > 0


def test_losses_refuse_bad_arguments():
    with pytest.raises(ValueError, match=r"reduction='avg'.*\['none', 'sum', 'mean'\]"):
        losses.smooth_l1([0.0], [1.0], reduction="avg")
    with pytest.raises(ValueError, match=r"beta=-1"):
        losses.smooth_l1([0.0], [1.0], beta=-1)
    with pytest.raises(ValueError, match=r"targets of shape \(2,\) and predictions of shape"):
        losses.smooth_l1([0.0, 1.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"alpha=1.5"):
        losses.sigmoid_focal_loss([1.0], [0.0], alpha=1.5)
    with pytest.raises(ValueError, match=r"gamma=-2"):
        losses.sigmoid_focal_loss([1.0], [0.0], gamma=-2)
    with pytest.raises(ValueError, match=r"labels of shape \(3,\) and logits of shape \(3, 1\)"):
        losses.sigmoid_focal_loss([1.0, 0.0, 1.0], [[0.0], [0.0], [0.0]])
    with pytest.raises(ValueError, match=r"target_boxes of shape \(2, 4\) and predicted_boxes"):
        losses.giou_loss(np.zeros((2, 4)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"predicted_boxes of shape \(2, 2\) must have shape"):
        losses.giou_loss(np.zeros((2, 4)), np.zeros((2, 2)))
