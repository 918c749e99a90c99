"""Hyperparameter tuning with keras-tuner: `zoo.tune(name)` searches a registered model's
search space (its card's `search_space` plus the recipe's learning rate), then trains, tests
and exports the best configuration.

The package is callable: `zoo.tune(...)` is `zoo.tune.tune(...)`.
"""

from zoo._callable_module import make_callable
from zoo.tune.hypermodel import ZooHyperModel, best_epoch_figures, configuration
from zoo.tune.search import TUNERS, TuneResult, distributed_role, tune

__all__ = ["TUNERS", "TuneResult", "ZooHyperModel", "best_epoch_figures", "configuration",
           "distributed_role", "tune"]

make_callable(__name__, tune)
