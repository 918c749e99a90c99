"""LeNet-5 as Sequential, Functional and subclassed model: one network, three spellings."""

import numpy as np
import pytest

import zoo

APIS = ("sequential", "functional", "subclass")


@pytest.fixture(scope="module")
def models():
    return {api: zoo.get_model("lenet5", api=api) for api in APIS}


def test_three_apis_have_the_same_parameter_count(models):
    counts = {api: model.count_params() for api, model in models.items()}
    assert len(set(counts.values())) == 1, counts
    assert counts["sequential"] == 61706  # C1 156 + C3 2416 + C5 48120 + F6 10164 + out 850


def test_same_weights_give_the_same_outputs(models):
    weights = models["sequential"].get_weights()
    x = np.random.default_rng(0).random((8, 28, 28, 1), dtype=np.float32)
    expected = models["sequential"](x).numpy()
    for api in ("functional", "subclass"):
        models[api].set_weights(weights)
        np.testing.assert_allclose(models[api](x).numpy(), expected, atol=1e-6)


def test_each_api_builds_the_keras_kind_it_names(models):
    import keras

    assert type(models["sequential"]) is keras.Sequential
    assert type(models["functional"]).__name__ == "Functional"
    assert type(models["subclass"]).__name__ == "LeNet5"
    assert isinstance(models["subclass"], keras.Model)


@pytest.mark.parametrize("pooling", ["avg", "max", None])
def test_headless_lenet_gives_features(pooling):
    model = zoo.get_model("lenet5", include_top=False, pooling=pooling, input_shape=(32, 32, 3))
    expected = (None, 120) if pooling else (None, 2, 2, 120)
    assert model.output_shape == expected
