"""Forecasters: the per-window scaling they share, their arguments, the series pipeline that
feeds them through `zoo.train`, their exported forecasts, and their recorded figures against
the naive and seasonal-naive forecasts."""

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.data import series
from zoo.layers.forecasting import WindowScaling, WindowUnscaling
from zoo.models.sequence.forecasters import tcn_dilations
from zoo.registry import recorded_results

FORECASTERS = zoo.list_models(task="forecasting")
WINDOWS = np.random.default_rng(0).normal(0, 1, (5, 36, 1)).cumsum(axis=1).astype("float32") \
    + 25.0


def test_every_domain_architecture_is_registered():
    assert FORECASTERS == ["gru_forecaster", "lstm_forecaster", "tcn_forecaster",
                           "transformer_forecaster"]


def test_window_scaling_centres_on_the_last_value_and_scales_by_the_window():
    scaled, center, scale = WindowScaling()(WINDOWS)
    np.testing.assert_allclose(scaled.numpy()[:, -1], 0.0, atol=1e-6)
    np.testing.assert_allclose(center.numpy()[:, 0, 0], WINDOWS[:, -1, 0])
    np.testing.assert_allclose(scale.numpy()[:, 0, 0], WINDOWS[..., 0].std(axis=1), rtol=1e-4)
    # A zero forecast in the window's units is the naive forecast in the series' unit.
    zero = tf.zeros((len(WINDOWS), 4))
    np.testing.assert_allclose(WindowUnscaling()([zero, center, scale]).numpy(),
                               series.naive_forecast(WINDOWS, 4), rtol=1e-6)


def test_a_constant_window_scales_to_zeros_not_nan():
    scaled, _, scale = WindowScaling()(np.full((1, 10, 1), 7.0, "float32"))
    assert np.all(scaled.numpy() == 0) and scale.numpy().item() > 0
    with pytest.raises(ValueError, match="epsilon must be > 0"):
        WindowScaling(epsilon=0)


@pytest.mark.parametrize("name", FORECASTERS)
def test_a_forecast_moves_with_the_level_and_scale_of_its_window(name):
    # The same window shifted by 100 units, or stretched 3 times about its level, gets the
    # same forecast shifted or stretched: what lets one model serve a trending series.
    model = zoo.get_model(name, input_length=36, horizon=3)
    forecast = model(WINDOWS).numpy()
    np.testing.assert_allclose(model(WINDOWS + 100).numpy(), forecast + 100, atol=2e-3)
    level = WINDOWS[:, -1:, :]
    stretched = model(level + 3 * (WINDOWS - level)).numpy()
    np.testing.assert_allclose(stretched, level[:, 0] + 3 * (forecast - level[:, 0]),
                               atol=2e-3)


@pytest.mark.parametrize("arguments, message", [
    ({"input_length": 0}, r"input_length=0"),
    ({"horizon": -1}, r"horizon=-1"),
    ({"cell": "rnn"}, r"cell='rnn'"),
])
def test_recurrent_forecaster_arguments_are_checked(arguments, message):
    with pytest.raises(ValueError, match=message):
        zoo.get_model("lstm_forecaster", **arguments)


def test_tcn_and_transformer_arguments_are_checked():
    with pytest.raises(ValueError, match="kernel_size=1 must be at least 2"):
        zoo.get_model("tcn_forecaster", kernel_size=1)
    with pytest.raises(ValueError, match="holds 1 patch"):
        zoo.get_model("transformer_forecaster", input_length=12, patch_length=8)
    with pytest.raises(ValueError, match="divisible by num_heads"):
        zoo.get_model("transformer_forecaster", embedding_dim=30)


@pytest.mark.parametrize("input_length, kernel_size", [(104, 3), (132, 3), (36, 2), (2, 2)])
def test_the_tcn_sees_its_whole_window(input_length, kernel_size):
    dilations = tcn_dilations(input_length, kernel_size)
    receptive_field = 1 + (kernel_size - 1) * sum(dilations)
    assert receptive_field >= input_length
    assert receptive_field - (kernel_size - 1) * dilations[-1] < input_length  # no level too many


def test_the_patches_end_at_the_newest_step():
    # 38 steps in patches of 8: the oldest 6 are dropped, never the newest.
    model = zoo.get_model("transformer_forecaster", input_length=38, horizon=1, patch_length=8)
    steps = np.arange(38, dtype="float32")[None, :, None]
    kept = model.get_layer("whole_patches")(steps).numpy()[0, :, 0]
    np.testing.assert_array_equal(kept, np.arange(6, 38))
    assert model.get_layer("patch_embedding").output.shape == (None, 4, 64)


def test_load_cuts_a_series_into_windows_of_the_asked_shape():
    inputs, targets = next(iter(zoo.data.load("elnino", "test", batch_size=8, input_length=24,
                                              horizon=6)))
    assert inputs.shape == (8, 24, 1) and targets.shape == (8, 6)
    default, _ = zoo.data.raw_arrays("co2", "validation")
    assert default.shape[1:] == (104, 1)  # the series' default window


