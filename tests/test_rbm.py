"""Restricted Boltzmann machines: the free energy against brute force, the contrastive
divergence gradient against its textbook form, CD-k lowering the reconstruction error,
persistent chains, Gibbs sampling, export, and bad input."""

import itertools

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.generative.rbm import RestrictedBoltzmannMachine
from zoo.train import compile_with_recipe


def _tiny(seed=0, **options):
    model = RestrictedBoltzmannMachine((3,), hidden_units=2, seed=seed, **options)
    rng = np.random.default_rng(seed)
    for variable in model.trainable_variables:
        variable.assign(rng.normal(0, 1, variable.shape).astype("float32"))
    return model


def test_rbms_are_registered_as_autoencoders():
    assert zoo.list_models(family="rbm") == ["rbm", "rbm_pcd"]
    assert zoo.get_model("rbm_pcd").persistent and not zoo.get_model("rbm").persistent


def test_the_free_energy_sums_the_hidden_units_out():
    model = _tiny()
    W, b, c = (v.numpy().astype("float64") for v in
               (model.kernel, model.visible_bias, model.hidden_bias))
    for visible in itertools.product((0.0, 1.0), repeat=3):
        v = np.array(visible)
        energies = [-(b @ v) - (c @ np.array(h)) - v @ W @ np.array(h)
                    for h in itertools.product((0.0, 1.0), repeat=2)]
        expected = -np.log(np.sum(np.exp(-np.array(energies))))
        got = float(model.free_energy(v[None].astype("float32"))[0])
        assert got == pytest.approx(expected, abs=1e-5)


def test_the_surrogate_gradient_is_contrastive_divergence():
    """d/dW [mean F(v0) - mean F(vk)] = -(v0' p(h|v0) - vk' p(h|vk)) / n (Hinton, 2002)."""
    model = _tiny(1)
    rng = np.random.default_rng(2)
    data = (rng.random((5, 3)) < 0.5).astype("float32")
    negative = (rng.random((5, 3)) < 0.5).astype("float32")
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(model.free_energy(data)) - tf.reduce_mean(
            model.free_energy(negative))
    kernel, visible, hidden = tape.gradient(loss, [model.kernel, model.visible_bias,
                                                   model.hidden_bias])
    h0, hk = (model.hidden_probabilities(v).numpy() for v in (data, negative))
    np.testing.assert_allclose(kernel.numpy(), -(data.T @ h0 - negative.T @ hk) / 5, atol=1e-5)
    np.testing.assert_allclose(visible.numpy(), -(data - negative).mean(0), atol=1e-6)
    np.testing.assert_allclose(hidden.numpy(), -(h0 - hk).mean(0), atol=1e-6)


@pytest.mark.parametrize("name", ["rbm", "rbm_pcd"])
def test_contrastive_divergence_lowers_the_reconstruction_error(name, tmp_path):
    train = zoo.data.load("mnist", "train", batch_size=50, limit=3000, augment="binarize",
                          targets="inputs")
    test = zoo.data.load("mnist", "test", batch_size=500, limit=1000, targets="inputs")
    model = zoo.get_model(name, seed=0)
    compile_with_recipe(model, zoo.model_card(name))
    before = model.evaluate(test, verbose=0, return_dict=True)["mse"]
    chain = model.chain.numpy().copy() if model.persistent else None
    model.fit(train, epochs=1, verbose=0)
    after = model.evaluate(test, verbose=0, return_dict=True)["mse"]
    assert after < 0.6 * before, (before, after)
    if model.persistent:  # the chains ran on, and stayed binary
        assert not np.array_equal(model.chain.numpy(), chain)
        assert set(np.unique(model.chain.numpy())) <= {0.0, 1.0}


def test_gibbs_samples_are_deterministic_for_a_seed():
    model = zoo.get_model("rbm", hidden_units=16)
    first, again, other = (model.sample(3, steps=5, seed=s).numpy() for s in (4, 4, 5))
    assert first.shape == (3, 28, 28, 1) and 0 <= first.min() and first.max() <= 1
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_the_savedmodel_encodes_and_decodes(tmp_path):
    model = zoo.get_model("rbm", hidden_units=32)
    x = np.random.default_rng(0).random((2, 28, 28, 1)).astype("float32")
    loaded = tf.saved_model.load(str(zoo.export(model, root=tmp_path)))
    code = loaded.signatures["encode"](image=tf.constant(x))["code"]
    np.testing.assert_allclose(code.numpy(), model.encode(x).numpy(), atol=1e-6)
    served = loaded.signatures["serving_default"](image=tf.constant(x))["reconstruction"]
    np.testing.assert_allclose(served.numpy(), model(x).numpy(), atol=1e-6)
    decoded = loaded.signatures["decode"](code=code)["reconstruction"]
    np.testing.assert_allclose(decoded.numpy(), model(x).numpy(), atol=1e-6)


@pytest.mark.parametrize("options, match", [
    ({"hidden_units": 0}, "hidden_units=0 must be a positive integer"),
    ({"cd_steps": 0}, "cd_steps=0 must be a positive integer"),
    ({"persistent": "yes"}, "persistent='yes' must be True or False"),
    ({"chains": -1}, "chains=-1 must be a positive integer"),
])
def test_bad_arguments_fail_naming_them(options, match):
    with pytest.raises(ValueError, match=match):
        zoo.get_model("rbm", **options)


def test_images_of_the_wrong_shape_are_refused():
    with pytest.raises(ValueError, match=r"do not fit this RBM: it takes \(batch, 28, 28, 1\)"):
        zoo.get_model("rbm")(np.zeros((2, 14, 14, 1), "float32"))


def test_train_starts_the_visible_biases_at_the_pixels_log_odds_once(tmp_path):
    train = zoo.data.load("mnist", "train", batch_size=100, limit=500, targets="inputs")
    images = np.concatenate([x.numpy() for x, _ in train]).reshape(500, -1)
    rate = np.clip(images.mean(axis=0), 0.001, 0.999)
    model = zoo.get_model("rbm", hidden_units=16)
    assert not model.is_adapted()
    model.adapt(train)
    np.testing.assert_allclose(model.visible_bias.numpy(), np.log(rate / (1 - rate)),
                               rtol=1e-4, atol=1e-4)
    result = zoo.train("rbm", (train, train), epochs=1, runs_root=tmp_path, verbose=0,
                       tensorboard=False, model_options={"hidden_units": 16})
    assert result.model.is_adapted()
    path = tmp_path / "rbm.keras"
    result.model.save(path)
    assert zoo.load_model(path).is_adapted()  # a reloaded model is not adapted again
    with pytest.raises(ValueError, match="needs at least one image"):
        zoo.get_model("rbm").adapt(train.take(0))
