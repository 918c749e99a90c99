"""Autoencoders: the reconstruction task's data (each image its own target), the sparsity
penalty, the noise that only training sees, the encoder half, and bad arguments."""

import inspect

import numpy as np
import pytest

import zoo
from tests.helpers import images
from zoo.layers.sparsity import KLSparsity
from zoo.models.generative.autoencoders import encoder

AUTOENCODERS = zoo.list_models(task="reconstruction")


def test_every_autoencoder_is_registered():
    assert AUTOENCODERS == ["conv_autoencoder", "deep_autoencoder", "denoising_autoencoder",
                            "linear_autoencoder", "sparse_autoencoder"]


def test_reconstruction_data_gives_each_image_as_its_own_target():
    inputs, targets = next(iter(zoo.data.load("fashion_mnist", "test", batch_size=8,
                                              targets="inputs")))
    assert inputs.shape == (8, 28, 28, 1)
    np.testing.assert_array_equal(inputs.numpy(), targets.numpy())
    labelled, _ = next(iter(zoo.data.load("fashion_mnist", "test", batch_size=8)))
    np.testing.assert_array_equal(inputs.numpy(), labelled.numpy())  # same images, same order


def test_unknown_targets_and_a_corpus_without_labels_fail_clearly():
    with pytest.raises(ValueError, match="targets='outputs' is not allowed"):
        zoo.data.load("fashion_mnist", "test", targets="outputs")
    with pytest.raises(ValueError, match="needs \\(inputs, labels\\) batches"):
        zoo.data.load("shakespeare", "test", targets="inputs")


@pytest.mark.parametrize("name", AUTOENCODERS)
def test_the_encoder_gives_the_code_and_shares_the_weights(name):
    model = zoo.get_model(name)
    code_size = inspect.signature(zoo.model_card(name).factory).parameters["code_size"].default
    half = encoder(model)
    assert half.output_shape == (None, code_size)
    assert {id(v) for v in half.weights} <= {id(v) for v in model.weights}


def test_denoising_noise_is_added_in_training_only():
    model = zoo.get_model("denoising_autoencoder")
    x = images((28, 28, 1), batch=4)
    np.testing.assert_array_equal(model(x, training=False).numpy(),
                                  model(x, training=False).numpy())
    assert not np.allclose(model(x, training=True).numpy(), model(x, training=False).numpy())


def test_kl_sparsity_is_zero_at_the_target_rate_and_grows_away_from_it():
    penalty = KLSparsity(target=0.1, weight=2.0)
    at_target = np.full((8, 5), 0.1, "float32")
    assert float(penalty(at_target)) == pytest.approx(0.0, abs=1e-6)
    busy = np.full((8, 5), 0.5, "float32")
    kl = 0.1 * np.log(0.1 / 0.5) + 0.9 * np.log(0.9 / 0.5)
    assert float(penalty(busy)) == pytest.approx(2.0 * 5 * kl, rel=1e-5)
    with pytest.raises(ValueError, match="target=1"):
        KLSparsity(target=1.0)


def test_the_sparse_code_carries_its_penalty_as_a_model_loss():
    model = zoo.get_model("sparse_autoencoder", sparsity="l1", weight=1e-2)
    model(images((28, 28, 1), batch=4))
    assert len(model.losses) == 1 and float(model.losses[0]) > 0


@pytest.mark.parametrize("name, options, match", [
    ("conv_autoencoder", {"input_shape": (30, 30, 1)}, "must divide by 4"),
    ("denoising_autoencoder", {"noise_stddev": 0}, "adds no noise"),
    ("sparse_autoencoder", {"sparsity": "l2"}, "sparsity='l2' is not allowed"),
    ("deep_autoencoder", {"code_size": 0}, "code_size=0 must be a positive integer"),
    ("linear_autoencoder", {"input_shape": (28, 28)}, "input_shape"),
])
def test_bad_arguments_fail_naming_them(name, options, match):
    with pytest.raises(ValueError, match=match):
        zoo.get_model(name, **options)
