"""Training: `zoo.train(model, dataset)` and `zoo.evaluate(model, dataset)`;
`cross_validate` (stratified, iterated K-fold on the training split); by hand,
`fit_with_gradient_tape` (the steps `fit` takes, written out) and `overfit_one_batch` (the
check before a long run).

The package is callable: `zoo.train(...)` is `zoo.train.train(...)`.
"""

from zoo._callable_module import make_callable
from zoo.train.cross_validation import CrossValidation, cross_validate
from zoo.train.fit import TrainResult, compile_with_recipe, evaluate, train
from zoo.train.loops import fit_with_gradient_tape, overfit_one_batch

__all__ = ["CrossValidation", "TrainResult", "compile_with_recipe", "cross_validate", "evaluate",
           "fit_with_gradient_tape", "overfit_one_batch", "train"]

make_callable(__name__, train)
