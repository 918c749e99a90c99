"""Hyperparameter tuning: every model's search space, the hypermodel keras-tuner drives, and
`zoo.tune` end to end (search, retrain the best, test, export), alone and distributed."""

import math
import os
import random
import re
import socket
import subprocess
import sys

import keras_tuner
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.registry import resolve_arguments
from zoo.tune import best_epoch_figures, configuration
from zoo.tune.hypermodel import ZooHyperModel

SMALL = {"limit": 2000}  # Fashion-MNIST examples a quick search reads


def _draw(card, seed):
    """The space's defaults (seed None), else one random draw of every hyperparameter."""
    hp = keras_tuner.HyperParameters()
    overrides = card.search_space(hp)
    if seed is None:
        return hp, overrides
    rng = random.Random(seed)
    for parameter in hp.space:
        hp.values[parameter.name] = parameter.random_sample(rng.randint(0, 2 ** 31))
    return hp, card.search_space(hp)


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_model_declares_a_search_space_of_its_own_arguments(name):
    """Families added later get one too: the registry's card must carry it."""
    card = zoo.model_card(name)
    assert card.search_space is not None, (
        f"{name} ({card.family}) declares no search space: decorate its factory with "
        "@search_space(...) (zoo.registry.search_space)")
    for seed in (None, 1, 2):
        hp, overrides = _draw(card, seed)
        resolve_arguments(card, overrides)  # names only arguments the factory takes
        assert "learning_rate" not in hp.values, "zoo.tune adds the learning rate itself"
        assert not {"input_shape", "num_classes", "name", "seed"} & set(overrides)


def _one_name_per_searched_factory():
    """A name for each factory whose space draws something (the sweep builds the others)."""
    names = {}
    for name in zoo.list_models():
        card = zoo.model_card(name)
        if card.search_space is not None and _draw(card, None)[1]:
            names.setdefault(card.factory, name)
    return sorted(names.values())


@pytest.mark.parametrize("name", _one_name_per_searched_factory())
def test_a_random_draw_of_every_space_builds_the_model_trained_on_its_data(name):
    """A draw must be a model the factory builds at the recipe's size, not only argument
    names: e.g. a head count that divides every width the space offers."""
    card = zoo.model_card(name)
    _, overrides = _draw(card, seed=3)
    model = zoo.get_model(name, **{**card.recipe.model_options, **overrides})
    assert model.name == name and model.count_params() > 0


def test_the_hypermodel_adds_a_decade_of_learning_rate_either_side_of_the_recipe(tmp_path):
    card = zoo.model_card("mlp")
    hypermodel = ZooHyperModel(card, objective=keras_tuner.Objective("val_loss", "min"),
                               epochs=1, runs_root=tmp_path)
    hp = keras_tuner.HyperParameters()
    model = hypermodel.build(hp)
    rate = hp.get("learning_rate")
    assert rate == card.recipe.learning_rate, "the default draw is the recipe"
    (space,) = [p for p in hp.space if p.name == "learning_rate"]
    assert (space.min_value, space.max_value, space.sampling) == (1e-4, 1e-2, "log")
    assert math.isclose(float(model.optimizer.learning_rate), rate, rel_tol=1e-6)  # float32
    # What a trial drew comes back as zoo.train's arguments, the same model.
    hp.values.update({"layers": 2, "units": 256, "dropout": 0.3, "learning_rate": 3e-3})
    model_options, learning_rate = configuration(card, hp.values)
    assert model_options == {"hidden_units": (256, 256), "dropout": 0.3, "l2": 0.0}
    assert learning_rate == 3e-3
    built = hypermodel.build(hp)
    assert [layer.units for layer in built.layers if hasattr(layer, "units")] == [256, 256, 10]


def test_a_trial_reports_the_figures_of_its_objectives_best_epoch():
    history = {"loss": [1.0, 0.8, 0.7], "val_loss": [0.9, float("nan"), 0.85],
               "val_accuracy": [0.6, 0.7, 0.65], "epoch_seconds": [3.0, 3.0, 3.0],
               "learning_rate": [1e-3] * 3}
    lowest = best_epoch_figures(history, keras_tuner.Objective("val_loss", "min"))
    assert lowest == {"loss": 0.7, "val_loss": 0.85, "val_accuracy": 0.65}
    highest = best_epoch_figures(history, keras_tuner.Objective("val_accuracy", "max"))
    assert highest["val_accuracy"] == 0.7 and highest["loss"] == 0.8
    with pytest.raises(ValueError, match=r"'val_auc' is not a figure mlp logs.*'val_loss'"):
        best_epoch_figures(history, keras_tuner.Objective("val_auc", "max"), "mlp")


