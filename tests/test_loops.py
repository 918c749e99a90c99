"""Training by hand: the GradientTape loop takes `fit`'s steps, and the one-batch check."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.train.fit import compile_with_recipe
from zoo.train.loops import fit_with_gradient_tape, overfit_one_batch


@pytest.fixture(scope="module")
def fashion():
    return zoo.data.arrays("fashion_mnist", "train", limit=512)


def _compiled_mlp():
    keras.utils.set_random_seed(0)  # the same initial weights for both
    model = zoo.get_model("mlp", l2=1e-4)  # a weight penalty: the loop must add model.losses
    model.compile(keras.optimizers.SGD(0.05, momentum=0.9), "sparse_categorical_crossentropy")
    return model


def test_a_gradient_tape_loop_ends_with_fits_weights(fashion):
    batches = tf.data.Dataset.from_tensor_slices(fashion).batch(64)
    by_fit, by_hand = _compiled_mlp(), _compiled_mlp()
    fitted = by_fit.fit(batches, epochs=2, shuffle=False, verbose=0).history
    history = fit_with_gradient_tape(by_hand, batches, epochs=2)
    for ours, keras_weights in zip(by_hand.get_weights(), by_fit.get_weights(), strict=True):
        np.testing.assert_allclose(ours, keras_weights, atol=1e-6)
    np.testing.assert_allclose(history["loss"], fitted["loss"], rtol=1e-5)
    assert history["loss"][1] < history["loss"][0]


def test_a_model_that_can_learn_overfits_one_batch_and_one_that_cannot_is_named(fashion):
    images, labels = fashion[0][:32], fashion[1][:32]
    model = compile_with_recipe(zoo.get_model("mlp"), zoo.model_card("mlp"))
    result = overfit_one_batch(model, (images, labels))
    assert result["last_loss"] <= 0.05 < result["first_loss"] and result["steps"] <= 300
    frozen = zoo.get_model("mlp")
    frozen.trainable = False  # a bug of the kind the check exists for: nothing can move
    compile_with_recipe(frozen, zoo.model_card("mlp"))
    with pytest.raises(RuntimeError, match="mlp did not overfit one batch of 32"):
        overfit_one_batch(frozen, (images, labels), steps=20)


def test_the_loop_refuses_what_it_cannot_train(fashion):
    batches = tf.data.Dataset.from_tensor_slices(fashion).batch(64)
    with pytest.raises(ValueError, match="must be compiled with a loss"):
        fit_with_gradient_tape(zoo.get_model("mlp"), batches)
    with pytest.raises(ValueError, match="epochs=0"):
        fit_with_gradient_tape(_compiled_mlp(), batches, epochs=0)
