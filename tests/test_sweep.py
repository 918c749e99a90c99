"""One sweep over every registered model: build, forward, backward, one training step,
`.keras` round-trip and SavedModel round-trip. Every family added later is swept too.

What a batch looks like, what the model must be prepared with (a text vectoriser adapted) and
which served output equals the model's come from the model's task record (`zoo.tasks`).
Large ImageNet networks are swept as their recipes train them (small inputs, 10 classes).
Each model is built and compiled once and shared by its tests (a module-scoped parametrized
fixture makes pytest run all tests of one model before the next), so the sweep traces one
training step per model, not one per test.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from tests.helpers import build
from zoo.tasks import get_task
from zoo.train import compile_with_recipe

MODELS = zoo.list_models()
PREPARE_EXAMPLES = 512


@pytest.fixture(scope="module", params=MODELS)
def swept(request):
    """(name, compiled model, batch x, batch y) for one registered model."""
    name = request.param
    card = zoo.model_card(name)
    task = get_task(card.task)
    x, y = task.example_batch(card, 4, np.random.default_rng(0))
    x, y = tf.nest.map_structure(tf.constant, (x, y))  # x is a dict for several inputs
    # Seeded: unseeded initial weights would depend on which tests ran before in the same
    # worker, and a step's effect on them with it (a hinge loss leaves a bias alone when its
    # margin violators' labels balance).
    keras.utils.set_random_seed(0)
    model = build(name)
    if task.prepare:
        # More examples than the batch: data-dependent set-up may need them (k-means over an
        # RBF layer's 300 units).
        px, py = task.example_batch(card, PREPARE_EXAMPLES, np.random.default_rng(1))
        task.prepare(model, tf.data.Dataset.from_tensor_slices((px, py)).batch(64))
    yield name, compile_with_recipe(model, card), x, y
    keras.backend.clear_session()


def _numpy(x):
    return tf.nest.map_structure(lambda tensor: tensor.numpy(), x)


def test_forward_gives_finite_outputs_of_the_right_shape(swept):
    name, model, x, targets = swept
    y = model(x, training=False).numpy()
    card = zoo.model_card(name)
    assert y.shape == get_task(card.task).output_shape(card, _numpy(x), _numpy(targets))
    assert np.isfinite(y).all()
    if card.task.endswith("classification") and y.shape[-1] > 1:
        np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-5)


def test_every_variable_gets_a_gradient(swept):
    _, model, x, y = swept
    with tf.GradientTape() as tape:
        loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=True))
    gradients = tape.gradient(loss, model.trainable_variables)
    assert model.trainable_variables
    for variable, gradient in zip(model.trainable_variables, gradients, strict=True):
        assert gradient is not None, f"{variable.path} gets no gradient"
        assert np.isfinite(tf.convert_to_tensor(gradient).numpy()).all(), variable.path


def test_one_training_step_changes_every_variable(swept):
    # One optimizer step applied eagerly: tracing `train_on_batch` for each of the big
    # networks would cost most of the sweep's time, and compiled training is covered by the
    # training tests and the accuracy runs.
    _, model, x, y = swept
    before = [v.numpy().copy() for v in model.trainable_variables]
    with tf.GradientTape() as tape:
        loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=True))
    gradients = tape.gradient(loss, model.trainable_variables)
    model.optimizer.apply(gradients, model.trainable_variables)
    for variable, old in zip(model.trainable_variables, before, strict=True):
        assert not np.array_equal(variable.numpy(), old), f"{variable.path} did not change"


def test_keras_file_round_trip_gives_the_same_outputs(swept, tmp_path):
    name, model, x, _ = swept  # trained one step above: non-initial weights, optimizer state
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = zoo.load_model(path)
    assert type(loaded) is type(model)
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), atol=1e-5)


def test_saved_model_round_trip_gives_the_same_outputs(swept, tmp_path):
    name, model, x, _ = swept
    path = zoo.export(model, root=tmp_path)
    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    card = zoo.model_card(name)
    outputs = serve(**(x if isinstance(x, dict) else {card.input_name: x}))
    task = get_task(card.task)
    assert set(outputs) == set(task.outputs)
    served = outputs[task.primary_output].numpy()
    expected = model(x).numpy().reshape(served.shape)  # binary scores are served as [batch]
    np.testing.assert_allclose(served, expected, atol=1e-5)
