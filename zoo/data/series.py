"""Real time series for forecasting, and the windowed `tf.data` pipelines that feed them.

    values = series.load_series("co2")                        # float32, oldest first
    train = series.windows(values, input_length=104, horizon=4, split="train")
    inputs, targets = series.window_arrays(values, 104, 4, split="test")
    series.mean_absolute_error(targets, series.naive_forecast(inputs, 4))

The series (`SERIES`), read by path from the data files of statsmodels 0.15.0, never
imported (see ../shared/DATASETS.md):

- `co2`: weekly atmospheric CO2 at Mauna Loa, ppm, 1958-03-29 to 2001-12-29 (Keeling and
  Whorf). 2,284 weeks; the 59 without a measurement are filled by linear interpolation
  between their measured neighbours. Season: 52 weeks.
- `sunspots`: monthly mean sunspot numbers from January 1749 (SIDC). Season: 132 months, the
  mean length of the roughly 11-year solar cycle, which is not exact.
- `elnino`: monthly mean sea-surface temperature of the El Nino region, degrees C, 1950 to
  2010. Season: 12 months.

Splits are chronological: the first 70% of the steps train, the next 15% validate, the last
15% test (`split_bounds`). A window is `input_length` steps of history and the `horizon`
steps after it. It belongs to the split that holds its *targets*; its inputs may reach back
into earlier splits (when forecasting, the past is known), never forward. Anything fitted to
the data (a model's normalisation included) sees the training steps only:
`values[:split_bounds(len(values))[0]]`.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zoo import _validate
from zoo.data.catalog import SPLITS
from zoo.data.sources import CorruptDatasetError, locate_package_files

PACKAGE, PACKAGE_VERSION = "statsmodels", "0.15.0"
VALIDATION_FRACTION = TEST_FRACTION = 0.15


def _read_co2(path: Path) -> np.ndarray:
    """`date,co2` rows, one a week; an empty value is a week without a measurement."""
    rows = path.read_text(encoding="utf-8").splitlines()
    if not rows or rows[0].strip() != "date,co2":
        raise CorruptDatasetError(f"{path}: expected a 'date,co2' header, got {rows[:1]!r}.")
    values = np.array([float(row.split(",")[1]) if row.split(",")[1] else np.nan
                       for row in rows[1:] if row.strip()], dtype=np.float64)
    measured = np.flatnonzero(~np.isnan(values))
    if len(measured) < 2:
        raise CorruptDatasetError(f"{path}: fewer than two measured weeks.")
    # Interior gaps only: the first and last weeks are measured in this file.
    values = np.interp(np.arange(len(values)), measured, values[measured])
    return values.astype(np.float32)


def _read_year_by_month(path: Path, *, skip: int) -> np.ndarray:
    """Rows of a year followed by its 12 monthly values (a table; notes after it end it)."""
    values = []
    for line in path.read_text(encoding="utf-8").splitlines()[skip:]:
        fields = line.replace(",", " ").replace('"', " ").split()
        if not fields:
            continue  # the sunspot table has blank lines between years
        if not fields[0].isdigit() or len(fields) != 13:
            break  # the notes under the table
        values += [float(value) for value in fields[1:]]
    if not values:
        raise CorruptDatasetError(f"{path}: no 'year + 12 months' rows found.")
    return np.array(values, dtype=np.float32)


@dataclass(frozen=True)
class SeriesInfo:
    name: str
    period: int  # the season, in steps: what the seasonal-naive forecast repeats
    input_length: int  # the default window: the steps a forecaster reads
    frequency: str
    unit: str
    start: str  # the first step's date
    file: str  # inside the statsmodels distribution
    read: Callable[[Path], np.ndarray]
    description: str

    @property
    def origin(self) -> str:
        return f"{PACKAGE} {PACKAGE_VERSION}: {self.file}"


SERIES = {info.name: info for info in (
    SeriesInfo("co2", 52, 104, "weekly", "ppm", "1958-03-29", "statsmodels/datasets/co2/co2.csv",
               _read_co2, "Atmospheric CO2 at Mauna Loa, weekly, 1958-2001; gaps "
               "interpolated."),
    SeriesInfo("sunspots", 132, 132, "monthly", "sunspot number", "1749-01",
               "statsmodels/datasets/sunspots/src/sunspots_monthly.dat",
               lambda path: _read_year_by_month(path, skip=4),
               "Monthly mean sunspot numbers from 1749 (SIDC); an 11-year cycle."),
    SeriesInfo("elnino", 12, 36, "monthly", "degrees C", "1950-01",
               "statsmodels/datasets/elnino/elnino.csv",
               lambda path: _read_year_by_month(path, skip=1),
               "Monthly sea-surface temperature of the El Nino region, 1950-2010."),
)}


def series_info(name: str) -> SeriesInfo:
    if name not in SERIES:
        close = difflib.get_close_matches(name, SERIES, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"unknown series {name!r}.{hint} Known series: "
                         f"{', '.join(sorted(SERIES))}.")
    return SERIES[name]


@functools.cache
def load_series(name: str) -> np.ndarray:
    """The whole series `name`, oldest step first, as float32. Read once per process and
    shared, so read-only: copy it to change it."""
    info = series_info(name)
    [path] = locate_package_files(PACKAGE, PACKAGE_VERSION, [info.file], f"the {name} series")
    values = check_series(info.read(path), name)
    values.setflags(write=False)
    return values


def check_series(values, name: str = "values") -> np.ndarray:
    """`values` as a 1-D float32 array of finite numbers, or a ValueError saying what is
    wrong (a model would turn a single NaN into NaN forecasts)."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one series (1-D); got shape {array.shape}.")
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise ValueError(f"{name} must hold real numbers; got dtype {array.dtype}.")
    array = array.astype(np.float32)
    missing = np.flatnonzero(~np.isfinite(array))
    if len(missing):
        raise ValueError(f"{name} has {len(missing)} NaN or infinite values (first at index "
                         f"{missing[0]}); fill or drop them first, e.g. with np.interp.")
    return array


