"""Ensembles average or vote over member classifiers."""

import numpy as np
import pytest

import zoo

X = np.random.default_rng(0).random((6, 28, 28, 1), dtype=np.float32)


def test_average_is_the_mean_of_member_probabilities():
    members = [zoo.get_model("lenet5"), zoo.get_model("mlp"), zoo.get_model("logistic_regression")]
    model = zoo.get_model("ensemble", members=members)
    expected = np.mean([m(X).numpy() for m in members], axis=0)
    np.testing.assert_allclose(model(X).numpy(), expected, atol=1e-6)


def test_vote_counts_each_members_top_class():
    members = [zoo.get_model(n) for n in ("lenet5", "mlp", "logistic_regression")]
    votes = zoo.get_model("ensemble", members=members, method="vote")(X).numpy()
    tops = np.stack([m(X).numpy().argmax(-1) for m in members])
    for row, column in enumerate(tops.T):
        expected = np.bincount(column, minlength=10) / 3
        np.testing.assert_allclose(votes[row], expected, atol=1e-6)


def test_test_time_flip_pools_each_member_on_the_image_and_its_mirror(tmp_path):
    members = [zoo.get_model("lenet5"), zoo.get_model("mlp")]
    model = zoo.get_model("ensemble", members=members, test_time_flip=True)
    mirrored = X[:, :, ::-1]
    expected = np.mean([m(x).numpy() for m in members for x in (X, mirrored)], axis=0)
    np.testing.assert_allclose(model(X).numpy(), expected, atol=1e-6)
    # The mirror is a layer of the saved model, in inference as in training.
    path = tmp_path / "flip.keras"
    model.save(path)
    np.testing.assert_allclose(zoo.load_model(path)(X).numpy(), expected, atol=1e-6)
    with pytest.raises(ValueError, match="test_time_flip=1 must be True or False"):
        zoo.get_model("ensemble", members=members, test_time_flip=1)


def test_exported_ensemble_reports_probabilities_not_softmax_of_them(tmp_path):
    import tensorflow as tf

    model = zoo.get_model("ensemble")
    serve = tf.saved_model.load(str(zoo.export(model, root=tmp_path))).signatures[
        "serving_default"]
    np.testing.assert_allclose(serve(image=X)["probabilities"], model(X), atol=1e-5)


@pytest.mark.parametrize(("members", "message"), [
    (("lenet5",), "two or more"),
    (("lenet5", "linear_regression"), "not an image classifier"),
    (("lenet5", "lenet5"), "names must differ"),
    (("lenet5", "nothing"), "unknown model 'nothing'"),
])
def test_bad_members(members, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model("ensemble", members=members)


def test_members_must_agree_and_output_probabilities():
    with pytest.raises(ValueError, match="share input shape"):
        zoo.get_model("ensemble", members=[zoo.get_model("lenet5"),
                                           zoo.get_model("mlp", num_classes=3)])
    with pytest.raises(ValueError, match="logits"):
        zoo.get_model("ensemble", members=[zoo.get_model("lenet5"),
                                           zoo.get_model("mlp", classifier_activation=None)])
