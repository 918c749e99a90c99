"""Accuracy on real data: retrain with each card's recipe on Fashion-MNIST, check the floor
the foundation promises, and check that the figure recorded on the card is reproduced."""

import pytest

import zoo
from zoo.benchmark import measure, measure_transfer

FLOORS = {"lenet5": 0.89, "mlp": 0.87, "logistic_regression": 0.83}
# Same seed and recipe; what remains is nondeterminism of multi-threaded CPU kernels.
REPRODUCE_WITHIN = 0.015
ENSEMBLE_MEMBER, ENSEMBLE_SEEDS = "lenet5", (0, 1, 2)


@pytest.fixture(scope="module")
def recipe_trained(tmp_path_factory):
    """`zoo.train(name, seed=seed)` with the card's recipe, once per module."""
    results = {}

    def trained(name, seed=0):
        if (name, seed) not in results:
            results[name, seed] = zoo.train(name, seed=seed, verbose=0, tensorboard=False,
                                            runs_root=tmp_path_factory.mktemp(name))
        return results[name, seed]

    return trained


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FLOORS))
def test_retrained_accuracy_meets_the_floor_and_matches_the_card(name, recipe_trained):
    row = measure(name, trained=recipe_trained(name))
    assert row["test_examples"] == 10000 and row["train_examples"] == 54000
    assert row["value"] >= FLOORS[name], row
    recorded = zoo.model_card(name).measured["accuracy"]["value"]
    assert abs(row["value"] - recorded) <= REPRODUCE_WITHIN, (row["value"], recorded)


@pytest.mark.slow
def test_transfer_from_fashion_mnist_beats_training_from_scratch(tmp_path):
    transferred, scratch = measure_transfer(runs_root=tmp_path)
    assert transferred["value"] > scratch["value"], (transferred["value"], scratch["value"])
    recorded = zoo.model_card("lenet5_functional").measured
    for row in (transferred, scratch):
        assert abs(recorded[row["metric"]]["value"] - row["value"]) <= 2 * REPRODUCE_WITHIN


def test_the_recorded_ensemble_of_three_beats_its_best_member():
    # benchmarks/ensemble.py trains three LeNet-5s with the full recipe (seeds 0-2): a
    # measurement that DESIGN keeps out of CI, whose recorded figures are checked here. Its
    # seed-0 member is the floor test's LeNet-5, retrained above; the card figure of LeNet-5
    # and that member must agree as two runs of one recipe do.
    rows = {row["method"]: row for row in zoo.model_card("ensemble").measured.values()}
    for row in rows.values():
        assert row["best_member"] == max(row["members"].values())
        assert row["seed"] == list(ENSEMBLE_SEEDS) and row["test_examples"] == 10000
    assert rows["average"]["value"] > rows["average"]["best_member"], rows["average"]
    lenet = zoo.model_card(ENSEMBLE_MEMBER).measured["accuracy"]["value"]
    assert abs(rows["average"]["members"]["lenet5_seed0"] - lenet) <= REPRODUCE_WITHIN