def split_bounds(length: int, validation_fraction=VALIDATION_FRACTION,
                 test_fraction=TEST_FRACTION) -> tuple[int, int]:
    """`(train_end, validation_end)`: steps `[0, train_end)` train, `[train_end,
    validation_end)` validate and `[validation_end, length)` test."""
    _validate.positive_int("length", length)
    _validate.fraction("validation_fraction", validation_fraction)
    _validate.fraction("test_fraction", test_fraction)
    if validation_fraction + test_fraction >= 1:
        raise ValueError(f"validation_fraction + test_fraction = "
                         f"{validation_fraction + test_fraction} leaves no training steps.")
    validation_end = length - round(test_fraction * length)
    return validation_end - round(validation_fraction * length), validation_end


def split_options(validation_fraction=None) -> dict:
    """The split options of `zoo.data.load` for a series: its validation share, if given."""
    return {} if validation_fraction is None else {"validation_fraction": validation_fraction}


def window_starts(length: int, input_length: int, horizon: int, split: str,
                  validation_fraction=VALIDATION_FRACTION,
                  test_fraction=TEST_FRACTION) -> np.ndarray:
    """The index of the first target step of every window of `split`, in order."""
    _validate.positive_int("input_length", input_length)
    _validate.positive_int("horizon", horizon)
    _validate.choice("split", split, SPLITS)
    train_end, validation_end = split_bounds(length, validation_fraction, test_fraction)
    begin, end = {"train": (0, train_end), "validation": (train_end, validation_end),
                  "test": (validation_end, length)}[split]
    starts = np.arange(max(begin, input_length), end - horizon + 1)
    if not len(starts):
        raise ValueError(
            f"no {split} window fits: {input_length} input steps and a horizon of {horizon} "
            f"need {horizon} target steps inside the split's {end - begin} steps "
            f"([{begin}, {end}) of {length}) and {input_length} steps before them.")
    return starts


