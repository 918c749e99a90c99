"""Train forecasters with their recipes on real series and record each one's test MAE beside
the naive and seasonal-naive forecasts' on the same test windows.

    python benchmarks/forecasting.py                          # every forecaster, every series,
                                                              # 1 and 12 steps ahead
    python benchmarks/forecasting.py tcn_forecaster --series elnino --horizons 12
    python benchmarks/forecasting.py --no-record              # print only

Rows land in zoo/results/forecasting.json (model cards and the README table read them); see
`zoo.sequence.measure` for the metric names and ratios. A ratio below 1.0 means the model
beats that baseline.
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import zoo  # noqa: E402
from zoo.benchmark import record  # noqa: E402
from zoo.data.series import SERIES  # noqa: E402
from zoo.sequence.measure import measure_forecaster  # noqa: E402

DESCRIPTION = ("Test MAE of forecasters trained with their card's recipe on real series, "
               "each divided by the naive (last value) and seasonal-naive forecasts' MAE on "
               "the same test windows.")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help="forecasters (default: all)")
    parser.add_argument("--series", nargs="+", choices=sorted(SERIES), default=sorted(SERIES))
    parser.add_argument("--horizons", nargs="+", type=int, default=[1, 12])
    parser.add_argument("--epochs", type=int, help="override the recipes' epochs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-record", action="store_true", help="print, do not record")
    args = parser.parse_args(argv)
    command = " ".join(["python benchmarks/forecasting.py", *(argv or sys.argv[1:])])
    for series in args.series:
        for horizon in args.horizons:
            for name in args.models or zoo.list_models(task="forecasting"):
                row = measure_forecaster(name, series, horizon, epochs=args.epochs,
                                         seed=args.seed, command=command)
                print(f"{name:<24} {row['metric']:<18} MAE {row['value']:<9.4g} / naive "
                      f"{row['naive_ratio']:.3f}  / seasonal naive "
                      f"{row['seasonal_naive_ratio']:.3f}  ({row['epochs_run']} epochs, "
                      f"{row['wall_seconds']} s)", flush=True)
                if not args.no_record:  # after each model: an interrupted run keeps the rest
                    record([row], "forecasting", DESCRIPTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
