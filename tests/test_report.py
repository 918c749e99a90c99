"""Classification and regression reports on real data: the figures agree with Keras'
metrics and with their own definitions; calibration on a case computed by hand."""

import numpy as np
import pytest

import zoo
from zoo.train.report import (
    classification_report,
    expected_calibration_error,
    majority_baseline,
    plot_report,
    regression_report,
)

FEW = {"limit": 2000}


@pytest.fixture(scope="module")
def logistic(tmp_path_factory):
    return zoo.train("logistic_regression", epochs=1, dataset_options={"limit": 5000},
                     verbose=0, tensorboard=False,
                     runs_root=tmp_path_factory.mktemp("runs")).model


def test_a_classifiers_report_agrees_with_keras_and_with_its_definitions(logistic, tmp_path):
    report = classification_report(logistic, dataset_options=FEW)
    keras_accuracy = zoo.evaluate(logistic, dataset_options=FEW)["accuracy"]
    assert report.accuracy == pytest.approx(keras_accuracy, abs=1e-6)
    confusion = report.confusion
    assert confusion.shape == (10, 10) and confusion.sum() == 2000
    assert np.trace(confusion) / 2000 == pytest.approx(report.accuracy)
    recall = np.diag(confusion) / confusion.sum(axis=1)
    precision = np.diag(confusion) / np.maximum(confusion.sum(axis=0), 1)
    np.testing.assert_allclose([row["recall"] for row in report.per_class], recall)
    np.testing.assert_allclose([row["precision"] for row in report.per_class], precision)
    assert report.macro["f1"] == pytest.approx(np.mean([r["f1"] for r in report.per_class]))
    assert [r["support"] for r in report.per_class] == confusion.sum(axis=1).tolist()
    assert report.accuracy < report.roc_auc <= 1.0  # ranking is easier than the top-1 pick
    assert 0.0 <= report.calibration_error <= 1.0
    figure = plot_report(report, tmp_path / "report.png",
                         class_names=zoo.data.dataset_info("fashion_mnist").class_names)
    assert len(figure.axes) == 3 and (tmp_path / "report.png").stat().st_size > 10_000


def test_a_margin_classifier_is_ranked_but_not_calibrated(tmp_path):
    perceptron = zoo.train("perceptron", epochs=1, verbose=0, tensorboard=False,
                           runs_root=tmp_path).model
    report = classification_report(perceptron)
    assert report.accuracy == pytest.approx(zoo.evaluate(perceptron)["accuracy"], abs=1e-6)
    assert report.confusion.shape == (2, 2)
    assert report.calibration_error is None, "signed margins are not probabilities"
    assert len(plot_report(report).axes) == 3


def test_a_regressors_report_agrees_with_keras(tmp_path):
    regressor = zoo.train("mlp_regressor", epochs=20, verbose=0, tensorboard=False,
                          runs_root=tmp_path).model
    report = regression_report(regressor)
    keras_metrics = zoo.evaluate(regressor)
    assert report.mae == pytest.approx(keras_metrics["mae"], rel=1e-5)
    assert report.rmse == pytest.approx(keras_metrics["rmse"], rel=1e-5)
    assert report.mse == pytest.approx(report.rmse ** 2)
    assert 0.0 < report.r2 < 1.0


def test_expected_calibration_error_by_hand():
    # Two bins of two: 90% confident and half right (0.4 off), 60% and all right (0.4 off).
    assert expected_calibration_error([0.9, 0.9, 0.6, 0.6], [1, 0, 1, 1]) == pytest.approx(0.4)
    assert expected_calibration_error([0.75] * 4, [1, 1, 1, 0]) == pytest.approx(0.0)


@pytest.mark.slow
def test_on_imbalanced_spam_accuracy_flatters_and_class_weights_trade_precision_for_recall(
        tmp_path):  # and so does oversampling the spam
    # SMS spam: 13% of the test messages are spam. Answering "ham" always is 87% accurate
    # and finds no spam at all.
    baseline = majority_baseline("sms_spam")
    assert baseline.accuracy > 0.85 and baseline.per_class[1]["f1"] == 0.0
    reports = {}
    for weighting, resample in ((None, None), ("balanced", None), (None, "oversample")):
        run = zoo.train("text_bow_mlp", "sms_spam", epochs=1, class_weight=weighting,
                        dataset_options={"resample": resample}, verbose=0,
                        tensorboard=False, runs_root=tmp_path)
        reports[weighting or resample] = classification_report(run.model,
                                                                "sms_spam").per_class[1]
    plain, weighted, oversampled = reports[None], reports["balanced"], reports["oversample"]
    assert plain["f1"] > 0.5, "a trained classifier does find spam"
    # Each spam message weighs as much as ~6.5 ham messages: more spam found, at the price
    # of more ham called spam (King and Zeng 2001).
    assert weighted["recall"] > plain["recall"] + 0.05, reports
    assert weighted["precision"] < plain["precision"], reports
    # Drawing as many spam messages as ham every epoch (each spam seen ~6.5 times) does the
    # same from the data's side. Measured: recall 0.789 -> 0.859, precision 0.990 -> 0.982.
    assert oversampled["recall"] > plain["recall"] + 0.03, reports
    assert oversampled["precision"] <= plain["precision"], reports


def test_class_weights_are_checked(tmp_path):
    with pytest.raises(ValueError, match="class_weight='equal' is not allowed"):
        zoo.train("logistic_regression", class_weight="equal", dataset_options={"limit": 256},
                  runs_root=tmp_path)
    with pytest.raises(ValueError, match="class_weight= applies to classifiers, not to regression"):
        zoo.train("mlp_regressor", class_weight="balanced", runs_root=tmp_path)
    assert not any(tmp_path.iterdir())