def window_arrays(values, input_length: int, horizon: int, split: str = "test",
                  **fractions) -> tuple[np.ndarray, np.ndarray]:
    """Every window of `split` as arrays: inputs `(windows, input_length, 1)` and targets
    `(windows, horizon)`, float32."""
    values = check_series(values)
    starts = window_starts(len(values), input_length, horizon, split, **fractions)
    inputs = values[starts[:, None] + np.arange(-input_length, 0)]
    targets = values[starts[:, None] + np.arange(horizon)]
    return inputs[..., None], targets


def windows(values, input_length: int, horizon: int, split: str = "train", *,
            batch_size: int = 64, shuffle: bool | None = None, seed: int = 0,
            drop_remainder: bool = False, **fractions):
    """A `tf.data` pipeline of `(inputs, targets)` batches over the windows of `split`: the
    window indices, a parallel map that slices them out of the series, cache, shuffle
    (training only, unless `shuffle` says), batch, prefetch. Shapes as `window_arrays`."""
    import tensorflow as tf

    from zoo.data.feeding import prefetched

    values = check_series(values)
    _validate.positive_int("batch_size", batch_size)
    starts = window_starts(len(values), input_length, horizon, split, **fractions)
    series = tf.constant(values)
    history, ahead = tf.range(-input_length, 0), tf.range(horizon)

    def cut(start):
        return (tf.gather(series, start + history)[:, None], tf.gather(series, start + ahead))

    dataset = (tf.data.Dataset.from_tensor_slices(starts.astype(np.int32))
               .map(cut, num_parallel_calls=tf.data.AUTOTUNE).cache())
    if (split == "train") if shuffle is None else shuffle:
        dataset = dataset.shuffle(len(starts), seed=seed, reshuffle_each_iteration=True)
    return prefetched(dataset.batch(batch_size, drop_remainder=drop_remainder))


def naive_forecast(inputs, horizon: int) -> np.ndarray:
    """The last observed value, repeated `horizon` times: the forecast to beat."""
    _validate.positive_int("horizon", horizon)
    history = np.asarray(inputs, np.float32).reshape(len(inputs), -1)
    return np.repeat(history[:, -1:], horizon, axis=1)


def seasonal_naive_forecast(inputs, horizon: int, period: int) -> np.ndarray:
    """Each step's value one season (`period` steps) earlier, the last observed season
    repeated as often as the horizon needs. The inputs must hold a whole season."""
    _validate.positive_int("horizon", horizon)
    _validate.positive_int("period", period)
    history = np.asarray(inputs, np.float32).reshape(len(inputs), -1)
    if history.shape[1] < period:
        raise ValueError(f"the seasonal-naive forecast needs at least one season of inputs: "
                         f"{history.shape[1]} steps < period {period}.")
    last_season = history[:, -period:]
    return last_season[:, np.arange(horizon) % period]


def mean_absolute_error(targets, forecasts) -> float:
    targets, forecasts = np.asarray(targets, np.float64), np.asarray(forecasts, np.float64)
    if targets.shape != forecasts.shape:
        raise ValueError(f"targets {targets.shape} and forecasts {forecasts.shape} differ.")
    return float(np.mean(np.abs(targets - forecasts)))


def baseline_errors(name: str, input_length: int, horizon: int, split: str = "test") -> dict:
    """The naive and seasonal-naive forecasts' MAE on `split`'s windows of series `name`, in
    the series' own unit: the denominators of a forecaster's recorded ratios."""
    info = series_info(name)
    if input_length < info.period:
        raise ValueError(f"input_length={input_length} is shorter than {name}'s season "
                         f"({info.period} steps), which the seasonal-naive forecast needs.")
    inputs, targets = window_arrays(load_series(name), input_length, horizon, split)
    return {"naive_mae": mean_absolute_error(targets, naive_forecast(inputs, horizon)),
            "seasonal_naive_mae": mean_absolute_error(
                targets, seasonal_naive_forecast(inputs, horizon, info.period)),
            "windows": len(targets)}
