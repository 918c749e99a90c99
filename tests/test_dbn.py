"""The deep belief network: greedy pretraining as the model's data-dependent start, run once
by `zoo.train`; the random-initialisation baseline; the recorded comparison."""

import numpy as np
import pytest
import tensorflow as tf

import zoo

IMAGES = (np.random.default_rng(0).random((256, 28, 28, 1)) < 0.2).astype(np.float32)
LABELS = np.arange(256) % 10


def small(**options):
    return zoo.get_model("dbn", seed=0,
                         **{"hidden_units": (32, 16), "pretrain_epochs": 1, **options})


def pairs():
    return tf.data.Dataset.from_tensor_slices((IMAGES, LABELS)).batch(64)


def test_the_dbn_is_a_registered_mnist_classifier():
    card = zoo.model_card("dbn")
    assert (card.family, card.task, card.api, card.dataset) == \
        ("dbn", "image-classification", "subclass", "mnist")
    model = zoo.get_model("dbn")
    assert [layer.units for layer in model.hidden] == [500, 500, 500]
    assert model(IMAGES[:2]).shape == (2, 10)


def test_pretraining_starts_every_hidden_layer_from_its_rbm():
    model = small()
    before = [layer.kernel.numpy().copy() for layer in model.hidden]
    head = model.classifier.kernel.numpy().copy()
    assert not model.is_adapted()
    logs = model.adapt(pairs())  # labels ride along and are not used
    assert model.is_adapted() and len(logs) == 2
    assert all(np.isfinite(list(log.values())).all() for log in logs)
    for layer, old in zip(model.hidden, before, strict=True):
        assert not np.allclose(layer.kernel.numpy(), old), layer.name
    np.testing.assert_array_equal(model.classifier.kernel.numpy(), head)  # not an RBM


def test_images_alone_pretrain_it_too():
    model = small()
    model.adapt(tf.data.Dataset.from_tensor_slices(IMAGES).batch(64))
    assert model.is_adapted()


def test_zoo_train_pretrains_once(tmp_path):
    model = small()
    zoo.train(model, (pairs(), pairs()), epochs=1, runs_root=tmp_path, verbose=0,
              tensorboard=False)
    assert model.is_adapted()

    def again(*args, **kwargs):
        raise AssertionError("pretrained a second time over fine-tuned weights")

    model.adapt = again
    zoo.train(model, (pairs(), pairs()), epochs=1, runs_root=tmp_path, verbose=0,
              tensorboard=False)


def test_the_baseline_starts_from_random_weights():
    model = small(pretrain_epochs=0)
    assert model.is_adapted()
    before = [layer.kernel.numpy().copy() for layer in model.hidden]
    model.adapt = None  # zoo.train must not call it
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    zoo.tasks.get_task("image-classification").prepare(model, pairs())
    for layer, old in zip(model.hidden, before, strict=True):
        np.testing.assert_array_equal(layer.kernel.numpy(), old)


def test_a_saved_dbn_remembers_it_was_pretrained(tmp_path):
    model = small()
    model.adapt(pairs())
    model.save(tmp_path / "dbn.keras")
    loaded = zoo.load_model(tmp_path / "dbn.keras")
    assert loaded.is_adapted()
    np.testing.assert_allclose(loaded(IMAGES[:4]).numpy(), model(IMAGES[:4]).numpy(),
                               atol=1e-6)


@pytest.mark.parametrize(("options", "message"), [
    ({"pretrain_epochs": -1}, "pretrain_epochs=-1"),
    ({"pretrain_epochs": True}, "pretrain_epochs=True"),
    ({"hidden_units": ()}, "hidden_units"),
    ({"pretrain_learning_rate": 0}, "pretrain_learning_rate"),
])
def test_bad_arguments_are_named(options, message):
    with pytest.raises(ValueError, match=message):
        small(**options)


def test_an_empty_dataset_cannot_pretrain():
    with pytest.raises(ValueError, match="at least one image"):
        small().adapt(pairs().take(0))


def test_pretraining_beats_random_initialisation_on_the_recorded_run():
    row = zoo.model_card("dbn").measured.get("accuracy")
    assert row is not None, "run python benchmarks/dbn.py"
    assert row["dataset"] == "mnist" and row["test_examples"] == 10_000
    assert row["test_error_percent"] < row["random_init_error_percent"], row
    assert row["test_error_percent"] < 2.0, row  # Hinton et al. (2006): 1.25


def test_the_readme_quotes_the_recorded_figures():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    row = zoo.model_card("dbn").measured["accuracy"]
    for key in ("test_error_percent", "random_init_error_percent"):
        assert f"{row[key]}%" in readme, (key, row[key])
