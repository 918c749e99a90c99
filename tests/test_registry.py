"""The registry: listing, cards, building with overrides, and the errors users see."""

import subprocess
import sys

import gymnasium
import numpy as np
import pytest

import zoo
from tests.helpers import build
from zoo.data import DATASETS
from zoo.export.signatures import served_inputs
from zoo.rl import environments
from zoo.tasks import get_task


def test_list_models_filters_with_wildcards_task_and_family():
    assert set(zoo.list_models("lenet5*")) == {"lenet5", "lenet5_functional", "lenet5_subclass"}
    assert zoo.list_models(task="regression") == ["linear_regression", "mlp_regressor"]
    assert zoo.list_models(family="linear") == [
        "linear_regression", "linear_svm", "logistic_regression", "perceptron"]
    assert zoo.list_models("nothing*") == []


def test_foundation_models_are_registered():
    expected = {"perceptron", "logistic_regression", "linear_regression", "linear_svm", "mlp",
                "mlp_regressor", "lenet5"}
    assert expected <= set(zoo.list_models())


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_card_is_complete_and_true_to_its_model(name):
    card = zoo.model_card(name)
    assert card.family and card.summary
    assert card.reference.title and card.reference.authors and 1700 < card.reference.year < 2100
    if get_task(card.task).interactive:  # an agent's network learns in an environment
        assert card.dataset in gymnasium.registry
    else:
        assert card.dataset in DATASETS
    assert card.recipe.loss and card.recipe.epochs > 0
    model = zoo.get_model(name)
    assert model.name == name, "cards are found again from a model by its name"
    # The first served input is the card's (a conditional generator's latent batch; its
    # labels come second).
    assert tuple(served_inputs(model, card.task, card=card)[0].shape[1:]) == card.input_shape
    output = model.compute_output_shape((None, *card.input_shape))
    task = get_task(card.task)
    x, y = task.example_batch(card, 2, np.random.default_rng(0))
    # A classifier's card names its classes (of the default model); otherwise the task says:
    # one score for binary and regression, a forecaster's horizon, a language model's
    # vocabulary, a generator's image channels, ...
    expected_shape = task.output_shape(card, x, y)
    expected = expected_shape[-1]
    if card.task.endswith("classification"):
        expected = card.num_classes or expected
    if len(expected_shape) == 1:  # one value per example (an anomaly score)
        assert len(output) == 1, output
    else:
        assert output[-1] == expected


@pytest.mark.parametrize("name", zoo.list_models())
def test_the_recipe_builds_a_model_its_dataset_feeds(name):
    card = zoo.model_card(name)
    model = build(name)
    if get_task(card.task).interactive:
        env = environments.make(card.dataset)
        assert model.input_shape[1:] == env.observation_space.shape
        if "action" in get_task(card.task).outputs:  # not a critic's one value
            assert model.output_shape[-1] == env.action_space.n
        return
    data_options = {k: v for k, v in card.recipe.dataset_options.items()
                    if k in ("image_size", "channels", "classes", "max_length", "corrupt")}
    shaped = get_task(card.task).data_options  # e.g. a forecaster's window
    data_options.update(shaped(model) if shaped else {})
    x, y = next(iter(zoo.data.load(card.dataset, "test", batch_size=2, **data_options)))
    # None: any length. A generator serves codes; its discriminator takes the data's x.
    served = tuple(model.image_shape) if card.task == "generation" \
        else tuple(served_inputs(model, card.task, card=card)[0].shape[1:])
    assert len(x.shape[1:]) == len(served)
    assert all(size in (None, actual) for size, actual in zip(served, x.shape[1:], strict=True))
    if card.task == "image-classification":
        assert model(x).shape == (2, zoo.data.dataset_info(card.dataset).num_classes)


def test_unknown_model_names_close_matches():
    with pytest.raises(zoo.UnknownModelError, match=r"unknown model 'lenet'.*lenet5"):
        zoo.get_model("lenet")
    with pytest.raises(ValueError, match="mlp"):
        zoo.model_card("mpl")


def test_unknown_override_names_the_argument_and_what_is_allowed():
    with pytest.raises(ValueError, match=r"lenet5 has no argument 'depth'.*allowed:.*num_classes"):
        zoo.get_model("lenet5", depth=3)


def test_classes_is_accepted_as_keras_applications_spells_it():
    model = zoo.get_model("lenet5", classes=7)
    assert model.output_shape == (None, 7)


@pytest.mark.parametrize(("name", "overrides", "message"), [
    ("lenet5", {"api": "graph"}, r"api='graph'.*sequential"),
    ("lenet5", {"input_shape": (16, 16, 1)}, r"input_shape=\(16, 16, 1\).*minimum"),
    ("lenet5", {"input_shape": (28, 28)}, r"input_shape=\(28, 28\) must have 3 dimensions"),
    ("lenet5", {"pooling": "mean"}, r"pooling='mean'"),
    ("lenet5", {"weights": "missing.weights.h5"}, r"weights='missing.weights.h5'"),
    ("mlp", {"num_classes": 0}, r"num_classes=0 must be a positive integer"),
    ("mlp", {"hidden_units": (128, -1)}, r"hidden_units entry=-1"),
    ("mlp", {"dropout": 1.5}, r"dropout=1.5"),
    ("mlp", {"activation": "wiggle"}, r"activation='wiggle'"),
    ("mlp", {"classifier_activation": "relu"}, r"classifier_activation='relu'"),
    ("logistic_regression", {"l2": -1}, r"l2=-1"),
    ("linear_regression", {"num_outputs": 2.5}, r"num_outputs=2.5"),
])
def test_bad_argument_values_raise_value_error_naming_them(name, overrides, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model(name, **overrides)


def test_overrides_change_the_model():
    model = zoo.get_model("mlp", hidden_units=(64,), dropout=0.2, num_classes=3)
    assert [layer.name for layer in model.layers] == [
        "flatten", "dense_1", "dropout_1", "predictions"]
    assert model.output_shape == (None, 3)


def test_weights_file_is_loaded(tmp_path):
    source = zoo.get_model("lenet5")
    path = tmp_path / "lenet.weights.h5"
    source.save_weights(path)
    loaded = zoo.get_model("lenet5", weights=str(path))
    for a, b in zip(source.get_weights(), loaded.get_weights(), strict=True):
        assert (a == b).all()


def test_import_zoo_and_listing_do_not_import_tensorflow():
    code = ("import sys, zoo; zoo.list_models(); zoo.model_card('lenet5'); "
            "from zoo.cli import main; main(['list']); "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, "
            "sorted(m for m in sys.modules if m.startswith(('tensorflow', 'keras')))[:5]")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
