"""Training: `zoo.train(model, dataset)` and `zoo.evaluate(model, dataset)`.

The package is callable: `zoo.train(...)` is `zoo.train.train(...)`.
"""

from zoo._callable_module import make_callable
from zoo.train.fit import TrainResult, compile_with_recipe, evaluate, train

__all__ = ["TrainResult", "compile_with_recipe", "evaluate", "train"]

make_callable(__name__, train)
