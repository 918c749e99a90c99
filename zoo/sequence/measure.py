"""Measured sequence models.

Forecasting (`measure_forecaster`): a registered forecaster trained by its recipe on one real
series, judged on the series' untouched test windows (its last 15% of steps) against the two
forecasts any forecaster must beat on the same windows: the naive forecast (the last value)
and the seasonal-naive forecast (the value one season earlier).

`benchmarks/forecasting.py` records these rows into `zoo/results/forecasting.json`; the cards
read them. A row's metric names the series unless it is the card's own (`sunspots_`), and the
horizon unless it is one step (`h12_`): `mae`, `h12_mae`, `sunspots_mae`, `sunspots_h12_mae`.
Its `naive_ratio` and `seasonal_naive_ratio` are the forecaster's MAE divided by theirs:
below 1.0, the model forecasts better than the baseline.

The copy task (`measure_copy`): a memory network trained by its recipe on sequences of up to
its recipe's `max_length` random vectors, its bit error rate on the fixed test batches of
those lengths, and on sequences twice the longest it was trained on
(`benchmarks/copy_task.py`, rows in `zoo/results/copy_task.json`).
"""

from __future__ import annotations

import tempfile
import time

from zoo.benchmark import provenance


def forecasting_metric(card, series: str, horizon: int) -> str:
    prefix = "" if series == card.dataset else f"{series}_"
    return f"{prefix}{'' if horizon == 1 else f'h{horizon}_'}mae"


def measure_forecaster(name: str, series: str | None = None, horizon: int = 1, *,
                       epochs: int | None = None, seed: int = 0, runs_root=None,
                       command: str | None = None) -> dict:
    """Train the forecaster `name` on `series` (default: its card's) for `horizon` steps
    ahead, with the series' default window, and return its results row: test MAE in the
    series' unit and its ratios to the naive and seasonal-naive forecasts' MAE."""
    import zoo
    from zoo.data import series as series_data

    card = zoo.model_card(name)
    if card.task != "forecasting":
        raise ValueError(f"{name} is a {card.task} model; measure_forecaster takes forecasters.")
    series = series or card.dataset
    input_length = zoo.data.dataset_info(series).input_shape[0]
    window = {"input_length": input_length, "horizon": horizon}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        result = zoo.train(name, series, epochs=epochs, seed=seed, model_options=window,
                           dataset_options=window, runs_root=runs_root or scratch, verbose=0,
                           tensorboard=False)
    wall = round(time.perf_counter() - started, 1)
    mae = zoo.evaluate(result.model, series)["mae"]
    baselines = series_data.baseline_errors(series, input_length, horizon)
    train_windows = len(series_data.window_starts(
        len(series_data.load_series(series)), input_length, horizon, "train"))
    return {
        "model": name, "dataset": series, "split": "test",
        "metric": forecasting_metric(card, series, horizon), "value": round(mae, 4),
        "input_length": input_length, "horizon": horizon,
        "naive_mae": round(baselines["naive_mae"], 4),
        "seasonal_naive_mae": round(baselines["seasonal_naive_mae"], 4),
        "naive_ratio": round(mae / baselines["naive_mae"], 4),
        "seasonal_naive_ratio": round(mae / baselines["seasonal_naive_mae"], 4),
        "seed": seed, "epochs_run": len(result.history["loss"]),
        "epochs_max": epochs or card.recipe.epochs,
        "train_examples": train_windows, "test_examples": baselines["windows"],
        "wall_seconds": wall, **provenance(command),
    }


def _bit_error_rate(model, dataset) -> float:
    import tensorflow as tf

    from zoo.objectives import BitErrorRate

    # Traced once for any length (an eager NTM runs its 20 steps in Python, batch by batch).
    predict = tf.function(lambda inputs: model(inputs, training=False), reduce_retracing=True)
    metric = BitErrorRate()
    for inputs, targets in dataset:
        metric.update_state(targets, predict(inputs))
    return float(metric.result())


def measure_copy(name: str, *, epochs: int | None = None, seed: int = 0, runs_root=None,
                 command: str | None = None) -> list[dict]:
    """Train `name` on the copy task with its recipe; rows for its test bit error rate at
    the trained lengths (`bit_error_rate`) and at twice the longest
    (`length<2L>_bit_error_rate`, on 50 fixed batches of that length)."""
    import zoo
    from zoo.data.algorithmic import BATCHES, copy_pipeline

    card = zoo.model_card(name)
    if card.task != "sequence-transduction":
        raise ValueError(f"{name} is a {card.task} model; measure_copy takes sequence models.")
    longest = card.recipe.dataset_options["max_length"]
    batch_size = card.recipe.batch_size
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        result = zoo.train(name, epochs=epochs, seed=seed, runs_root=runs_root or scratch,
                           verbose=0, tensorboard=False)
    wall = round(time.perf_counter() - started, 1)
    trained = _bit_error_rate(result.model, copy_pipeline(
        "test", batch_size=batch_size, max_length=longest))
    twice = _bit_error_rate(result.model, copy_pipeline(
        "test", batch_size=batch_size, min_length=2 * longest, max_length=2 * longest))
    common = {
        "model": name, "dataset": card.dataset, "split": "test", "seed": seed,
        "parameters": result.model.count_params(), "trained_lengths": [1, longest],
        "epochs_run": len(result.history["loss"]), "epochs_max": epochs or card.recipe.epochs,
        "train_examples": len(result.history["loss"]) * BATCHES["train"] * batch_size,
        "test_examples": BATCHES["test"] * batch_size, "examples_are": "sequences",
        "wall_seconds": wall, **provenance(command),
    }
    return [{**common, "metric": "bit_error_rate", "value": round(trained, 5),
             "lengths": [1, longest]},
            {**common, "metric": f"length{2 * longest}_bit_error_rate", "value": round(twice, 5),
             "lengths": [2 * longest, 2 * longest]}]
