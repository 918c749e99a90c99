"""Variational autoencoders: the loss is reconstruction plus KL, the importance-sampled
likelihood bound, sampling, the exported encode/decode/sample signatures, binarised data,
the conditional VAE's labels, and bad input."""

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.data.augment import binarize

VAES = zoo.list_models(task="density-estimation")


def _binary(batch=8, seed=0):
    return (np.random.default_rng(seed).random((batch, 28, 28, 1)) < 0.3).astype("float32")


def _labels(model, batch=8):
    """Labels for a conditional VAE's batch (cycling through its classes), else None."""
    return np.arange(batch, dtype="int32") % model.num_classes if model.conditional else None


def _named(x, labels):
    return x if labels is None else {"image": x, "label": labels}


def test_every_vae_is_registered():
    assert VAES == ["conv_vae", "cvae", "vae"]
    assert {zoo.model_card(name).recipe.dataset_options["augment"] for name in VAES} == \
        {"binarize"}


@pytest.mark.parametrize("name", VAES)
def test_the_loss_is_reconstruction_plus_kl(name):
    model = zoo.get_model(name)
    x = _binary()
    noise = np.random.default_rng(1).normal(size=(8, model.latent_dim)).astype("float32")
    labels = _labels(model)
    reconstruction, kl = (t.numpy() for t in model.elbo_terms(x, labels, noise=noise))
    mean, log_variance = (t.numpy().astype("float64") for t in model.encode(x, labels))
    codes = (mean + np.exp(0.5 * log_variance) * noise).astype("float32")
    logits = model.decoder(codes if labels is None else [codes, labels]).numpy()
    probability = 1.0 / (1.0 + np.exp(-logits.astype("float64")))
    expected = -np.sum(x * np.log(probability) + (1 - x) * np.log(1 - probability),
                       axis=(1, 2, 3))
    np.testing.assert_allclose(reconstruction, expected, rtol=1e-4)
    expected_kl = 0.5 * np.sum(np.exp(log_variance) + mean**2 - 1 - log_variance, axis=1)
    np.testing.assert_allclose(kl, expected_kl, rtol=1e-4, atol=1e-5)


def test_training_reports_loss_as_reconstruction_plus_kl(tmp_path):
    x = _binary(64)
    data = tf.data.Dataset.from_tensor_slices((x, np.zeros(64, "int64"))).batch(16)
    result = zoo.train("vae", (data, data), epochs=2, runs_root=tmp_path, verbose=0,
                       tensorboard=False)
    history = result.history
    for prefix in ("", "val_"):
        np.testing.assert_allclose(
            history[f"{prefix}loss"],
            np.add(history[f"{prefix}reconstruction"], history[f"{prefix}kl"]), rtol=1e-4)
    assert history["loss"][1] < history["loss"][0]


def test_importance_sampling_tightens_the_bound():
    model = zoo.get_model("vae", seed=0)
    x = _binary(32)
    elbo = -np.mean([np.mean(sum(t.numpy() for t in model.elbo_terms(x))) for _ in range(20)])
    one = np.mean([model.log_likelihood(x, samples=1, seed=seed).numpy()
                   for seed in range(20)])
    many = np.mean(model.log_likelihood(x, samples=400, chunk=150, seed=3).numpy())
    assert one == pytest.approx(elbo, abs=1.0)  # K = 1 is the ELBO, in expectation
    assert many > elbo + 0.1  # the bound tightens with more samples