def test_series_options_and_other_options_do_not_mix():
    with pytest.raises(ValueError, match="input_length and horizon cut a time series"):
        zoo.data.load("digits", input_length=10)
    with pytest.raises(ValueError, match="classes: not options of the time series co2"):
        zoo.data.load("co2", classes=(0, 1))
    with pytest.raises(ValueError, match="no test window fits"):
        zoo.data.load("elnino", "test", input_length=12, horizon=200)


def test_a_series_validation_fraction_moves_the_validation_windows():
    short, _ = zoo.data.raw_arrays("elnino", "validation", input_length=24)
    longer, _ = zoo.data.raw_arrays("elnino", "validation", input_length=24,
                                    validation_fraction=0.25)
    test_a, _ = zoo.data.raw_arrays("elnino", "test", input_length=24)
    test_b, _ = zoo.data.raw_arrays("elnino", "test", input_length=24, validation_fraction=0.25)
    assert len(longer) > len(short)
    np.testing.assert_array_equal(test_a, test_b)  # the test split never moves


def test_train_builds_a_named_forecaster_for_the_series_it_trains_on(tmp_path):
    result = zoo.train("gru_forecaster", "elnino", epochs=1, model_options={"units": 8},
                       dataset_options={"horizon": 3}, runs_root=tmp_path, verbose=0,
                       tensorboard=False)
    assert result.model.input_shape == (None, 36, 1)  # elnino's window, not CO2's 104
    assert result.model.output_shape == (None, 3)
    figures = zoo.evaluate(result.model, "elnino")  # the window follows from the model
    assert np.isfinite(figures["mae"]) and figures["mae"] == pytest.approx(figures["loss"])


def test_a_window_option_that_contradicts_the_model_is_an_error(tmp_path):
    model = zoo.get_model("gru_forecaster", input_length=36, units=8)
    with pytest.raises(ValueError, match="horizon=12 does not fit model 'gru_forecaster'"):
        zoo.train(model, "elnino", dataset_options={"horizon": 12}, loss="mae",
                  runs_root=tmp_path, verbose=0)


def test_the_exported_forecaster_takes_raw_values_and_forecasts_in_their_unit(tmp_path):
    model = zoo.get_model("tcn_forecaster", input_length=36, horizon=4, filters=8)
    path = zoo.export(model, root=tmp_path)
    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    assert serve.structured_input_signature[1]["history"].shape.as_list() == [None, 36, 1]
    forecast = serve(history=tf.constant(WINDOWS))["forecast"].numpy()
    np.testing.assert_allclose(forecast, model(WINDOWS).numpy(), atol=1e-4)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[5,30,1\].*\[\?,36,1\]"):
        serve(history=tf.constant(WINDOWS[:, :30]))  # a window of the wrong length


@pytest.mark.slow
def test_a_forecaster_beats_both_baselines_on_a_real_series(tmp_path):
    from zoo.sequence.measure import measure_forecaster

    row = measure_forecaster("tcn_forecaster", "elnino", 1, runs_root=tmp_path)
    assert row["naive_ratio"] < 1.0 and row["seasonal_naive_ratio"] < 1.0, row


# Recorded by benchmarks/forecasting.py.
RECORDED = [row for row in recorded_results() if row["model"] in FORECASTERS]


def test_every_forecaster_is_measured_on_every_series_one_and_twelve_steps_ahead():
    measured = {(row["model"], row["dataset"], row["horizon"]) for row in RECORDED}
    assert measured == {(name, name_of_series, horizon) for name in FORECASTERS
                        for name_of_series in series.SERIES for horizon in (1, 12)}


@pytest.mark.parametrize("row", RECORDED, ids=lambda r: f"{r['model']}-{r['metric']}")
def test_recorded_ratios_are_against_the_baselines_on_the_same_windows(row):
    baselines = series.baseline_errors(row["dataset"], row["input_length"], row["horizon"])
    assert row["naive_mae"] == round(baselines["naive_mae"], 4)
    assert row["seasonal_naive_mae"] == round(baselines["seasonal_naive_mae"], 4)
    assert row["test_examples"] == baselines["windows"]
    for baseline in ("naive", "seasonal_naive"):
        assert row[f"{baseline}_ratio"] == pytest.approx(
            row["value"] / row[f"{baseline}_mae"], abs=2e-4)


@pytest.mark.parametrize("horizon", [1, 12])
@pytest.mark.parametrize("name_of_series", sorted(series.SERIES))
def test_the_best_forecaster_beats_both_baselines_on_every_series(name_of_series, horizon):
    rows = [row for row in RECORDED
            if row["dataset"] == name_of_series and row["horizon"] == horizon]
    best = min(rows, key=lambda row: row["value"])
    assert best["naive_ratio"] < 1.0 and best["seasonal_naive_ratio"] < 1.0, best
