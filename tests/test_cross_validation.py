"""K-fold cross-validation on real data: every example held out once per repeat, metrics per
fold with their mean and spread, and nothing read from the test split."""

import statistics

import pytest

import zoo
from zoo.train import cross_validate


@pytest.mark.slow
def test_iterated_stratified_k_fold_holds_every_example_out_once_per_repeat(tmp_path):
    cv = cross_validate("logistic_regression", folds=3, repeats=2, limit=1500, epochs=4,
                        runs_root=tmp_path)
    assert [(f["repeat"], f["fold"]) for f in cv.folds] == [(r, k) for r in (0, 1)
                                                            for k in (0, 1, 2)]
    assert all(f["examples"] == 500 for f in cv.folds)  # 1,500 cut in three, twice
    accuracies = [f["accuracy"] for f in cv.folds]
    assert cv.mean["accuracy"] == pytest.approx(statistics.fmean(accuracies))
    assert cv.std["accuracy"] == pytest.approx(statistics.stdev(accuracies))
    assert 0.6 < cv.mean["accuracy"] < 1 and 0 < cv.std["accuracy"] < 0.1
    # A new cut per repeat: the two repeats' folds are not the same runs.
    assert accuracies[:3] != accuracies[3:]
    assert str(cv).startswith("logistic_regression, 6 folds: accuracy ")


def test_a_regressor_is_cut_at_random_and_scored_by_its_own_metrics(tmp_path):
    cv = cross_validate("mlp_regressor", folds=2, epochs=2, runs_root=tmp_path)
    assert len(cv.folds) == 2 and {"mae", "rmse"} <= set(cv.mean)
    # Every training example once, and not one of the test split's.
    training, _ = zoo.data.arrays("diabetes", "train", validation_fraction=0)
    assert sum(f["examples"] for f in cv.folds) == len(training) < 442


@pytest.mark.parametrize("call, message", [
    (dict(name="mlp", folds=1), "folds=1 must be at least 2"),
    (dict(name="mlp", repeats=0), "repeats=0"),
    (dict(name="q_network"), "learns by acting"),
])
def test_bad_cross_validation_arguments_are_refused(tmp_path, call, message):
    name = call.pop("name")
    with pytest.raises(ValueError, match=message):
        cross_validate(name, runs_root=tmp_path, **call)