def test_sampling_is_deterministic_for_a_seed():
    model = zoo.get_model("conv_vae")
    first, again, other = (model.sample(4, seed=s).numpy() for s in (7, 7, 8))
    assert first.shape == (4, 28, 28, 1) and 0 <= first.min() and first.max() <= 1
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("name", VAES)
def test_the_savedmodel_encodes_decodes_and_samples(name, tmp_path):
    model = zoo.get_model(name)
    x, labels = _binary(3), _labels(model, 3)
    given = {} if labels is None else {"label": tf.constant(labels)}
    loaded = tf.saved_model.load(str(zoo.export(model, root=tmp_path)))
    assert {"serving_default", "encode", "decode", "sample"} <= set(loaded.signatures)
    served = loaded.signatures["serving_default"](**({"image": tf.constant(x)} | given))
    np.testing.assert_allclose(served["reconstruction"].numpy(),
                               model(_named(x, labels)).numpy(), atol=1e-5)
    moments = loaded.signatures["encode"](image=tf.constant(x), **given)
    mean, log_variance = model.encode(x, labels)
    np.testing.assert_allclose(moments["mean"].numpy(), mean.numpy(), atol=1e-5)
    np.testing.assert_allclose(moments["log_variance"].numpy(), log_variance.numpy(),
                               atol=1e-5)
    decoded = loaded.signatures["decode"](latent=moments["mean"], **given)["image"]
    np.testing.assert_allclose(decoded.numpy(), model(_named(x, labels)).numpy(), atol=1e-5)
    sample = loaded.signatures["sample"]
    seed = tf.constant(11, tf.int64)
    asked = {"count": tf.constant(5)} if labels is None else {"label": tf.constant([0, 1] * 2
                                                                                    + [2])}
    drawn = sample(seed=seed, **asked)["image"].numpy()
    assert drawn.shape == (5, 28, 28, 1)
    np.testing.assert_array_equal(drawn, sample(seed=seed, **asked)["image"].numpy())
    with pytest.raises(tf.errors.InvalidArgumentError, match="latent must be a batch"):
        loaded.signatures["decode"](latent=tf.zeros((1, 3)), **given)
    if labels is None:
        with pytest.raises(tf.errors.InvalidArgumentError, match="count must be >= 1"):
            sample(count=tf.constant(0), seed=seed)
    else:
        with pytest.raises(tf.errors.InvalidArgumentError, match="labels must be below"):
            sample(label=tf.constant([3, 10]), seed=seed)
        with pytest.raises(tf.errors.InvalidArgumentError, match="count must be >= 1"):
            sample(label=tf.zeros((0,), tf.int32), seed=seed)


def test_binarize_draws_binary_pixels_at_their_grey_level():
    grey = np.full((4, 28, 28, 1), 0.25, "float32")
    first = binarize(grey, tf.constant([1, 2])).numpy()
    assert set(np.unique(first)) == {0.0, 1.0}
    assert first.mean() == pytest.approx(0.25, abs=0.02)
    np.testing.assert_array_equal(first, binarize(grey, tf.constant([1, 2])).numpy())
    assert not np.array_equal(first, binarize(grey, tf.constant([1, 3])).numpy())


def test_the_binarized_pipeline_draws_anew_each_epoch():
    data = zoo.data.load("mnist", "train", batch_size=16, limit=16, augment="binarize")
    one, two = (next(iter(data))[0].numpy() for _ in range(2))
    assert set(np.unique(one)) <= {0.0, 1.0}
    assert not np.array_equal(one, two)


@pytest.mark.parametrize("name, options, match", [
    ("vae", {"latent_dim": 0}, "latent_dim=0 must be a positive integer"),
    ("conv_vae", {"input_shape": (30, 30, 1)}, "must divide by 4"),
    ("vae", {"input_shape": (28, 28)}, "must have 3 dimensions"),
    ("vae", {"activation": "swishy"}, "not a Keras activation"),
])
def test_bad_arguments_fail_naming_them(name, options, match):
    with pytest.raises(ValueError, match=match):
        zoo.get_model(name, **options)


