"""zoo.train.temperature_scale: Guo et al.'s temperature, fitted on validation, fixes an
overconfident classifier's calibration without changing one prediction."""

import keras
import numpy as np
import pytest

import zoo
from zoo.train import classification_report, temperature_scale
from zoo.train.calibration import fit_temperature


def test_fit_temperature_recovers_the_temperature_that_made_the_labels():
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=4.0, size=(20000, 5))
    true_probabilities = np.exp(logits / 2.5)
    true_probabilities /= true_probabilities.sum(-1, keepdims=True)
    labels = np.array([rng.choice(5, p=p) for p in true_probabilities])
    assert fit_temperature(logits, labels) == pytest.approx(2.5, rel=0.05)


def test_temperature_scaling_calibrates_an_overconfident_mlp_and_keeps_its_predictions(
        tmp_path):
    # 512-512 units on 2,000 images for 30 epochs at a constant learning rate: it fits its
    # training set and grows overconfident. Measured: T = 2.16, test ECE 0.103 -> 0.011,
    # accuracy 0.8195 either way (README quotes these).
    result = zoo.train("mlp", epochs=30, schedule="constant", early_stopping=False,
                       model_options={"hidden_units": (512, 512)},
                       dataset_options={"limit": 2000}, verbose=0, tensorboard=False,
                       runs_root=tmp_path)
    calibrated = temperature_scale(result.model)
    assert calibrated.temperature > 1.2, "an overfitted network is overconfident"
    assert calibrated.nll_after < calibrated.nll_before
    before = classification_report(result.model)
    after = classification_report(calibrated.model, "fashion_mnist")
    np.testing.assert_array_equal(after.predicted, before.predicted)
    assert after.calibration_error < before.calibration_error / 2
    calibrated.model.save(tmp_path / "calibrated.keras")
    again = keras.models.load_model(tmp_path / "calibrated.keras")
    images = zoo.data.arrays("fashion_mnist", "test", limit=8)[0]
    np.testing.assert_allclose(again.predict(images, verbose=0),
                               calibrated.model.predict(images, verbose=0), atol=1e-6)


def test_temperature_scaling_refuses_the_test_split_and_single_scores():
    model = zoo.get_model("mlp")
    with pytest.raises(ValueError, match="not the test split"):
        temperature_scale(model, split="test")
    with pytest.raises(ValueError, match="two or more classes"):
        temperature_scale(zoo.get_model("linear_svm"),
                          dataset_options={"limit": 256})
