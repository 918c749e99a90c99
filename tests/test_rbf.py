"""Radial-basis-function networks: the layer's response, k-means adaptation of prototypes
and widths (once, by `zoo.train`), the comparison with an MLP, and bad input."""

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.layers.radial_basis import RadialBasis, adapt_radial_basis_layers


def test_a_unit_responds_with_a_gaussian_of_the_distance():
    layer = RadialBasis(2)
    layer.build((None, 3))
    layer.prototypes.assign([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]])
    layer.log_widths.assign(np.log([1.0, 2.0]).astype("float32"))
    x = np.array([[1.0, 2.0, 2.0], [0.0, 0.0, 0.0]], "float32")  # distances 3 and 0
    expected = [[np.exp(-9 / 2), 1.0], [1.0, np.exp(-9 / 8)]]
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5)


def test_adapt_puts_prototypes_at_cluster_centres_and_widths_at_their_spread():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 10.0]])
    points = np.concatenate([c + rng.normal(0, 0.5, (400, 2)) for c in centres])
    layer = RadialBasis(2)
    assert not layer.is_adapted()
    layer.adapt(points)
    found = layer.prototypes.numpy()[np.argsort(layer.prototypes.numpy()[:, 0])]
    np.testing.assert_allclose(found, centres, atol=0.1)
    # RMS distance of 2-D N(0, 0.5^2) points to their centre: 0.5 * sqrt(2).
    np.testing.assert_allclose(np.exp(layer.log_widths.numpy()), 0.5 * np.sqrt(2), rtol=0.1)
    assert layer.is_adapted()


def test_train_adapts_a_new_network_once(tmp_path):
    data = zoo.data.load("fashion_mnist", "train", batch_size=100, limit=600)
    result = zoo.train("rbf_network", (data, data), epochs=1, runs_root=tmp_path, verbose=0,
                       tensorboard=False, model_options={"units": 20})
    layer = result.model.get_layer("radial_basis")
    assert layer.is_adapted()
    assert adapt_radial_basis_layers(result.model, data) == []  # trained: left alone
    path = tmp_path / "rbf.keras"
    result.model.save(path)
    assert zoo.load_model(path).get_layer("radial_basis").is_adapted()


def test_too_few_examples_and_bad_units_fail_clearly():
    with pytest.raises(ValueError, match="needs at least as many examples; got 3"):
        RadialBasis(5).adapt(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="units=0 must be a positive integer"):
        zoo.get_model("rbf_network", units=0)


def test_the_recorded_rbf_network_stands_beside_the_mlp():
    rbf, mlp = (zoo.model_card(name).measured.get("accuracy") for name in ("rbf_network", "mlp"))
    assert rbf is not None, "run python benchmarks/accuracy.py rbf_network"
    assert rbf["dataset"] == mlp["dataset"] == "fashion_mnist"
    assert rbf["test_examples"] == mlp["test_examples"]
    assert rbf["value"] > 0.8, rbf  # a working classifier; the MLP's figure is beside it


def test_the_exported_rbf_network_serves_its_classes(tmp_path):
    model = zoo.get_model("rbf_network", units=8)
    x = np.random.default_rng(0).random((2, 28, 28, 1)).astype("float32")
    serve = tf.saved_model.load(str(zoo.export(model, root=tmp_path))).signatures[
        "serving_default"]
    np.testing.assert_allclose(serve(image=tf.constant(x))["probabilities"].numpy(),
                               model(x).numpy(), atol=1e-6)