def test_the_conditional_vae_decodes_by_its_labels_and_trains_on_image_label_pairs(tmp_path):
    model = zoo.get_model("cvae", seed=0)
    codes = np.zeros((2, model.latent_dim), "float32")
    one, other = (model.decode(codes, np.array([y, y], "int32")).numpy() for y in (1, 7))
    assert not np.allclose(one, other)  # the same code, another class: another image
    drawn = model.sample(labels=[4, 4, 9], seed=3).numpy()
    assert drawn.shape == (3, 28, 28, 1)
    np.testing.assert_array_equal(drawn, model.sample(labels=[4, 4, 9], seed=3).numpy())
    assert model.sample(12).shape == (12, 28, 28, 1)  # labels cycle through the classes
    x = _binary(64)
    data = tf.data.Dataset.from_tensor_slices((x, np.arange(64) % 10)).batch(16)
    result = zoo.train("cvae", (data, data), epochs=2, runs_root=tmp_path, verbose=0,
                       tensorboard=False)
    assert result.history["loss"][1] < result.history["loss"][0]


def test_the_conditional_vae_refuses_missing_and_out_of_range_labels():
    model = zoo.get_model("cvae")
    x = _binary(2)
    with pytest.raises(ValueError, match="conditional on 10 classes: call it on"):
        model(x)
    with pytest.raises(ValueError, match="conditional on 10 classes: pass labels"):
        model.elbo_terms(x)
    with pytest.raises(tf.errors.InvalidArgumentError, match="labels must be below"):
        model({"image": x, "label": np.array([3, 10])})
    with pytest.raises(ValueError, match="takes no labels"):
        zoo.get_model("vae").encode(x, np.array([1, 2]))
    with pytest.raises(ValueError, match="count=2 but 3 labels"):
        model.sample(2, labels=[1, 2, 3])
    with pytest.raises(ValueError, match="num_classes=1 conditions on nothing"):
        zoo.get_model("cvae", num_classes=1)


def test_images_of_the_wrong_shape_and_bad_counts_are_refused():
    model = zoo.get_model("vae")
    with pytest.raises(ValueError, match=r"do not fit this VAE: it takes \(batch, 28, 28, 1\)"):
        model.elbo_terms(np.zeros((2, 14, 14, 1), "float32"))
    with pytest.raises(ValueError, match="samples=0 must be a positive integer"):
        model.log_likelihood(_binary(2), samples=0)
    with pytest.raises(ValueError, match="count=0 must be a positive integer"):
        model.sample(0)


@pytest.mark.slow
def test_two_epochs_on_binarized_mnist_learn_a_likelihood(tmp_path):
    """From 543 nats (784 ln 2, a coin per pixel) to well under 130 on held-out digits."""
    result = zoo.train("vae", epochs=2, runs_root=tmp_path, verbose=0, tensorboard=False)
    assert result.history["val_loss"][-1] < 130, result.history


@pytest.mark.parametrize("name", VAES)
def test_the_recorded_likelihood_bound_is_tighter_than_the_elbo(name):
    row = zoo.model_card(name).measured.get("nll")
    assert row is not None, f"run python benchmarks/vae.py {name}"
    assert row["dataset"] == "mnist" and row["test_examples"] == 10_000
    assert row["importance_samples"] >= 100
    assert row["value"] <= row["negative_elbo"], row  # more samples, a tighter bound
    assert row["value"] < 100, row  # nats per image; 543 for a coin per pixel


def test_the_readme_quotes_the_recorded_figures():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    for name in VAES:
        row = zoo.model_card(name).measured["nll"]
        for figure in (row["value"], row["negative_elbo"]):
            assert str(figure) in readme, (name, figure)
        # Every VAE's samples are judged, as every GAN's are.
        assert row["generated_samples"] == 10_000 and 0 < row["classifier_fid"] < 100, name
        assert f"{row['classifier_fid']:.2f}, {row['class_coverage']}" in readme, name


def test_the_conditional_vae_recorded_a_tighter_bound_and_samples_of_the_asked_digits():
    from pathlib import Path

    row = zoo.model_card("cvae").measured["nll"]
    assert row["likelihood"] == "log p(x | label)" and row["generated_samples"] == 10_000
    assert row["value"] < zoo.model_card("vae").measured["nll"]["value"]  # the label helps
    assert row["class_consistency"] > 0.9, row  # chance: 0.1
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert f"{row['class_consistency']:.2%}" in readme and str(row["classifier_fid"]) in readme
