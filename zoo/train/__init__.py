"""Training: `zoo.train(model, dataset)` and `zoo.evaluate(model, dataset)`;
`cross_validate` (stratified, iterated K-fold on the training split);
`classification_report` and `regression_report` (per-class precision, recall, F1, the
confusion matrix, ROC and PR areas, calibration; MAE, RMSE, R²); `temperature_scale`
(Guo et al.'s calibration, fitted on validation); by hand,
`fit_with_gradient_tape` (the steps `fit` takes, written out) and `overfit_one_batch` (the
check before a long run).

The package is callable: `zoo.train(...)` is `zoo.train.train(...)`.
"""

from zoo._callable_module import make_callable
from zoo.train.calibration import Calibrated, TemperatureScaling, temperature_scale
from zoo.train.cross_validation import CrossValidation, cross_validate
from zoo.train.evaluation import evaluate
from zoo.train.fit import TrainResult, compile_with_recipe, train
from zoo.train.loops import fit_with_gradient_tape, overfit_one_batch
from zoo.train.report import (
    classification_report,
    majority_baseline,
    plot_report,
    regression_report,
)

__all__ = ["Calibrated", "CrossValidation", "TemperatureScaling", "TrainResult",
           "classification_report", "compile_with_recipe", "cross_validate", "evaluate",
           "fit_with_gradient_tape", "majority_baseline", "overfit_one_batch", "plot_report",
           "regression_report", "temperature_scale", "train"]

make_callable(__name__, train)
