"""zoo.train: recipe compilation, the standard callbacks, the run directory, resuming."""

import json

import keras
import numpy as np
import pytest

import zoo

SMALL = {"limit": 640}  # a few batches of real Fashion-MNIST: fast, still real data


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    return zoo.train("lenet5", epochs=2, dataset_options=SMALL, runs_root=root, verbose=0)


def test_run_directory_holds_config_history_checkpoint_logs_and_plot(run):
    files = {p.relative_to(run.run_dir).as_posix() for p in run.run_dir.rglob("*")}
    assert {"config.json", "history.json", "history.csv", "curves.png",
            "checkpoints/best.keras"} <= files
    assert any(f.startswith("logs/train/") for f in files), "TensorBoard logs"
    assert not any(f.startswith("backup") for f in files), "backup removed after a clean run"
    config = json.loads((run.run_dir / "config.json").read_text())
    assert config["model"] == "lenet5" and config["dataset"] == "fashion_mnist"
    assert config["epochs"] == 2 and config["card"]["reference"]["year"] == 1998
    assert config["versions"]["tensorflow"]


def test_history_is_recorded_per_epoch_with_validation(run):
    assert set(run.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(run.history["loss"]) == 2
    saved = json.loads((run.run_dir / "history.json").read_text())["history"]
    assert saved["val_loss"] == run.history["val_loss"]
    assert run.history["loss"][1] < run.history["loss"][0]


def test_history_records_each_epochs_speed(run):
    seconds, speed = run.history["epoch_seconds"], run.history["examples_per_second"]
    assert len(seconds) == len(speed) == 2
    assert all(s > 0 for s in seconds) and all(v > 0 for v in speed)
    # Examples counted are whole batches of the recipe's 128, trained within the epoch.
    assert all(v * s >= 128 for v, s in zip(speed, seconds, strict=True))
    header = (run.run_dir / "history.csv").read_text().splitlines()[0].split(",")
    assert {"epoch_seconds", "examples_per_second"} <= set(header)


def test_a_pipeline_given_has_its_epoch_time_but_no_guessed_example_rate(tmp_path):
    import tensorflow as tf

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    rng = np.random.default_rng(0)
    pipeline = tf.data.Dataset.from_tensor_slices(
        (rng.random((96, 4), dtype=np.float32), rng.integers(0, 2, 96))).batch(32)
    result = zoo.train(model, pipeline, loss="sparse_categorical_crossentropy", epochs=2,
                       runs_root=tmp_path, verbose=0, tensorboard=False)
    assert len(result.history["epoch_seconds"]) == 2
    assert "examples_per_second" not in result.history, "its batch size is the caller's"


def test_a_recipe_sets_steps_per_execution_and_xla_and_a_caller_overrides_them():
    from zoo.train.fit import compile_with_recipe

    card = zoo.model_card("mlp")
    assert (card.recipe.steps_per_execution, card.recipe.jit_compile) == (32, True)
    model = compile_with_recipe(zoo.get_model("mlp"), card)
    assert (model.steps_per_execution, model.jit_compile) == (32, True)
    model = compile_with_recipe(zoo.get_model("mlp"), card, steps_per_execution=1,
                                jit_compile=False)
    assert (model.steps_per_execution, model.jit_compile) == (1, False)
    lenet = compile_with_recipe(zoo.get_model("lenet5"), zoo.model_card("lenet5"))
    assert (lenet.steps_per_execution, lenet.jit_compile) == (16, False)
    perceptron = compile_with_recipe(zoo.get_model("perceptron"),
                                     zoo.model_card("perceptron"))
    assert perceptron.steps_per_execution == 1, "Keras' defaults where a recipe says nothing"


def test_best_checkpoint_loads_and_matches_the_returned_model(run):
    best = zoo.load_model(run.run_dir / "checkpoints" / "best.keras")
    x = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    np.testing.assert_allclose(best(x).numpy(), run.model(x).numpy(), atol=1e-6)


class PowerCut(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 2:
            raise RuntimeError("power cut")


def test_an_interrupted_run_resumes_where_it_stopped(tmp_path):
    options = dict(epochs=4, dataset_options=SMALL, run_dir=tmp_path / "run", verbose=0,
                   tensorboard=False, early_stopping=False)
    with pytest.raises(RuntimeError, match="power cut"):
        zoo.train("mlp", callbacks=[PowerCut()], **options)
    assert (tmp_path / "run" / "backup").is_dir()
    resumed = zoo.train("mlp", **options)
    # The history is the whole run's: the two epochs before the cut come from the backup.
    assert len(resumed.history["loss"]) == 4
    epochs_logged = (tmp_path / "run" / "history.csv").read_text().strip().splitlines()[1:]
    assert [int(line.split(",")[0]) for line in epochs_logged] == [0, 1, 2, 3]


def test_recipe_can_be_overridden(tmp_path):
    result = zoo.train("logistic_regression", epochs=1, optimizer="sgd", learning_rate=0.05,
                       dataset_options=SMALL, runs_root=tmp_path, verbose=0)
    assert type(result.model.optimizer).__name__ == "SGD"
    assert result.model.optimizer.learning_rate.numpy() == pytest.approx(0.05)


def test_binary_recipe_trains_on_its_class_pair(tmp_path):
    result = zoo.train("perceptron", epochs=2, runs_root=tmp_path, verbose=0,
                       dataset_options={"limit": 2000})
    config = json.loads((result.run_dir / "config.json").read_text())
    assert config["dataset_options"] == {"classes": [0, 1], "limit": 2000}
    assert result.history["val_accuracy"][-1] > 0.9  # T-shirt vs trouser is nearly separable


def test_a_model_outside_the_registry_needs_a_loss(tmp_path):
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")], name="mine")
    with pytest.raises(ValueError, match="not a registered zoo model.*loss="):
        zoo.train(model, "digits", runs_root=tmp_path)
    result = zoo.train(model, "digits", loss="sparse_categorical_crossentropy",
                       metrics=["accuracy"], epochs=1, runs_root=tmp_path, verbose=0)
    assert result.run_dir.name.startswith("mine-")


def test_unknown_dataset_fails_before_training(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset 'fashion'"):
        zoo.train("mlp", "fashion", runs_root=tmp_path)
    assert not any(tmp_path.iterdir())


def test_evaluation_never_sees_the_training_augmentation():
    model = zoo.get_model("small_cnn")
    zoo.train.compile_with_recipe(model, zoo.model_card("small_cnn"))
    options = {"limit": 512}
    plain = zoo.evaluate(model, dataset_options=options)
    augmented = zoo.evaluate(model, dataset_options={**options, "augment": "crop_flip"})
    assert augmented == plain


def test_training_augments_the_training_split_only(tmp_path):
    options = {"limit": 640}
    result = zoo.train("small_cnn", epochs=1, runs_root=tmp_path, verbose=0,
                       dataset_options={**options, "augment": "crop_flip"})
    validation = zoo.evaluate(result.model, split="validation", dataset_options=options)
    assert validation["accuracy"] == pytest.approx(result.history["val_accuracy"][-1], abs=1e-6)


@pytest.mark.parametrize("overrides, message", [
    ({"epochs": 0}, "epochs=0 must be a positive integer"),
    ({"epochs": -1}, "epochs=-1 must be a positive integer"),
    ({"epochs": 2.5}, "epochs=2.5"),
    ({"batch_size": 0}, "batch_size=0"),
    ({"learning_rate": 0}, "learning_rate=0 must be a positive number"),
    ({"learning_rate": -1e-3}, "learning_rate"),
    ({"optimizer": "adamz"}, r"optimizer='adamz' is not a Keras optimizer; choose one of "
                             r"\[.*'adam', .*'sgd'\]"),
    ({"loss": "msez"}, "loss='msez' is not a Keras loss"),
    ({"steps_per_execution": 0}, "steps_per_execution=0 must be a positive integer"),
    ({"jit_compile": "yes"}, "jit_compile='yes' must be True, False or 'auto'"),
])
def test_bad_training_arguments_raise_before_anything_runs(overrides, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        zoo.train("logistic_regression", runs_root=tmp_path, **overrides)
    assert not any(tmp_path.iterdir()), "nothing is written for a call that cannot run"


def test_callbacks_know_which_way_a_monitored_figure_improves():
    from zoo.tasks import get_task
    from zoo.train.fit import monitor_mode

    assert monitor_mode("val_loss", None) == "min"
    assert monitor_mode("val_accuracy", get_task("image-classification")) == "max"
    # A metric a custom train_step tracks (an RBM's reconstruction error) is not among the
    # compiled metrics Keras reads a direction from: the task says it.
    assert monitor_mode("val_mse", get_task("reconstruction")) == "min"
    assert monitor_mode("val_auc", get_task("reconstruction")) == "auto"


def test_deterministic_runs_of_a_seed_end_with_bit_identical_weights(tmp_path):
    from tensorflow.python.framework import config as tf_config

    def weights():
        model = zoo.train("lenet5", epochs=2, dataset_options=SMALL, runs_root=tmp_path,
                          seed=3, deterministic=True, verbose=0, tensorboard=False).model
        return model.get_weights()

    first, second = weights(), weights()
    configs = [json.loads(p.read_text()) for p in tmp_path.glob("*/config.json")]
    assert len(configs) == 2 and all(c["deterministic"] for c in configs)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert not tf_config.is_op_determinism_enabled(), "switched on for the run only"
