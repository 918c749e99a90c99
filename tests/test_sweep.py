"""One sweep over every registered model: build, forward, backward, one training step,
`.keras` round-trip and SavedModel round-trip. Every family added later is swept too."""

import numpy as np
import pytest
import tensorflow as tf

import zoo
from tests.helpers import build, num_classes_of
from zoo.train import compile_with_recipe

MODELS = zoo.list_models()
PRIMARY_OUTPUT = {"image-classification": "probabilities", "binary-classification": "score",
                  "regression": "prediction"}


@pytest.mark.parametrize("name", MODELS)
def test_forward_gives_finite_outputs_of_the_right_shape(name, batch_for):
    model = build(name)
    x, _ = batch_for(name)
    y = model(x, training=False).numpy()
    card = zoo.model_card(name)
    assert y.shape == (len(x), num_classes_of(name) or 1)
    assert np.isfinite(y).all()
    if card.task == "image-classification":
        np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("name", MODELS)
def test_every_variable_gets_a_gradient_and_one_step_changes_it(name, batch_for):
    card = zoo.model_card(name)
    model = compile_with_recipe(build(name), card)
    x, y = batch_for(name, batch_size=16)
    with tf.GradientTape() as tape:
        loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=True))
    gradients = tape.gradient(loss, model.trainable_variables)
    assert model.trainable_variables
    for variable, gradient in zip(model.trainable_variables, gradients, strict=True):
        assert gradient is not None, f"{variable.path} gets no gradient"
        assert np.isfinite(gradient.numpy()).all(), variable.path

    before = [v.numpy().copy() for v in model.trainable_variables]
    model.train_on_batch(x, y)
    for variable, old in zip(model.trainable_variables, before, strict=True):
        assert not np.array_equal(variable.numpy(), old), f"{variable.path} did not change"


@pytest.mark.parametrize("name", MODELS)
def test_keras_file_round_trip_gives_the_same_outputs(name, batch_for, tmp_path):
    model = compile_with_recipe(build(name), zoo.model_card(name))
    x, y = batch_for(name)
    model.train_on_batch(x, y)  # non-initial weights, and optimizer state to save
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = zoo.load_model(path)
    assert type(loaded) is type(model)
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), atol=1e-6)


@pytest.mark.parametrize("name", MODELS)
def test_saved_model_round_trip_gives_the_same_outputs(name, batch_for, tmp_path):
    model = build(name)
    x, _ = batch_for(name)
    path = zoo.export(model, root=tmp_path)
    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    card = zoo.model_card(name)
    outputs = serve(**{card.input_name: tf.constant(x)})
    expected = model(x).numpy()
    if card.task == "binary-classification":
        expected = expected[:, 0]
    np.testing.assert_allclose(outputs[PRIMARY_OUTPUT[card.task]].numpy(), expected, atol=1e-5)