@pytest.mark.parametrize("call, message", [
    (dict(name="mlp", tuner="grid"), r"tuner='grid' is not allowed.*hyperband"),
    (dict(name="mlp", tuner="hyperband", max_trials=5), "max_trials does not apply"),
    (dict(name="mlp", max_trials=0), "max_trials=0"),
    (dict(name="mlp", epochs=-1), "epochs=-1"),
    (dict(name="mlp", final_epochs=0), "final_epochs=0"),
    (dict(name="mlp", objective="val_f2"), "direction of objective 'val_f2' is unknown"),
    (dict(name="dcgan"), "logs no figure that tracks its quality"),
    (dict(name="q_network"), "learns by acting in CartPole-v1"),
    (dict(name="mlpp"), "unknown model 'mlpp'"),
])
def test_bad_tuning_arguments_are_refused_before_any_trial(tmp_path, call, message):
    name = call.pop("name")
    with pytest.raises(ValueError, match=message):
        zoo.tune(name, directory=tmp_path, **call)
    assert not any(tmp_path.iterdir()), "nothing is written for a refused search"


@pytest.mark.slow
def test_tune_searches_then_trains_tests_and_exports_the_best(tmp_path):
    result = zoo.tune("mlp", tuner="random", max_trials=2, epochs=1, final_epochs=1,
                      directory=tmp_path / "tuning", dataset_options=SMALL,
                      export_root=tmp_path / "saved_models", verbose=0)
    assert result.role == "single" and (result.objective, result.direction) == ("val_loss",
                                                                                 "min")
    scores = [trial["score"] for trial in result.trials]
    assert len(scores) == 2 and scores == sorted(scores), "best (lowest val_loss) first"
    assert result.best_hyperparameters == result.trials[0]["hyperparameters"]
    # The best configuration retrained is the model the best trial drew.
    units = result.best_hyperparameters["units"]
    dense = [layer.units for layer in result.model.layers if hasattr(layer, "units")]
    assert dense == [units] * result.best_hyperparameters["layers"] + [10]
    assert result.model_options["hidden_units"] == (units,) * len(dense[:-1])
    assert math.isclose(float(result.model.optimizer.learning_rate.numpy()),
                        result.best_hyperparameters["learning_rate"], rel_tol=1e-6)
    assert (result.run_dir / "config.json").is_file()
    assert 0.3 < result.test_metrics["accuracy"] <= 1.0
    # Each trial was an ordinary zoo run, kept under the search's folder.
    assert len(list((result.project_dir / "trial_runs").iterdir())) == 2

    served = tf.saved_model.load(str(result.export_path))
    images = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    outputs = served.signatures["serving_default"](image=tf.constant(images))
    np.testing.assert_allclose(outputs["probabilities"].numpy(),
                               result.model.predict(images, verbose=0), atol=1e-5)

    # The folder remembers the search: asking for one trial more runs one trial more.
    more = zoo.tune("mlp", tuner="random", max_trials=3, epochs=1, final_epochs=1,
                    directory=tmp_path / "tuning", dataset_options=SMALL, export_root=None,
                    verbose=0)
    assert {t["trial_id"] for t in more.trials} > {t["trial_id"] for t in result.trials}
    assert len(more.trials) == 3 and more.export_path is None


def test_the_same_seed_draws_the_same_trials(tmp_path):
    """zoo's default seed 0 included (keras-tuner alone reads 0 as "draw a seed")."""
    def search(folder, seed=0):
        result = zoo.tune("logistic_regression", tuner="random", max_trials=2, epochs=1,
                          final_epochs=1, seed=seed, directory=tmp_path / folder,
                          dataset_options={"limit": 300}, export_root=None, verbose=0)
        return sorted(tuple(sorted(t["hyperparameters"].items())) for t in result.trials)

    first = search("first")
    assert search("again") == first
    assert search("other", seed=1) != first


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_chief_and_two_workers_share_one_search_on_localhost(tmp_path):
    """keras-tuner's own distribution: the chief's oracle hands trials to two workers."""
    port = _free_port()
    command = [sys.executable, "-m", "zoo.cli", "tune", "logistic_regression", "--tuner",
               "random", "--max-trials", "4", "--epochs", "1", "--final-epochs", "1",
               "--directory", str(tmp_path / "tuning"), "--no-export"]
    processes = {}
    for tuner_id in ("chief", "tuner0", "tuner1"):
        env = {**os.environ, "KERASTUNER_TUNER_ID": tuner_id,
               "KERASTUNER_ORACLE_IP": "127.0.0.1", "KERASTUNER_ORACLE_PORT": str(port)}
        processes[tuner_id] = subprocess.Popen(command, env=env, text=True,
                                               stdout=subprocess.PIPE,
                                               stderr=subprocess.STDOUT)
    outputs = {tuner_id: p.communicate(timeout=600)[0] for tuner_id, p in processes.items()}
    for tuner_id, process in processes.items():
        assert process.returncode == 0, f"{tuner_id}:\n{outputs[tuner_id][-3000:]}"
    for worker in ("tuner0", "tuner1"):
        assert "worker done" in outputs[worker]
        # Each worker trained at least one trial (Keras' epoch line names the figures).
        assert re.search(r"val_accuracy: [\d.]+ - val_loss: [\d.]+", outputs[worker]), \
            outputs[worker][-2000:]
    chief = outputs["chief"]
    assert "4 trials by val_loss (min), best first:" in chief
    assert "test metrics: accuracy" in chief
    project = tmp_path / "tuning" / "logistic_regression-random"
    assert {"tuner0.json", "tuner1.json", "oracle.json"} <= {p.name for p in project.iterdir()}
    assert len(list(project.glob("trial_*/trial.json"))) == 4
